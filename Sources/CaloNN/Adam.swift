import CaloTensor
import Glibc

/// Weight decay variants for `Adam`; Codable for JSON configs as `{"none": {}}`,
/// `{"l2": {"coefficient": 1e-4}}` or `{"decoupled": {"coefficient": 0.01}}`.
public enum WeightDecay: Codable, Equatable, Sendable {
    /// No weight decay.
    case none
    /// Classic L2 penalty folded into the gradient, g ← g + λ·p, before the moments
    /// (PyTorch `Adam(weight_decay: λ)`).
    case l2(coefficient: Double)
    /// Decoupled decay, p ← p·(1 − lr·λ), applied before the Adam step
    /// (Loshchilov & Hutter 2019, arXiv:1711.05101; PyTorch `AdamW(weight_decay: λ)`).
    case decoupled(coefficient: Double)
}

/// The complete state of an `Adam` optimizer as plain arrays, for checkpoints: restoring it into
/// an optimizer over the same parameters continues training bit-identically.
public struct AdamState: Equatable, Sendable {
    /// Number of steps taken so far (the t of the bias corrections).
    public var step: Int
    /// First-moment estimate m per parameter, row-major, `parameters[i].count` entries each.
    public var firstMoments: [[Float]]
    /// Second-moment estimate v per parameter, same layout.
    public var secondMoments: [[Float]]

    public init(step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) {
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}

/// Adam (Kingma & Ba 2015, arXiv:1412.6980) with bias correction, as PyTorch's `torch.optim.Adam`:
///
///     m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
///     p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// It works on a list of `Parameter`s, independent of any layer type. Parameters with a `mask`
/// keep their masked entries (and the moments there) at exactly 0. The caller sets
/// `learningRate` (e.g. from a `LearningRateSchedule`) and zeroes gradients between steps.
/// Scalar coefficients are computed in Double, the elementwise update in Float; large
/// parameters are split over `Parallel` workers (elementwise, so the result never depends on
/// the number of workers).
public final class Adam {
    public let parameters: [Parameter]
    /// Current learning rate (set it from a schedule before `step()`).
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: WeightDecay
    /// Steps taken so far.
    public private(set) var stepCount = 0

    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]
    /// True once a step has set every masked entry (value and moments) to 0: from then on
    /// `step(gradients:)` updates only the live entries of masked parameters (nothing else
    /// writes the masked ones, and their update would leave them 0).
    private var maskedEntriesCleared = false

