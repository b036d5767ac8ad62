import CaloNN
import CaloTensor

/// A normalizing flow: a chain of autoregressive spline blocks and fixed permutations over a
/// standard-normal base (nflows' `Flow` with a `CompositeTransform`).
///
/// Steps are listed in the data → latent order. Chain positions 0...S (S = number of steps)
/// name the intermediate states: position 0 is data, position S the latent code, and step k
/// maps position k to k + 1. A trace of a pass records the state at every position and the
/// raw MADE output of every block, which CaloFlow's distillation loss compares between
/// teacher and student.
public final class Flow: @unchecked Sendable {
    public enum Step {
        case block(AutoregressiveSplineBlock)
        case permutation(Permutation)
    }

    public let steps: [Step]
    public let features: Int
    public let contextFeatures: Int
    /// The blocks in chain order, and the step index of each.
    public let blocks: [AutoregressiveSplineBlock]
    public let blockStepIndices: [Int]
    /// Passes of freed traces, reused by the next trace (see `BlockPassRecycler`).
    let recycler: BlockPassRecycler

    public init(steps: [Step]) throws {
        var blocks = [AutoregressiveSplineBlock](), indices = [Int]()
        for (k, s) in steps.enumerated() { if case .block(let b) = s { blocks.append(b); indices.append(k) } }
        guard let first = blocks.first else { throw FlowError.invalidConfiguration("a flow needs at least one block") }
        for b in blocks where b.features != first.features || b.contextFeatures != first.contextFeatures {
            throw FlowError.invalidConfiguration("blocks disagree on features/context: \(b.features)/\(b.contextFeatures) vs \(first.features)/\(first.contextFeatures)")
        }
        for case .permutation(let p) in steps where p.count != first.features {
            throw FlowError.invalidConfiguration("a permutation of \(p.count) features in a flow of \(first.features)")
        }
        self.steps = steps
        self.features = first.features
        self.contextFeatures = first.contextFeatures
        self.blocks = blocks
        self.blockStepIndices = indices
        // One trace's worth for each concurrent training worker (one per CPU), plus one shared pass
        // for each of a few concurrent samplers. Only passes that were in use are ever kept.
        self.recycler = BlockPassRecycler(capacity: blocks.count * max(2, Parallel.onlineCPUs) + 4)
    }

    /// Every trainable parameter, blocks in chain order.
    public var parameters: [Parameter] { blocks.flatMap(\.parameters) }

    /// Number of chain positions minus one (the number of steps).
    public var chainLength: Int { steps.count }

    /// The permutations in chain order (stored with the model; the student reuses the teacher's).
    public var permutations: [Permutation] {
        steps.compactMap { if case .permutation(let p) = $0 { return p } else { return nil } }
    }

    // MARK: - Passes

    /// Data → latent. Blocks of kind `maf` take one pass (recorded for `backward`); `iaf`
    /// blocks take D sequential steps and cannot be differentiated here.
    ///
    /// - Parameters:
    ///   - x: data [B, D]; context [B, C].
    ///   - dropoutRNG: non-nil for training mode.
    /// - Returns: a trace with the latent code at `states[chainLength]` and the summed log|det|.
    /// - Parameter keepPasses: false when no backward pass will follow (density evaluation): as
    ///   for `inverse`, the blocks run in evaluation mode without records.
    public func forward(_ x: Matrix, context: Matrix, dropoutRNG: inout Xoshiro256?,
                        keepPasses: Bool = true) throws -> FlowTrace {
        let trace = FlowTrace(direction: .dataToLatent, chainLength: chainLength, blocks: keepPasses ? blocks.count : 1,
                              rows: x.rows, recycler: recycler)
        trace.differentiable = keepPasses
        trace.context = context
        trace.states[0] = x
        var current = x, b = 0
        for (k, step) in steps.enumerated() {
            switch step {
            case .permutation(let p):
                current = p.forward(current)
            case .block(let block):
                let (y, ld): (Matrix, [Double])
                if block.kind == .maf && keepPasses {
                    (y, ld) = try block.fastPass(current, context: context, pass: trace.passes[b], dropoutRNG: &dropoutRNG)
                } else if block.kind == .maf {
                    (y, ld) = try block.fastPass(current, context: context, workspace: trace.passes[0].workspace)
                } else {
                    (y, ld) = try block.slowPass(current, context: context)
                    trace.differentiable = false
                }
                for r in 0..<ld.count { trace.logDet[r] += ld[r] }
                current = y
                b += 1
            }
            trace.states[k + 1] = current
        }
        return trace
    }

