import CaloTensor

/// Calibration check of a flow's latent space: if the model fits, the latent codes z = f(x) of
/// real showers are standard normal in D dimensions, so ||z||² follows chi-squared(D) with mean
/// D and variance 2D. Over-dispersed codes (a model too narrow) shift ||z||² up, under-dispersed
/// codes shift it down.
public struct LatentCalibration: Sendable, Equatable, Codable {
    /// Latent dimension D (columns of the input; 504 for the Flow II teacher).
    public let dimension: Int
    /// ||z||² per row, [N].
    public let squaredNorms: [Double]
    /// Sample mean of ||z||² (expected: D).
    public let mean: Double
    /// Unbiased sample variance of ||z||² (expected: 2D).
    public let variance: Double
    /// (mean − D) / sqrt(2D / N): the mean's deviation in standard errors.
    public let meanPull: Double
    /// KS test of ||z||² against the chi-squared(D) CDF.
    public let ks: KolmogorovSmirnov
    /// Histogram of ||z||² for a plot, on D ± 6 sqrt(2D) (clipped at 0) unless given.
    public let histogram: Histogram
    /// chi-squared(D) density at the histogram's bin centres, [bins].
    public let chiSquaredDensity: [Double]
    /// chi-squared(D) probability of each bin divided by its width (comparable to
    /// `histogram.density` bin by bin, but not renormalized to the in-range mass), [bins].
    public let expectedBinDensity: [Double]

    /// Expected mean D.
    public var expectedMean: Double { Double(dimension) }
    /// Expected variance 2D.
    public var expectedVariance: Double { 2 * Double(dimension) }

    /// Analyses latent codes `latents` [N, D]. Throws if N < 2, D < 1 or a code is not finite.
    public init(latents: Matrix, bins: Int = 60, binning: Binning? = nil) throws {
        let n = latents.rows, dim = latents.cols
        guard n >= 2, dim >= 1 else {
            throw EvaluationError("LatentCalibration: need at least 2 latent codes of dimension >= 1, got \(n)x\(dim)")
        }
        var norms = [Double](repeating: 0, count: n)
        try latents.withUnsafeBufferPointer { p in
            for r in 0..<n {
                var s = 0.0
                for j in 0..<dim { let v = Double(p[r * dim + j]); s += v * v }
                guard s.isFinite else { throw EvaluationError("LatentCalibration: latent code \(r) is not finite") }
                norms[r] = s
            }
        }
        let d = Double(dim)
        let m = norms.reduce(0, +) / Double(n)
        let v = norms.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
        dimension = dim
        squaredNorms = norms
        mean = m
        variance = v
        meanPull = (m - d) / (2 * d / Double(n)).squareRoot()
        ks = try KolmogorovSmirnov(samples: norms) { SpecialFunctions.chiSquaredCDF($0, degreesOfFreedom: d) }

        let b = try binning ?? Binning.linear(max(0, d - 6 * (2 * d).squareRoot()), d + 6 * (2 * d).squareRoot(),
                                              count: bins)
        histogram = Histogram(norms, binning: b)
        chiSquaredDensity = b.centres.map { SpecialFunctions.chiSquaredPDF($0, degreesOfFreedom: d) }
        expectedBinDensity = (0..<b.count).map { k in
            (SpecialFunctions.chiSquaredCDF(b.edges[k + 1], degreesOfFreedom: d)
                - SpecialFunctions.chiSquaredCDF(b.edges[k], degreesOfFreedom: d)) / (b.edges[k + 1] - b.edges[k])
        }
    }
}

/// The numbers of a `LatentCalibration` (without the per-shower norms), for report.json.
public struct LatentCalibrationSummary: Codable, Sendable, Equatable {
    public var model: String
    public var showers: Int
    public var dimension: Int
    public var meanSquaredNorm: Double
    public var expectedMean: Double
    public var variance: Double
    public var expectedVariance: Double
    public var meanPull: Double
    public var ksStatistic: Double
    public var ksPValue: Double

    public init(_ c: LatentCalibration, model: String) {
        self.model = model
        showers = c.squaredNorms.count
        dimension = c.dimension
        meanSquaredNorm = c.mean
        expectedMean = c.expectedMean
        variance = c.variance
        expectedVariance = c.expectedVariance
        meanPull = c.meanPull
        ksStatistic = c.ks.statistic
        ksPValue = c.ks.pValue
    }
}
