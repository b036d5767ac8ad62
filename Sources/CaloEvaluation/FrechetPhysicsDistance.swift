import Glibc
import CaloTensor

/// The Fréchet physics distance (FPD) of Kansal et al. (arXiv:2211.10295) as jetnet computes it
/// (`jetnet.evaluation.fpd`, version 0.2) and the CaloChallenge reports it on its high-level
/// features (×10³):
///
/// 1. both samples are normalised by the reference's largest |value| per feature
///    (`FeatureMatrix.normalised`);
/// 2. for `points` sample sizes n evenly spaced in 1/n between `minSamples` and `maxSamples`
///    (each truncated to an integer), `batchesPerPoint` times: draw n rows of each sample with
///    replacement, fit a Gaussian to each (mean, covariance with 1/(n−1)), and take the Fréchet
///    distance ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^(1/2)); average over the batches;
/// 3. fit FPD(n) = a + b/n by least squares with a, b ≥ 0 (scipy's bounded `curve_fit`); the
///    value is the intercept a, the FPD of infinite samples, and the error is the fit's standard
///    error of a, sqrt(SSR/(points − 2) · [(JᵀJ)⁻¹]₀₀), J = [1, 1/n].
///
/// The trace of (Σ₁Σ₂)^(1/2) is computed in the symmetric form tr((Σ₁^(1/2) Σ₂ Σ₁^(1/2))^(1/2)),
/// through symmetric eigen-decompositions (`SymmetricEigen`), which cannot produce the complex
/// parts that a square root of the non-symmetric product picks up from rounding.
public struct FrechetPhysicsDistance: Sendable, Equatable, Codable {
    /// jetnet's parameters (its defaults).
    public struct Options: Sendable, Equatable, Codable {
        public var minSamples = 20_000
        public var maxSamples = 50_000
        public var batchesPerPoint = 20
        public var points = 10
        public var normalise = true
        public var seed: UInt64 = 42

        public init() {}

        func validate() throws {
            guard points >= 3 else { throw EvaluationError("FPD: need at least 3 sample sizes for the fit, got \(points)") }
            // Distinct integer sizes, so the fit in 1/n is determined.
            guard minSamples >= 2, maxSamples >= minSamples + points else {
                throw EvaluationError("FPD: need 2 <= min samples and max samples >= min samples + \(points), got \(minSamples), \(maxSamples)")
            }
            guard batchesPerPoint >= 1 else { throw EvaluationError("FPD: need at least one batch per sample size") }
        }
    }

    /// FPD extrapolated to infinite samples (the fit's intercept), in the normalised features.
    public let value: Double
    /// Standard error of the intercept.
    public let error: Double
    /// The sample sizes n of the fit, from `minSamples` to `maxSamples` (evenly spaced in 1/n).
    public let sampleSizes: [Int]
    /// Mean Fréchet distance over the batches at each sample size.
    public let meanDistances: [Double]
    /// The fitted slope b (FPD(n) = value + b/n).
    public let slope: Double

    /// value × 10³, the number the CaloChallenge tables quote.
    public var valueTimes1e3: Double { value * 1e3 }
    /// error × 10³.
    public var errorTimes1e3: Double { error * 1e3 }

    /// The FPD between `reference` and `generated` [N, F] (same F).
    ///
    /// - Throws: `EvaluationError` if the feature counts differ, a sample has fewer than 2 rows
    ///   or a non-finite value, or the options are invalid; `LinearAlgebraError` if an
    ///   eigen-decomposition fails.
    public static func compute(reference: FeatureMatrix, generated: FeatureMatrix,
                               options: Options = Options()) throws -> FrechetPhysicsDistance {
        try options.validate()
        try checkSamples(reference, generated, "FPD")
        let (x, y) = options.normalise ? FeatureMatrix.normalised(reference: reference, generated: generated) : (reference, generated)
        let sizes = (0..<options.points).map { k -> Int in
            let t = Double(k) / Double(options.points - 1)
            let inv = 1 / Double(options.minSamples) + t * (1 / Double(options.maxSamples) - 1 / Double(options.minSamples))
            return Int(1 / inv)
        }
        var rng = Xoshiro256(seed: options.seed)
        var means = [Double]()
        for n in sizes {
            var sum = 0.0
            for _ in 0..<options.batchesPerPoint {
                let a = gaussian(x, n: n, rng: &rng), b = gaussian(y, n: n, rng: &rng)
                sum += try frechetDistance(mean1: a.mean, covariance1: a.covariance, mean2: b.mean, covariance2: b.covariance)
            }
            means.append(sum / Double(options.batchesPerPoint))
        }
        let fit = fitLine(x: sizes.map { 1 / Double($0) }, y: means)
        return FrechetPhysicsDistance(value: fit.intercept, error: fit.interceptError, sampleSizes: sizes,
                                      meanDistances: means, slope: fit.slope)
    }

    // MARK: - Pieces