    /// Latent → data. Blocks of kind `iaf` take one pass (recorded for `backward`); `maf`
    /// blocks take D sequential steps (evaluation only).
    /// - Returns: a trace with the data at `states[0]` and the summed log|det ∂x/∂z|.
    /// - Parameter keepPasses: false when no backward pass will follow (sampling): the blocks run
    ///   in evaluation mode (`dropoutRNG` is ignored), share one MADE workspace and hand their
    ///   output to the spline a group of features at a time, so no [B, D·(3K−1)] MADE output is
    ///   held at all (371 MB at B = 1000 for the paper's student when every block keeps its
    ///   own); the trace is not differentiable and its passes hold no MADE outputs.
    public func inverse(_ z: Matrix, context: Matrix, dropoutRNG: inout Xoshiro256?,
                        keepPasses: Bool = true) throws -> FlowTrace {
        let trace = FlowTrace(direction: .latentToData, chainLength: chainLength, blocks: keepPasses ? blocks.count : 1,
                              rows: z.rows, recycler: recycler)
        trace.differentiable = keepPasses
        trace.context = context
        trace.states[chainLength] = z
        var current = z, b = blocks.count
        for k in stride(from: steps.count - 1, through: 0, by: -1) {
            switch steps[k] {
            case .permutation(let p):
                current = p.inverse(current)
            case .block(let block):
                b -= 1
                let (y, ld): (Matrix, [Double])
                if block.kind == .iaf && keepPasses {
                    (y, ld) = try block.fastPass(current, context: context, pass: trace.passes[b], dropoutRNG: &dropoutRNG)
                } else if block.kind == .iaf {
                    (y, ld) = try block.fastPass(current, context: context, workspace: trace.passes[0].workspace)
                } else {
                    (y, ld) = try block.slowPass(current, context: context)
                    trace.differentiable = false
                }
                for r in 0..<ld.count { trace.logDet[r] += ld[r] }
                current = y
            }
            trace.states[k] = current
        }
        return trace
    }

    /// log p(x | context) per row, in Double (evaluation mode).
    public func logProb(_ x: Matrix, context: Matrix) throws -> [Double] {
        var none: Xoshiro256? = nil
        let trace = try forward(x, context: context, dropoutRNG: &none, keepPasses: false)
        let base = StandardNormal.logProb(trace.latent)
        return zip(base, trace.logDet).map { $0 + $1 }
    }

    /// Samples one row per context row: z ~ N(0, width² I), pushed latent → data.
    public func sample(context: Matrix, width: Float = 1, rng: inout Xoshiro256) throws -> Matrix {
        let z = StandardNormal.sample(context.rows, features, width: width, rng: &rng)
        var none: Xoshiro256? = nil
        return try inverse(z, context: context, dropoutRNG: &none, keepPasses: false).data
    }

    // MARK: - Backward

