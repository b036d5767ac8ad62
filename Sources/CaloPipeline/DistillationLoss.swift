import CaloFlows
import CaloNN
import CaloTensor

/// Probability density distillation of CaloFlow II (arXiv:2110.11377; method section 5.2):
/// the IAF student learns to reproduce the frozen MAF teacher.
///
/// With ‖a − b‖² the per-shower sum of squares averaged over the batch, chain positions
/// p = 0 (data) ... L (latent) and blocks b:
/// - data term, from real showers x: z_T = T(x); x̂ = S⁻¹(z_T);
///   L_x = ‖x̂ − x‖² + Σ_p ‖s_p − t_p‖² + Σ_b ‖q_b − p_b‖²
/// - latent term, from z ~ N(0, w² I) with new conditions: x̃ = S⁻¹(z); ẑ = T(x̃);
///   L_z = ‖ẑ − z‖² + Σ_p ‖s'_p − t'_p‖² + Σ_b ‖q'_b − p'_b‖²
/// - L = (1 − β) L_z + β L_x.
/// s/t are the student/teacher states at each chain position, q/p their raw MADE outputs. As in
/// the reference code the sums over positions include both endpoints, so one endpoint pair is
/// identically zero and the other repeats the first term (it counts twice). Unguided mode keeps
/// only the endpoint terms. Gradients flow through the frozen teacher (evaluation mode) into the
/// student; the teacher's own parameter gradients are discarded.
public struct DistillationLoss: Sendable {
    public let teacher: Flow
    public let student: Flow
    public var beta: Double
    public var guided: Bool

    public struct Value: Sendable {
        /// (1 − β) L_z + β L_x.
        public var total: Double
        public var dataTerm: Double
        public var latentTerm: Double
        /// Per-shower KL(student ‖ teacher) estimate from the latent pass (not in the gradient).
        public var kl: Double
    }

    public init(teacher: Flow, student: Flow, beta: Double, guided: Bool) throws {
        guard teacher.chainLength == student.chainLength, teacher.blocks.count == student.blocks.count,
              teacher.features == student.features, teacher.contextFeatures == student.contextFeatures else {
            throw PipelineError.modelMismatch("student and teacher must share the chain (blocks, permutations, features, context)")
        }
        guard teacher.permutations == student.permutations else {
            throw PipelineError.modelMismatch("the student must use the teacher's permutations")
        }
        self.teacher = teacher
        self.student = student
        self.beta = beta
        self.guided = guided
    }

