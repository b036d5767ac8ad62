import Testing
import CaloFlows
import CaloNN
import CaloPipeline
import CaloTensor
import CaloTestSupport

/// The distillation gradient (through the frozen teacher into the student) against finite
/// differences on a tiny Flow II-shaped model.
@Suite struct DistillationLossTests {
    /// Teacher and student with the CaloFlow chain (per-segment permutations) on 6 features.
    func tinyPair(seed: UInt64) throws -> (teacher: Flow, student: Flow) {
        var rng = Xoshiro256(seed: seed)
        let spline = try RationalQuadraticSpline(bins: 4, tailBound: 3)
        let segments = [0..<4, 4..<6]
        var tSteps = [Flow.Step](), sSteps = [Flow.Step]()
        for k in 0..<3 {
            let tb = try AutoregressiveSplineBlock(kind: .maf, features: 6, contextFeatures: 2, hiddenFeatures: 10, hiddenLayers: 2,
                                                   spline: spline, name: "t\(k)", rng: &rng)
            let sb = try AutoregressiveSplineBlock(kind: .iaf, features: 6, contextFeatures: 2, hiddenFeatures: 12, hiddenLayers: 2,
                                                   spline: spline, name: "s\(k)", rng: &rng)
            for b in [tb, sb] { b.made.finalWeight.value.scale(by: 2); b.made.applyMasks() }
            tSteps.append(.block(tb)); sSteps.append(.block(sb))
            if k < 2 {
                let p = k == 0 ? Permutation.reverse(segments: segments) : Permutation.random(segments: segments, rng: &rng)
                tSteps.append(.permutation(p)); sSteps.append(.permutation(p))
            }
        }
        return (try Flow(steps: tSteps), try Flow(steps: sSteps))
    }

    @Test(arguments: [(0.5, true), (0.0, true), (1.0, true), (0.5, false)])
    func gradientMatchesFiniteDifferences(_ beta: Double, _ guided: Bool) throws {
        let (teacher, student) = try tinyPair(seed: 5)
        let loss = try DistillationLoss(teacher: teacher, student: student, beta: beta, guided: guided)
        var rng = Xoshiro256(seed: 6)
        let x = Matrix.randomNormal(4, 6, std: 1.2, rng: &rng), c = Matrix.randomNormal(4, 2, rng: &rng)
        let z = Matrix.randomNormal(3, 6, rng: &rng), c2 = Matrix.randomNormal(3, 2, rng: &rng)
        /// L without leaving gradients behind.
        func value() -> Double {
            let saved = (student.parameters + teacher.parameters).map(\.gradient)
            var none: Xoshiro256? = nil
            let v = try! loss.accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &none)
            for (p, g) in zip(student.parameters + teacher.parameters, saved) { p.gradient = g }
            return v.total
        }
        for p in student.parameters + teacher.parameters { p.zeroGradient() }
        var none: Xoshiro256? = nil
        let v = try loss.accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &none)
        #expect(v.total.isFinite && v.total > 0)
        // Teacher stays frozen: nothing is left in its gradients.
        #expect(teacher.parameters.allSatisfy { $0.gradient.maxAbs() == 0 })
        let report = GradientCheck.parameters(student.parameters,
                                              options: .init(step: 3e-3, floor: 5e-2, maxEntriesPerTensor: 10)) { value() }
        #expect(report.passes(tolerance: 3e-2), "\(report)")
    }

    /// A wrong backward pass must fail the same check under every BLAS kernel: the gradient of
    /// β·L_x is scaled by 1.1, or the gradient of (1 − β)·L_z has its sign flipped, while the
    /// loss the differences see is the true one.
    @Test(arguments: [true, false])
    func injectedBackwardErrorsAreCaught(_ guided: Bool) throws {
        let (teacher, student) = try tinyPair(seed: 5)
        var rng = Xoshiro256(seed: 6)
        let x = Matrix.randomNormal(4, 6, std: 1.2, rng: &rng), c = Matrix.randomNormal(4, 2, rng: &rng)
        let z = Matrix.randomNormal(3, 6, rng: &rng), c2 = Matrix.randomNormal(3, 2, rng: &rng)
        let beta = 0.5
        /// Student gradients of β·L_x (beta 1 scaled) and of (1 − β)·L_z (beta 0 scaled), and L.
        func gradient(beta b: Double) throws -> [Matrix] {
            for p in student.parameters + teacher.parameters { p.zeroGradient() }
            var none: Xoshiro256? = nil
            _ = try DistillationLoss(teacher: teacher, student: student, beta: b, guided: guided)
                .accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &none)
            return student.parameters.map(\.gradient)
        }
        let data = try gradient(beta: 1), latent = try gradient(beta: 0)
        let loss = try DistillationLoss(teacher: teacher, student: student, beta: beta, guided: guided)
        /// L without leaving gradients behind.
        func value() -> Double {
            let saved = student.parameters.map(\.gradient)
            var none: Xoshiro256? = nil
            let v = try! loss.accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &none)
            for (p, g) in zip(student.parameters, saved) { p.gradient = g }
            return v.total
        }
        let options = GradientCheck.Options(step: 3e-3, floor: 5e-2, maxEntriesPerTensor: 10)
        func check(dataFactor: Float, latentFactor: Float) -> GradientCheckReport {
            for (i, p) in student.parameters.enumerated() {
                var g = data[i]; g.scale(by: Float(beta) * dataFactor)
                var l = latent[i]; l.scale(by: Float(1 - beta) * latentFactor)
                p.gradient = g + l
            }
            return GradientCheck.parameters(student.parameters, options: options) { value() }
        }
        let right = check(dataFactor: 1, latentFactor: 1)
        #expect(right.passes(tolerance: 3e-2), "the recombined gradient is right: \(right)")
        let scaled = check(dataFactor: 1.1, latentFactor: 1)
        #expect(!scaled.passes(tolerance: 3e-2), "data term x1.1 must fail: \(scaled)")
        let flipped = check(dataFactor: 1, latentFactor: -1)
        #expect(!flipped.passes(tolerance: 3e-2), "latent term sign flip must fail: \(flipped)")
    }

    @Test func mismatchedChainsAreRejected() throws {
        let (teacher, _) = try tinyPair(seed: 9)
        let (_, other) = try tinyPair(seed: 10) // different random permutation
        #expect(throws: PipelineError.self) { try DistillationLoss(teacher: teacher, student: other, beta: 0.5, guided: true) }
    }
}