    /// Backpropagates through a recorded trace to its starting state (data for a forward
    /// trace, latent code for an inverse trace), adding parameter gradients on the way.
    ///
    /// - Parameters:
    ///   - endGradient: dL/d(final state) [B, D] (latent for forward traces, data for inverse).
    ///   - logDetGradient: dL/d(summed log-det of the trace) per row, applied to every block.
    ///   - stateGradients: extra dL/d(state) at chain positions (distillation's intermediate terms).
    ///   - madeOutputGradients: extra dL/dθ per block index.
    /// - Returns: dL/d(starting state) [B, D].
    ///   - parameterGradients: false for a frozen flow: only the input gradient is computed.
    ///   - gradients: where parameter gradients are added: a buffer laid out over (at least) this
    ///     flow's parameters, one per concurrent backward pass, or nil for the parameters' own
    ///     `gradient` matrices.
    public func backward(_ trace: FlowTrace, endGradient: Matrix?, logDetGradient: [Float]?,
                         stateGradients: [Int: Matrix] = [:], madeOutputGradients: [Int: Matrix] = [:],
                         parameterGradients: Bool = true, gradients: GradientBuffer? = nil) throws -> Matrix {
        guard trace.differentiable else {
            throw FlowError.invalidConfiguration("this trace cannot be differentiated: it went through sequential (slow-direction) blocks or was recorded for sampling only (keepPasses: false)")
        }
        let rows = trace.rows
        var g = endGradient ?? Matrix(rows: rows, cols: features)
        let forwardTrace = trace.direction == .dataToLatent
        let end = forwardTrace ? chainLength : 0
        if let extra = stateGradients[end] { g.add(extra) }
        // Visit steps from the end of the pass back to its start.
        let order: [Int] = forwardTrace ? Array((0..<steps.count).reversed()) : Array(0..<steps.count)
        var blockIndexOfStep = [Int: Int]()
        for (b, k) in blockStepIndices.enumerated() { blockIndexOfStep[k] = b }
        for k in order {
            switch steps[k] {
            case .permutation(let p):
                // Forward pass applied p (gather by indices); inverse pass applied p⁻¹.
                g = forwardTrace ? p.inverse(g) : p.forward(g)
            case .block(let block):
                let b = blockIndexOfStep[k]!
                g = try block.fastBackward(trace.passes[b], outputGradient: g, logDetGradient: logDetGradient,
                                           madeOutputGradient: madeOutputGradients[b], parameterGradients: parameterGradients,
                                           gradients: gradients)
            }
            let reached = forwardTrace ? k : k + 1
            if let extra = stateGradients[reached] { g.add(extra) }
        }
        return g
    }
}

/// The record of one pass through a `Flow`.
public final class FlowTrace: @unchecked Sendable {
    public enum Direction: Sendable { case dataToLatent, latentToData }
    public let direction: Direction
    /// States at chain positions 0 (data) ... chainLength (latent), each [B, D].
    public internal(set) var states: [Matrix]
    /// Per block (chain order): MADE activations, input and raw output θ of its fast pass.
    public private(set) var passes: [BlockPass]
    /// Summed log|det| of the pass direction per row.
    public internal(set) var logDet: [Double]
    public internal(set) var context = Matrix(rows: 0, cols: 0)
    /// False when a block ran its sequential direction (no backward possible).
    public internal(set) var differentiable = true
    public let rows: Int

    private let recycler: BlockPassRecycler?

    init(direction: Direction, chainLength: Int, blocks: Int, rows: Int, recycler: BlockPassRecycler? = nil) {
        self.direction = direction
        self.rows = rows
        self.recycler = recycler
        states = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: chainLength + 1)
        passes = (0..<blocks).map { _ in recycler?.take() ?? BlockPass() }
        logDet = [Double](repeating: 0, count: rows)
    }

    deinit {
        guard let recycler else { return }
        // Only passes no one else references go back (a caller may keep a pass or the array).
        for i in passes.indices where isKnownUniquelyReferenced(&passes[i]) { recycler.give(passes[i]) }
    }

    /// The data-side state (position 0).
    public var data: Matrix { states[0] }
    /// The latent state (last position).
    public var latent: Matrix { states[states.count - 1] }
    /// Raw MADE outputs θ per block, chain order.
    public var madeOutputs: [Matrix] { passes.map(\.madeOutput) }
}