    /// Computes L for one minibatch and adds dL/dθ into the student's parameter gradients.
    ///
    /// - Parameters:
    ///   - x, context: real showers (preprocessed) [B, D] and their context [B, C].
    ///   - z, latentContext: latent draws [B', D] and new conditions [B', C] for the latent term.
    ///   - dropoutRNG: the student's dropout stream (training mode); the teacher runs without dropout.
    ///   - batchRows: the divisor of the per-shower means (default: the rows given). A gradient
    ///     shard passes the rows of the whole batch, so its values and gradients are its share of
    ///     the batch's, and the shards' sum is the batch's.
    ///   - gradients: where the student's parameter gradients are added (nil: its parameters'
    ///     own `gradient`).
    public func accumulateGradients(x: Matrix, context: Matrix, z: Matrix, latentContext: Matrix,
                                    dropoutRNG: inout Xoshiro256?, batchRows: Int? = nil,
                                    gradients: GradientBuffer? = nil) throws -> Value {
        var none: Xoshiro256? = nil
        let last = teacher.chainLength
        let endpointWeight = guided ? 2.0 : 1.0
        let dataRows = batchRows ?? x.rows, latentRows = batchRows ?? z.rows

        // Data term.
        var dataTerm = 0.0
        if beta > 0 {
            let t = try teacher.forward(x, context: context, dropoutRNG: &none)
            let s = try student.inverse(t.latent, context: context, dropoutRNG: &dropoutRNG)
            let (v0, g0) = squaredDifference(s.states[0], x, weight: beta * endpointWeight, rows: dataRows)
            dataTerm += v0
            var stateGradients = [Int: Matrix](), madeGradients = [Int: Matrix]()
            if guided {
                for p in 1..<last {
                    let (v, g) = squaredDifference(s.states[p], t.states[p], weight: beta, rows: dataRows)
                    dataTerm += v
                    stateGradients[p] = g
                }
                for b in 0..<student.blocks.count {
                    let (v, g) = squaredDifference(s.madeOutputs[b], t.madeOutputs[b], weight: beta, rows: dataRows)
                    dataTerm += v
                    madeGradients[b] = g
                }
            }
            _ = try student.backward(s, endGradient: g0, logDetGradient: nil, stateGradients: stateGradients,
                                     madeOutputGradients: madeGradients, gradients: gradients)
        }

        // Latent term.
        var latentTerm = 0.0, kl = 0.0
        if beta < 1 {
            let w = 1 - beta
            let s = try student.inverse(z, context: latentContext, dropoutRNG: &dropoutRNG)
            let t = try teacher.forward(s.data, context: latentContext, dropoutRNG: &none)
            let (vz, gz) = squaredDifference(t.latent, z, weight: w * endpointWeight, rows: latentRows)
            latentTerm += vz
            var studentStates = [Int: Matrix](), teacherStates = [Int: Matrix]()
            var studentMade = [Int: Matrix](), teacherMade = [Int: Matrix]()
            if guided {
                for p in 1..<last {
                    let (v, g) = squaredDifference(s.states[p], t.states[p], weight: w, rows: latentRows)
                    latentTerm += v
                    studentStates[p] = g
                    teacherStates[p] = -1 * g
                }
                for b in 0..<student.blocks.count {
                    let (v, g) = squaredDifference(s.madeOutputs[b], t.madeOutputs[b], weight: w, rows: latentRows)
                    latentTerm += v
                    studentMade[b] = g
                    teacherMade[b] = -1 * g
                }
            }
            let gx = try teacher.backward(t, endGradient: gz, logDetGradient: nil, stateGradients: teacherStates,
                                          madeOutputGradients: teacherMade, parameterGradients: false)
            _ = try student.backward(s, endGradient: gx, logDetGradient: nil, stateGradients: studentStates,
                                     madeOutputGradients: studentMade, gradients: gradients)
            kl = DistillationLoss.klEstimate(z: z, studentTrace: s, teacherTrace: t, rows: latentRows)
        }
        return Value(total: latentTerm + dataTerm, dataTerm: dataTerm / max(beta, 1e-300),
                     latentTerm: latentTerm / max(1 - beta, 1e-300), kl: kl)
    }

    /// Mean over the batch of log q_S(x̃) − log p_T(x̃) for x̃ = S⁻¹(z): log q_S = log N(z) − log|det ∂x̃/∂z|,
    /// log p_T = log N(ẑ) + log|det ∂ẑ/∂x̃|.
    /// - Parameter rows: the divisor (default: the rows of `z`).
    public static func klEstimate(z: Matrix, studentTrace s: FlowTrace, teacherTrace t: FlowTrace, rows: Int? = nil) -> Double {
        let logQ = zip(StandardNormal.logProb(z), s.logDet).map { $0 - $1 }
        let logP = zip(StandardNormal.logProb(t.latent), t.logDet).map { $0 + $1 }
        return zip(logQ, logP).map { $0 - $1 }.reduce(0, +) / Double(max(1, rows ?? z.rows))
    }
}

/// weight · Σ (a − b)² / B and its gradient 2 · weight · (a − b) / B with respect to `a`, B =
/// `rows` (default: the rows of `a`).
func squaredDifference(_ a: Matrix, _ b: Matrix, weight: Double, rows: Int? = nil) -> (Double, Matrix) {
    let n = Double(max(1, rows ?? a.rows))
    var g = a - b
    let value = weight * g.sumOfSquares() / n
    g.scale(by: Float(2 * weight / n))
    return (value, g)
}
