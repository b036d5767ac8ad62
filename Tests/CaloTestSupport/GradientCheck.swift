import CaloNN
import CaloTensor

/// Result of comparing analytic gradients with finite differences.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
    /// max over checked entries of the error left after the roundoff allowance, relative:
    /// max(0, |a − n| − z·σ_n) / max(|a|, |n|, floor) (a analytic, n numeric, σ_n the estimated
    /// roundoff noise of n; see `GradientCheck`).
    public var maxRelativeError: Double
    /// The entry where the maximum occurred, e.g. "linear.weight[17]" or "input[3, 0]", with its
    /// analytic value, estimate and noise.
    public var worstEntry: String
    /// Number of entries compared.
    public var entriesChecked: Int
    /// Largest noise allowance z·σ_n relative to max(|a|, |n|, floor) over the checked entries:
    /// how much of the comparison the roundoff of the forward pass took up.
    public var maxRelativeNoise: Double

    public init(maxRelativeError: Double = 0, worstEntry: String = "-", entriesChecked: Int = 0,
                maxRelativeNoise: Double = 0) {
        self.maxRelativeError = maxRelativeError
        self.worstEntry = worstEntry
        self.entriesChecked = entriesChecked
        self.maxRelativeNoise = maxRelativeNoise
    }

    /// True when something was checked and every entry is within `tolerance`.
    public func passes(tolerance: Double) -> Bool { entriesChecked > 0 && maxRelativeError <= tolerance }

    /// The combined report of two checks (worst of both).
    public func merged(with other: GradientCheckReport) -> GradientCheckReport {
        var r = maxRelativeError >= other.maxRelativeError ? self : other
        r.entriesChecked = entriesChecked + other.entriesChecked
        r.maxRelativeNoise = max(maxRelativeNoise, other.maxRelativeNoise)
        return r
    }

    /// Records the error of `a` against the best of `estimates` (each with its noise σ).
    mutating func record(analytic a: Double, estimates: [GradientCheck.Estimate], floor: Double, z: Double,
                         entry: @autoclosure () -> String) {
        entriesChecked += 1
        var e = Double.infinity, best = estimates[0]
        for n in estimates {
            let scale = max(abs(a), abs(n.value), floor)
            let en = max(0, abs(a - n.value) - z * n.noise) / scale
            if en < e { e = en; best = n }
        }
        let scale = max(abs(a), abs(best.value), floor)
        maxRelativeNoise = max(maxRelativeNoise, z * best.noise / scale)
        if !(e <= maxRelativeError) {
            maxRelativeError = e.isNaN ? .infinity : e
            worstEntry = "\(entry()) (analytic \(a), numeric \(best.value) ± \(best.noise))"
        }
    }

    public var description: String {
        "max relative error \(maxRelativeError) at \(worstEntry) (\(entriesChecked) entries checked; "
            + "largest noise allowance \(maxRelativeNoise) relative)"
    }
}

/// Finite-difference gradient checks for any "loss closure + parameters + input" setup; used by
/// the tests of every module with a hand-written backward pass.
///
/// Usage: compute the analytic gradients first (zero gradients, forward, loss gradient,
/// backward), then call `compare` (or `parameters` / `input`) with a closure that recomputes
/// the loss in Double from the current parameter values and the given input; the closure must
/// not touch the gradients being checked. Masked parameter entries (mask 0) are not perturbed;
/// their analytic gradient must be exactly 0, and any other value is reported as an infinite
/// error.
///
/// **Estimate.** Each checked entry v is set to v + k·h for k = ±1, ±2 (h = step·max(1, |v|),
/// stored in Float; every quotient divides by the perturbation actually stored), and the entry
/// is restored exactly. The estimate is the five-point derivative
/// (8(L₊₁ − L₋₁) − (L₊₂ − L₋₂)) / 12h, whose truncation error is O(h⁴) rather than the central
/// difference's O(h²), so a step large enough to keep roundoff small costs no accuracy.
///
/// **Noise.** The forward passes run in Float32, and their rounding depends on the BLAS kernel
/// (Haswell, Zen and SkylakeX block and order the sums differently), so each loss value carries a
/// roundoff error σ_L that no fixed tolerance can bound for every kernel. The checker measures it:
/// the fourth difference L₊₂ − 4L₊₁ + 6L₀ − 4L₋₁ + L₋₂ is h⁴·L⁗ (negligible) plus roundoff with
/// standard deviation √70·σ_L. σ_L of an entry is the larger of its own fourth difference and the
/// median over the tensor's entries (which perturb the same computation), and the estimate's
/// noise follows from the stencil (σ = √130·σ_L / 12h). An entry fails when |a − n| exceeds
/// `tolerance`·max(|a|, |n|, floor) by more than z = `noiseAllowance` standard deviations.
/// A formula error (a wrong sign, a factor 1.1 in one term) is systematic: it stays when the
/// roundoff is small, which it is for most entries, so such errors are still caught (the
/// tests inject them).
///
/// **Kinks.** With `kinkTolerant`, the second-order one-sided differences
/// (±(3L₀ − 4L_{∓1} + L_{∓2}) / 2h, each with its own noise) are accepted too, so a perturbation
/// that crosses a ReLU kink or a spline knot on one side does not fail the check.
public enum GradientCheck {
    public struct Options: Sendable {
        /// Relative step h (the stencil reaches ±2h).
        public var step: Double
        /// Absolute floor of the error denominator, so entries whose true gradient is ~0 are
        /// compared absolutely instead of dividing roundoff by nothing.
        public var floor: Double
        /// At most this many entries per tensor are checked (chosen at random, reproducibly).
        public var maxEntriesPerTensor: Int
        public var seed: UInt64
        /// Also accept the one-sided second-order differences (see the type's documentation);
        /// false for the strict five-point comparison.
        public var kinkTolerant: Bool
        /// z: the roundoff standard deviations of an estimate that are allowed on top of the
        /// tolerance (0 turns the noise allowance off).
        public var noiseAllowance: Double