    /// - Throws: `NNError.invalidHyperparameter` unless lr ≥ 0, 0 ≤ β < 1, ε ≥ 0, λ ≥ 0.
    public init(parameters: [Parameter], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                epsilon: Double = 1e-8, weightDecay: WeightDecay = .none) throws {
        guard learningRate >= 0, learningRate.isFinite else { throw NNError.invalidHyperparameter("learning rate must be ≥ 0, got \(learningRate)") }
        guard (0..<1).contains(betas.0), (0..<1).contains(betas.1) else {
            throw NNError.invalidHyperparameter("Adam betas must be in [0, 1), got \(betas)")
        }
        guard epsilon >= 0 else { throw NNError.invalidHyperparameter("Adam epsilon must be ≥ 0, got \(epsilon)") }
        switch weightDecay {
        case .l2(let l), .decoupled(let l):
            guard l >= 0 && l.isFinite else { throw NNError.invalidHyperparameter("weight decay must be ≥ 0, got \(l)") }
        case .none: break
        }
        self.parameters = parameters
        self.learningRate = learningRate
        beta1 = betas.0
        beta2 = betas.1
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoments = firstMoments
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    // MARK: - State

    /// A copy of the full optimizer state.
    public var state: AdamState {
        AdamState(step: stepCount, firstMoments: firstMoments, secondMoments: secondMoments)
    }

    /// Replaces the optimizer state (e.g. from a `last` checkpoint).
    /// - Throws: `NNError.stateMismatch` if the counts do not match the parameters.
    public func restore(_ state: AdamState) throws {
        guard state.step >= 0 else { throw NNError.stateMismatch("negative step count \(state.step)") }
        guard state.firstMoments.count == parameters.count, state.secondMoments.count == parameters.count else {
            throw NNError.stateMismatch("state has \(state.firstMoments.count)/\(state.secondMoments.count) moment arrays, optimizer has \(parameters.count) parameters")
        }
        for (i, p) in parameters.enumerated() where state.firstMoments[i].count != p.count || state.secondMoments[i].count != p.count {
            throw NNError.stateMismatch("parameter \(p.name) has \(p.count) entries, state has \(state.firstMoments[i].count)/\(state.secondMoments[i].count)")
        }
        stepCount = state.step
        maskedEntriesCleared = false
        firstMoments = state.firstMoments
        secondMoments = state.secondMoments
    }

    // MARK: - Step

    /// One update of every parameter from its current `gradient`.
    public func step() {
        let c = nextCoefficients()
        for i in parameters.indices {
            parameters[i].gradient.withUnsafeBufferPointer { g in update(parameter: i, gradient: g.baseAddress!, c) }
        }
    }

    /// One update of every parameter from the gradients in `gradients`, whose layout lists this
    /// optimizer's parameters in the same order (the parameters' own `gradient` is not read).
    /// The same arithmetic as `step()`: equal gradients give bit-identical updates.
    ///
    /// After the first step, a masked parameter is updated on its live runs only (the layout's,
    /// as the product kernels see them), without reading the mask: for a live entry the masked
    /// update multiplies by exactly 1, and a masked entry stays exactly 0, so the result is the
    /// same bit for bit while the MADE weights' masked share (about 40 % of the paper teacher)
    /// costs no memory traffic.
    public func step(gradients: GradientBuffer) {
        let layout = gradients.layout
        precondition(layout.parameterCount == parameters.count
                     && zip(parameters.indices, parameters).allSatisfy { layout.index(of: $1) == $0 },
                     "the gradient buffer's layout must list the optimizer's parameters in order")
        let c = nextCoefficients()
        for i in parameters.indices {
            if maskedEntriesCleared && parameters[i].mask != nil {
                let runs = layout.runsOfParameter[i].map { k in
                    (layout.liveRuns[k].lowerBound - layout.offsets[i])..<(layout.liveRuns[k].upperBound - layout.offsets[i])
                }
                update(parameter: i, gradient: gradients.pointer(parameter: i), c, liveRuns: runs)
            } else {
                update(parameter: i, gradient: gradients.pointer(parameter: i), c)
            }
        }
        maskedEntriesCleared = true
    }

    /// Advances the step count and returns the coefficients of that step.
    private func nextCoefficients() -> AdamCoefficients {
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = 1 - pow(beta1, t), bc2 = 1 - pow(beta2, t)
        var c = AdamCoefficients(beta1: Float(beta1), oneMinusBeta1: Float(1 - beta1),
                                 beta2: Float(beta2), oneMinusBeta2: Float(1 - beta2),
                                 stepSize: Float(learningRate / bc1), inverseSqrtBC2: Float(1 / bc2.squareRoot()),
                                 epsilon: Float(epsilon), l2: 0, decayFactor: 1)
        switch weightDecay {
        case .none: break
        case .l2(let l): c.l2 = Float(l)
        case .decoupled(let l): c.decayFactor = Float(1 - learningRate * l)
        }
        return c
    }

    /// Updates parameter `i`: every entry (masked ones set to 0), or only `liveRuns` (ranges
    /// of entries of the parameter, mask not read).
    private func update(parameter i: Int, gradient g: UnsafePointer<Float>, _ c: AdamCoefficients,
                        liveRuns: [Range<Int>]? = nil) {
        let param = parameters[i]
        let n = param.count
        let mask = param.mask
        firstMoments[i].withUnsafeMutableBufferPointer { m in
            secondMoments[i].withUnsafeMutableBufferPointer { v in
                param.value.withUnsafeMutableBufferPointer { p in
                    let ptrs = UnsafeSendable((p.baseAddress!, g, m.baseAddress!, v.baseAddress!))
                    if let liveRuns {
                        let runs = UnsafeSendable(liveRuns)
                        let live = liveRuns.reduce(0) { $0 + $1.count }
                        Adam.run(live, pieces: liveRuns.count) { range in
                            for k in range {
                                AdamKernel.update(runs.value[k], ptrs.value.0, ptrs.value.1, ptrs.value.2, ptrs.value.3, nil, c)
                            }
                        }
                    } else if let mask {
                        mask.withUnsafeBufferPointer { mk in
                            let pm = UnsafeSendable(mk.baseAddress!)
                            Adam.run(n) { r in
                                AdamKernel.update(r, ptrs.value.0, ptrs.value.1, ptrs.value.2, ptrs.value.3, pm.value, c)
                            }
                        }
                    } else {
                        Adam.run(n) { r in AdamKernel.update(r, ptrs.value.0, ptrs.value.1, ptrs.value.2, ptrs.value.3, nil, c) }
                    }
                }
            }
        }
    }

    /// Serial for small tensors; chunks of ≥ 128k entries (≈ 100 µs each) on the workers otherwise,
    /// since waking a second thread costs more than updating a few thousand entries.
    private static func run(_ n: Int, _ body: @Sendable (Range<Int>) -> Void) {
        run(n, pieces: n, body)
    }

    /// `body` over `0..<pieces`, units that together hold `n` entries of similar size: serial
    /// for small `n`, else chunks of about 128k entries on the workers.
    private static func run(_ n: Int, pieces: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let minChunk = 1 << 17
        guard pieces > 0 else { return }
        if n < 2 * minChunk { body(0..<pieces) } else {
            Parallel.forEachChunk(pieces, minChunk: max(1, Int((Int64(pieces) * Int64(minChunk)) / Int64(n))), body)
        }
    }
}

// MARK: - Kernel

struct AdamCoefficients: Sendable {
    var beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, inverseSqrtBC2, epsilon: Float
    /// L2 coefficient added to the gradient (0 = none).
    var l2: Float
    /// Decoupled decay factor 1 − lr·λ (1 = none).
    var decayFactor: Float
}

/// The elementwise update. Written with explicit `SIMD8<Float>` (one AVX register) because the
/// compiler leaves the scalar loop unvectorised (four possibly aliasing pointers, sqrt and
/// division). Vector and scalar tails perform the same correctly rounded IEEE operations in the
/// same order (no FMA contraction), so results never depend on where chunks start.
enum AdamKernel {
    /// Updates entries `r`; with a `mask`, p, m and v are multiplied by it in the same pass, so
    /// masked entries end exactly 0 whatever their gradient.
    @inline(__always)
    static func update(_ r: Range<Int>, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                       _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                       _ mask: UnsafePointer<Float>?, _ c: AdamCoefficients) {
        typealias V = SIMD8<Float>
        let b1 = V(repeating: c.beta1), omb1 = V(repeating: c.oneMinusBeta1)
        let b2 = V(repeating: c.beta2), omb2 = V(repeating: c.oneMinusBeta2)
        let lr = V(repeating: c.stepSize), ibc2 = V(repeating: c.inverseSqrtBC2), eps = V(repeating: c.epsilon)
        let l2 = V(repeating: c.l2), decay = V(repeating: c.decayFactor)
        var k = r.lowerBound
        while k + 8 <= r.upperBound {
            let w = UnsafeRawPointer(p + k).loadUnaligned(as: V.self) * decay
            let grad = UnsafeRawPointer(g + k).loadUnaligned(as: V.self) + l2 * w
            var mk = b1 * UnsafeRawPointer(m + k).loadUnaligned(as: V.self) + omb1 * grad
            var vk = b2 * UnsafeRawPointer(v + k).loadUnaligned(as: V.self) + omb2 * (grad * grad)
            var pk = w - lr * mk / (vk.squareRoot() * ibc2 + eps)
            if let mask {
                let keep = UnsafeRawPointer(mask + k).loadUnaligned(as: V.self)
                pk *= keep; mk *= keep; vk *= keep
            }
            UnsafeMutableRawPointer(m + k).storeBytes(of: mk, as: V.self)
            UnsafeMutableRawPointer(v + k).storeBytes(of: vk, as: V.self)
            UnsafeMutableRawPointer(p + k).storeBytes(of: pk, as: V.self)
            k += 8
        }
        while k < r.upperBound {
            let w = p[k] * c.decayFactor
            let grad = g[k] + c.l2 * w
            var mk = c.beta1 * m[k] + c.oneMinusBeta1 * grad
            var vk = c.beta2 * v[k] + c.oneMinusBeta2 * (grad * grad)
            var pk = w - c.stepSize * mk / (vk.squareRoot() * c.inverseSqrtBC2 + c.epsilon)
            if let mask { let keep = mask[k]; pk *= keep; mk *= keep; vk *= keep }
            m[k] = mk
            v[k] = vk
            p[k] = pk
            k += 1
        }
    }
}
