import CaloNN
import CaloTensor

/// Result of comparing analytic gradients with finite differences.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
    /// max over checked entries of |a − n| / max(|a|, |n|, floor) (a analytic, n numeric).
    public var maxRelativeError: Double
    /// The entry where the maximum occurred, e.g. "linear.weight[17]" or "input[3, 0]".
    public var worstEntry: String
    /// Number of entries compared.
    public var entriesChecked: Int

    public init(maxRelativeError: Double = 0, worstEntry: String = "-", entriesChecked: Int = 0) {
        self.maxRelativeError = maxRelativeError
        self.worstEntry = worstEntry
        self.entriesChecked = entriesChecked
    }

    /// True when something was checked and every entry is within `tolerance`.
    public func passes(tolerance: Double) -> Bool { entriesChecked > 0 && maxRelativeError <= tolerance }

    /// The combined report of two checks (worst of both).
    public func merged(with other: GradientCheckReport) -> GradientCheckReport {
        var r = maxRelativeError >= other.maxRelativeError ? self : other
        r.entriesChecked = entriesChecked + other.entriesChecked
        return r
    }

    /// Records the error of `a` against the central difference `estimates[0]`, or, when
    /// `kinkTolerant`, against the best of the central and the one-sided differences.
    mutating func record(analytic a: Double, estimates: [Double], floor: Double, kinkTolerant: Bool,
                         entry: @autoclosure () -> String) {
        entriesChecked += 1
        var e = Double.infinity
        for n in kinkTolerant ? estimates : [estimates[0]] {
            let en = abs(a - n) / max(abs(a), abs(n), floor)
            if en < e { e = en }
        }
        if !(e <= maxRelativeError) { maxRelativeError = e.isNaN ? .infinity : e; worstEntry = entry() }
    }

    public var description: String {
        "max relative error \(maxRelativeError) at \(worstEntry) (\(entriesChecked) entries checked)"
    }
}

/// Finite-difference gradient checks for any "loss closure + parameters + input" setup; used by
/// the tests of every module with a hand-written backward pass.
///
/// Usage: compute the analytic gradients first (zero gradients, forward, loss gradient,
/// backward), then call `compare` (or `parameters` / `input`) with a closure that recomputes
/// the loss in Double from the current parameter values and the given input; the closure must
/// not touch the gradients being checked. Each checked entry v is perturbed to v ± h·max(1, |v|)
/// in Float, each quotient divides by the perturbation actually stored (so Float rounding of
/// v ± h does not bias it), and entries are restored exactly.
///
/// Masked parameter entries (mask 0) are not perturbed; their analytic gradient must be exactly
/// 0, and any other value is reported as an infinite error.
public enum GradientCheck {
    public struct Options: Sendable {
        /// Relative step h. With Float32 forward passes the roundoff error of a difference
        /// quotient grows as 1/h and dominates down to h ≈ 1e-2 (measured on small MLPs: errors
        /// ∝ 1/h from 1e-2 to 1e-4), while the central truncation error h²·f‴/6 stays negligible.
        public var step: Double
        /// Absolute floor of the error denominator, so entries whose true gradient is ~0 are
        /// compared absolutely instead of dividing roundoff by nothing.
        public var floor: Double
        /// At most this many entries per tensor are checked (chosen at random, reproducibly).
        public var maxEntriesPerTensor: Int
        public var seed: UInt64
        /// Accept the best of the central and the two one-sided differences, so a perturbation
        /// that crosses a ReLU kink (or a spline knot) on one side does not fail the check. The
        /// one-sided quotients carry an error h·f″/2, far below that of a wrong gradient; set
        /// false for the strict central comparison.
        public var kinkTolerant: Bool

        public init(step: Double = 1e-2, floor: Double = 1e-2, maxEntriesPerTensor: Int = 40, seed: UInt64 = 0,
                    kinkTolerant: Bool = true) {
            self.step = step
            self.floor = floor
            self.maxEntriesPerTensor = maxEntriesPerTensor
            self.seed = seed
            self.kinkTolerant = kinkTolerant
        }
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
            for k in entries(p.count, options.maxEntriesPerTensor, &rng) {
                if let mask = p.mask, mask.storage[k] == 0 {
                    if analytic.storage[k] != 0 {
                        report.record(analytic: .infinity, estimates: [0], floor: 1, kinkTolerant: false,
                                      entry: "\(p.name)[\(k)] (masked)")
                    }
                    continue
                }
                let n = differences(p.value.storage[k], options.step, l0, set: { p.value.storage[k] = $0 }, loss: loss)
                report.record(analytic: Double(analytic.storage[k]), estimates: n, floor: options.floor,
                              kinkTolerant: options.kinkTolerant, entry: "\(p.name)[\(k)]")
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
        for k in entries(input.count, options.maxEntriesPerTensor, &rng) {
            let n = differences(input.storage[k], options.step, l0, set: { x.storage[k] = $0 }, loss: { loss(x) })
            report.record(analytic: Double(analyticGradient.storage[k]), estimates: n, floor: options.floor,
                          kinkTolerant: options.kinkTolerant, entry: "input[\(k / input.cols), \(k % input.cols)]")
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

    /// Central, forward and backward differences at `v` (the one-sided ones reuse the
    /// unperturbed loss `l0`, so they cost nothing extra).
    private static func differences(_ v: Float, _ step: Double, _ l0: Double, set: (Float) -> Void,
                                    loss: () -> Double) -> [Double] {
        let h = Float(step * max(1, Double(abs(v))))
        let up = v + h, down = v - h
        set(up); let lp = loss()
        set(down); let lm = loss()
        set(v)
        let hUp = Double(up) - Double(v), hDown = Double(v) - Double(down)
        return [(lp - lm) / (hUp + hDown), (lp - l0) / hUp, (l0 - lm) / hDown]
    }

    private static func entries(_ count: Int, _ limit: Int, _ rng: inout Xoshiro256) -> [Int] {
        if count <= limit { return Array(0..<count) }
        // Distinct indices by rejection: cheap even for multi-million-entry tensors.
        var chosen = Set<Int>()
        while chosen.count < limit { chosen.insert(Int(rng.next() % UInt64(count))) }
        return chosen.sorted()
    }
}