        public init(step: Double = 1e-2, floor: Double = 1e-2, maxEntriesPerTensor: Int = 40, seed: UInt64 = 0,
                    kinkTolerant: Bool = true, noiseAllowance: Double = 4) {
            self.step = step
            self.floor = floor
            self.maxEntriesPerTensor = maxEntriesPerTensor
            self.seed = seed
            self.kinkTolerant = kinkTolerant
            self.noiseAllowance = noiseAllowance
        }
    }

    /// A finite-difference estimate of one derivative and the standard deviation of its roundoff.
    public struct Estimate: Sendable {
        public var value: Double
        public var noise: Double
    }

    // MARK: - Parameters

    /// Compares each parameter's current `gradient` with finite differences of `loss()`.
    public static func parameters(_ parameters: [Parameter], options: Options = Options(),
                                  loss: () -> Double) -> GradientCheckReport {
        var report = GradientCheckReport()
        var rng = Xoshiro256(seed: options.seed, stream: 1)
        let l0 = loss()
        for p in parameters {
            let analytic = p.gradient
            var samples = [(entry: Int, stencil: Stencil)]()
            for k in entries(p.count, options.maxEntriesPerTensor, &rng) {
                if let mask = p.mask, mask.storage[k] == 0 {
                    if analytic.storage[k] != 0 {
                        report.record(analytic: .infinity, estimates: [Estimate(value: 0, noise: 0)], floor: 1, z: 0,
                                      entry: "\(p.name)[\(k)] (masked)")
                    }
                    continue
                }
                samples.append((k, stencil(p.value.storage[k], options.step, l0, set: { p.value.storage[k] = $0 }, loss: loss)))
            }
            let pooled = pooledNoise(samples.map(\.stencil))
            for (k, s) in samples {
                report.record(analytic: Double(analytic.storage[k]), estimates: s.estimates(pooledNoise: pooled, options),
                              floor: options.floor, z: options.noiseAllowance, entry: "\(p.name)[\(k)]")
            }
        }
        return report
    }

    // MARK: - Input

    /// Compares `analyticGradient` (dL/dx) with finite differences of `loss(x)` around `input`.
    public static func input(_ input: Matrix, analyticGradient: Matrix, options: Options = Options(),
                             loss: (Matrix) -> Double) -> GradientCheckReport {
        precondition(input.rows == analyticGradient.rows && input.cols == analyticGradient.cols,
                     "GradientCheck.input: gradient shape differs from input shape")
        var report = GradientCheckReport()
        var rng = Xoshiro256(seed: options.seed, stream: 2)
        var x = input
        let l0 = loss(input)
        let samples = entries(input.count, options.maxEntriesPerTensor, &rng).map { k in
            (k, stencil(input.storage[k], options.step, l0, set: { x.storage[k] = $0 }, loss: { loss(x) }))
        }
        let pooled = pooledNoise(samples.map(\.1))
        for (k, s) in samples {
            report.record(analytic: Double(analyticGradient.storage[k]), estimates: s.estimates(pooledNoise: pooled, options),
                          floor: options.floor, z: options.noiseAllowance,
                          entry: "input[\(k / input.cols), \(k % input.cols)]")
        }
        return report
    }

    /// Parameters and input together: parameter entries are perturbed with the input fixed.
    public static func compare(parameters: [Parameter], input: Matrix, inputGradient: Matrix,
                               options: Options = Options(), loss: (Matrix) -> Double) -> GradientCheckReport {
        let p = Self.parameters(parameters, options: options) { loss(input) }
        return p.merged(with: Self.input(input, analyticGradient: inputGradient, options: options, loss: loss))
    }

    // MARK: - Layers

