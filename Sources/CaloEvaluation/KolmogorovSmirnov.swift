/// One-sample Kolmogorov–Smirnov test of data against a continuous CDF.
public struct KolmogorovSmirnov: Sendable, Equatable, Codable {
    /// D = sup_x |F_n(x) − F(x)|.
    public let statistic: Double
    /// Asymptotic p-value Q_KS((√n + 0.12 + 0.11/√n) · D) (Stephens' small-n correction,
    /// Numerical Recipes §14.3); accurate to a few per cent for n >= 5 where it matters (p < 0.5).
    public let pValue: Double
    /// Number of samples.
    public let count: Int

    /// Tests `samples` against `cdf`. Throws if there are no samples or a sample is NaN.
    public init(samples: [Double], cdf: (Double) -> Double) throws {
        guard !samples.isEmpty else { throw EvaluationError("Kolmogorov–Smirnov: no samples") }
        if let k = samples.firstIndex(where: { $0.isNaN }) {
            throw EvaluationError("Kolmogorov–Smirnov: sample \(k) is NaN")
        }
        let sorted = samples.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, x) in sorted.enumerated() {
            let f = cdf(x)
            d = max(d, f - Double(i) / n, Double(i + 1) / n - f)
        }
        let sn = n.squareRoot()
        statistic = d
        pValue = SpecialFunctions.kolmogorovSurvival((sn + 0.12 + 0.11 / sn) * d)
        count = sorted.count
    }
}