    /// The Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂) (means [F], covariances [F, F]
    /// row-major, symmetric positive semi-definite): ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^(1/2).
    public static func frechetDistance(mean1: [Double], covariance1: [Double], mean2: [Double], covariance2: [Double]) throws -> Double {
        let f = mean1.count
        guard mean2.count == f, covariance1.count == f * f, covariance2.count == f * f else {
            throw EvaluationError("Fréchet distance: means of \(mean1.count) and \(mean2.count) features with covariances of \(covariance1.count) and \(covariance2.count) entries")
        }
        var d2 = 0.0
        for j in 0..<f { let d = mean1[j] - mean2[j]; d2 += d * d }
        var trace = 0.0
        for j in 0..<f { trace += covariance1[j * f + j] + covariance2[j * f + j] }
        let root1 = try SymmetricEigen.squareRoot(covariance1, dimension: f)
        var m = DoubleBLAS.multiply(DoubleBLAS.multiply(root1, covariance2, m: f, n: f, k: f), root1, m: f, n: f, k: f)
        for i in 0..<f { for j in 0..<i { let s = 0.5 * (m[i * f + j] + m[j * f + i]); m[i * f + j] = s; m[j * f + i] = s } }
        let crossTrace = try SymmetricEigen.eigenvalues(m, dimension: f).reduce(0) { $0 + max($1, 0).squareRoot() }
        return d2 + trace - 2 * crossTrace
    }

    /// Mean [F] and covariance [F, F] (1/(n−1)) of n rows of `sample` drawn with replacement.
    static func gaussian(_ sample: FeatureMatrix, n: Int, rng: inout Xoshiro256) -> (mean: [Double], covariance: [Double]) {
        let rows = (0..<n).map { _ in Int.random(in: 0..<sample.rows, using: &rng) }
        var data = sample.gatherRows(rows)
        return meanAndCovariance(&data, rows: n, cols: sample.cols)
    }

    /// Mean and covariance (1/(rows−1)) of `data` [rows, cols]; `data` is centred in place.
    static func meanAndCovariance(_ data: inout [Double], rows: Int, cols: Int) -> (mean: [Double], covariance: [Double]) {
        var mean = [Double](repeating: 0, count: cols)
        for i in 0..<rows { for j in 0..<cols { mean[j] += data[i * cols + j] } }
        for j in 0..<cols { mean[j] /= Double(rows) }
        for i in 0..<rows { for j in 0..<cols { data[i * cols + j] -= mean[j] } }
        var cov = data.withUnsafeBufferPointer { DoubleBLAS.gram($0.baseAddress!, rows: rows, cols: cols) }
        let s = 1 / Double(max(1, rows - 1))
        for k in cov.indices { cov[k] *= s }
        return (mean, cov)
    }

    /// Least-squares line y = a + b·x with a, b ≥ 0, and the standard error of a as scipy's
    /// `curve_fit` reports it (residual variance SSR/(m − 2) times [(JᵀJ)⁻¹]₀₀).
    static func fitLine(x: [Double], y: [Double]) -> (intercept: Double, slope: Double, interceptError: Double) {
        let m = Double(x.count)
        let sx = x.reduce(0, +), sy = y.reduce(0, +)
        let sxx = x.reduce(0) { $0 + $1 * $1 }, sxy = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
        let det = m * sxx - sx * sx
        func ssr(_ a: Double, _ b: Double) -> Double { zip(x, y).reduce(0) { let r = $1.1 - a - b * $1.0; return $0 + r * r } }
        // The minimum of a convex quadratic on the quadrant: the free minimum if inside,
        // else the best of the minima on the two edges (and the corner).
        var candidates: [(Double, Double)] = [(0, 0), (max(0, sy / m), 0), (0, sxx > 0 ? max(0, sxy / sxx) : 0)]
        if det > 0 {
            let b = (m * sxy - sx * sy) / det, a = (sy - b * sx) / m
            if a >= 0, b >= 0 { candidates = [(a, b)] }
        }
        let best = candidates.min { ssr($0.0, $0.1) < ssr($1.0, $1.1) }!
        let variance = x.count > 2 ? ssr(best.0, best.1) / (m - 2) : 0
        let error = det > 0 ? (variance * sxx / det).squareRoot() : .infinity
        return (best.0, best.1, error)
    }

    static func checkSamples(_ a: FeatureMatrix, _ b: FeatureMatrix, _ what: String) throws {
        guard a.cols == b.cols else { throw EvaluationError("\(what): reference has \(a.cols) features, generated \(b.cols)") }
        guard a.rows >= 2, b.rows >= 2 else {
            throw EvaluationError("\(what): need at least 2 showers in each sample, got \(a.rows) and \(b.rows)")
        }
        for (name, m) in [("reference", a), ("generated", b)] {
            if let bad = m.firstNonFinite {
                throw EvaluationError("\(what): the \(name) features hold \(m[bad.row, bad.col]) (shower \(bad.row), feature \(bad.col))")
            }
        }
    }
}