    /// Checks a layer's `backward` (input and every parameter) with the loss L = Σ R ⊙ layer(x)
    /// for a fixed random R, accumulated in Double. Only for deterministic passes (Dropout
    /// layers in training mode draw new masks on every forward).
    public static func layer(_ layer: any Layer, input: Matrix, training: Bool = false,
                             options: Options = Options()) -> GradientCheckReport {
        var rng = Xoshiro256(seed: options.seed, stream: 3)
        let out = layer.forward(input, training: training)
        let projection = Matrix.randomNormal(out.rows, out.cols, rng: &rng)
        layer.zeroGradients()
        _ = layer.forward(input, training: training)
        let dx = layer.backward(projection)
        return compare(parameters: layer.parameters, input: input, inputGradient: dx, options: options) {
            dot(layer.forward($0, training: training), projection)
        }
    }

    /// Σ a ⊙ b in Double: a projection that turns any output into a scalar test loss.
    public static func dot(_ a: Matrix, _ b: Matrix) -> Double {
        precondition(a.count == b.count, "GradientCheck.dot: sizes differ")
        var s = 0.0
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in for k in 0..<pa.count { s += Double(pa[k]) * Double(pb[k]) } } }
        return s
    }

    // MARK: - Helpers

    /// Losses at v + k·h (k = −2, −1, 0, 1, 2) with the perturbations actually stored.
    struct Stencil {
        var minus2: Double, minus1: Double, center: Double, plus1: Double, plus2: Double
        /// The stored perturbations: h₊₁ = Float(v + h) − v, and so on (all positive).
        var hMinus2: Double, hMinus1: Double, hPlus1: Double, hPlus2: Double

        /// Mean step: the four stored perturbations differ from h, 2h only by Float rounding.
        var h: Double { (hMinus1 + hPlus1 + (hMinus2 + hPlus2) / 2) / 4 }

        /// The fourth difference scaled to one loss value's roundoff: its noise has standard
        /// deviation √70·σ_L, its signal h⁴·L⁗ is negligible for smooth losses.
        var roundoff: Double { abs(plus2 - 4 * plus1 + 6 * center - 4 * minus1 + minus2) / 70.0.squareRoot() }

        func estimates(pooledNoise: Double, _ options: Options) -> [Estimate] {
            let sigma = max(roundoff, pooledNoise)
            let d1 = (plus1 - minus1) / (hPlus1 + hMinus1), d2 = (plus2 - minus2) / (hPlus2 + hMinus2)
            let five = Estimate(value: (4 * d1 - d2) / 3, noise: 130.0.squareRoot() / 12 * sigma / h)
            guard options.kinkTolerant else { return [five] }
            // Second-order one-sided: (−3L₀ + 4L₊₁ − L₊₂) / 2h on the exact stored steps, i.e.
            // 2·(L₊₁ − L₀)/h₊₁ − (L₊₂ − L₀)/h₊₂, and its mirror image.
            let forward = 2 * (plus1 - center) / hPlus1 - (plus2 - center) / hPlus2
            let backward = 2 * (center - minus1) / hMinus1 - (center - minus2) / hMinus2
            let oneSidedNoise = 26.0.squareRoot() / 2 * sigma / h
            return [five, Estimate(value: forward, noise: oneSidedNoise), Estimate(value: backward, noise: oneSidedNoise)]
        }
    }

    /// The typical roundoff of one loss value over a tensor's entries: the median of their
    /// fourth-difference estimates, rescaled so that it estimates σ_L for Gaussian noise
    /// (the median of |N(0, 1)| is 0.674). The median ignores the few entries whose stencil
    /// crosses a kink.
    static func pooledNoise(_ stencils: [Stencil]) -> Double {
        let r = stencils.map(\.roundoff).sorted()
        guard !r.isEmpty else { return 0 }
        let median = r.count % 2 == 1 ? r[r.count / 2] : (r[r.count / 2 - 1] + r[r.count / 2]) / 2
        return median / 0.674
    }

    /// Evaluates the stencil around `v` (restoring `v` exactly afterwards).
    private static func stencil(_ v: Float, _ step: Double, _ l0: Double, set: (Float) -> Void,
                                loss: () -> Double) -> Stencil {
        let h = Float(step * max(1, Double(abs(v))))
        let values = [v - 2 * h, v - h, v + h, v + 2 * h]
        var l = [Double]()
        for x in values { set(x); l.append(loss()) }
        set(v)
        let d = values.map { abs(Double($0) - Double(v)) }
        return Stencil(minus2: l[0], minus1: l[1], center: l0, plus1: l[2], plus2: l[3],
                       hMinus2: d[0], hMinus1: d[1], hPlus1: d[2], hPlus2: d[3])
    }

    private static func entries(_ count: Int, _ limit: Int, _ rng: inout Xoshiro256) -> [Int] {
        if count <= limit { return Array(0..<count) }
        // Distinct indices by rejection: cheap even for multi-million-entry tensors.
        var chosen = Set<Int>()
        while chosen.count < limit { chosen.insert(Int(rng.next() % UInt64(count))) }
        return chosen.sorted()
    }
}
