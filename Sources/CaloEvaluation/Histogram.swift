/// A one-dimensional histogram with fixed bins, under/overflow counts and Poisson errors.
///
/// Counts are weights (1 per entry by default); `sumOfSquaredWeights` gives the Poisson error
/// sqrt(Σw²) per bin (sqrt(n) for unit weights). Values below `lower` (including 0 and negatives
/// on log bins, and -inf) go to `underflow`, above `upper` (+inf) to `overflow`, NaN to `nanCount`.
/// Normalizations (`probabilities`, `density`) use the in-range total only, as numpy's
/// `density=True` and the CaloChallenge code do.
public struct Histogram: Sendable, Equatable, Codable {
    public let binning: Binning
    /// Sum of weights per bin, [binning.count].
    public private(set) var counts: [Double]
    /// Sum of squared weights per bin, [binning.count].
    public private(set) var sumOfSquaredWeights: [Double]
    /// Weight below `binning.lower`.
    public private(set) var underflow: Double = 0
    /// Weight above `binning.upper`.
    public private(set) var overflow: Double = 0
    /// Weight of NaN entries.
    public private(set) var nanCount: Double = 0

    /// An empty histogram.
    public init(binning: Binning) {
        self.binning = binning
        counts = [Double](repeating: 0, count: binning.count)
        sumOfSquaredWeights = counts
    }

    /// A histogram of `values` with unit weights.
    public init(_ values: [Double], binning: Binning) {
        self.init(binning: binning)
        fill(values)
    }

    // MARK: - Filling

    /// Adds one entry.
    public mutating func fill(_ x: Double, weight: Double = 1) {
        if let k = binning.index(of: x) {
            counts[k] += weight
            sumOfSquaredWeights[k] += weight * weight
        } else if x.isNaN {
            nanCount += weight
        } else if x < binning.lower {
            underflow += weight
        } else {
            overflow += weight
        }
    }

    /// Adds every value with unit weight.
    public mutating func fill(_ values: [Double]) {
        for x in values { fill(x) }
    }

    // MARK: - Normalized views

    /// Sum of in-range weights.
    public var inRangeTotal: Double { counts.reduce(0, +) }

    /// Poisson errors of `counts`: sqrt(Σw²) per bin.
    public var errors: [Double] { sumOfSquaredWeights.map { $0.squareRoot() } }

    /// Counts divided by the in-range total (sums to 1; all zero for an empty histogram).
    public var probabilities: [Double] {
        let t = inRangeTotal
        return t > 0 ? counts.map { $0 / t } : counts.map { _ in 0 }
    }

    /// Probability density: probabilities divided by the bin widths (integrates to 1 over the range).
    public var density: [Double] {
        zip(probabilities, binning.widths).map { $0 / $1 }
    }

    // MARK: - Comparisons

    /// Separation power (triangular discrimination) of two histograms with the same binning:
    /// (1/2) Σ_i (p_i − q_i)² / (p_i + q_i) over the normalized in-range bin contents
    /// (CaloChallenge; Diefenbacher et al., arXiv:2009.03796, eq. 15). 0 for identical shapes,
    /// 1 for disjoint ones; symmetric.
    ///
    /// Throws if the binnings differ or either histogram has no entries in range.
    public static func separationPower(_ reference: Histogram, _ generated: Histogram) throws -> Double {
        try checkComparable(reference, generated, "separationPower")
        let p = reference.probabilities, q = generated.probabilities
        var s = 0.0
        for i in p.indices where p[i] + q[i] > 0 {
            let d = p[i] - q[i]
            s += d * d / (p[i] + q[i])
        }
        return 0.5 * s
    }

    /// Per-bin ratio of normalized contents, generated / reference, for ratio panels.
    ///
    /// Error: ratio · sqrt(σ_g²/c_g² + σ_r²/c_r²) (independent Poisson counts, totals fixed).
    /// Bins where the reference is empty have no ratio (nil). Where only the generated bin is
    /// empty the ratio is 0 with the error of a single generated entry.
    /// Throws if the binnings differ or either histogram has no entries in range.
    public static func ratio(generated: Histogram, reference: Histogram) throws -> HistogramRatio {
        try checkComparable(reference, generated, "ratio")
        let tg = generated.inRangeTotal, tr = reference.inRangeTotal
        var values = [Double?](), errs = [Double?]()
        for i in 0..<reference.binning.count {
            let cr = reference.counts[i], cg = generated.counts[i]
            guard cr > 0 else { values.append(nil); errs.append(nil); continue }
            let pr = cr / tr, pg = cg / tg
            let r = pg / pr
            values.append(r)
            if cg > 0 {
                let rel2 = generated.sumOfSquaredWeights[i] / (cg * cg) + reference.sumOfSquaredWeights[i] / (cr * cr)
                errs.append(r * rel2.squareRoot())
            } else {
                errs.append((1 / tg) / pr)
            }
        }
        return HistogramRatio(values: values, errors: errs)
    }

    private static func checkComparable(_ a: Histogram, _ b: Histogram, _ what: String) throws {
        guard a.binning == b.binning else {
            throw EvaluationError("Histogram.\(what): binnings differ")
        }
        guard a.inRangeTotal > 0, b.inRangeTotal > 0 else {
            throw EvaluationError("Histogram.\(what): a histogram has no entries inside [\(a.binning.lower), \(a.binning.upper)]")
        }
    }
}

/// Generated / reference ratio per bin with its error; nil where the reference bin is empty.
public struct HistogramRatio: Sendable, Equatable, Codable {
    /// [bins] ratio of normalized contents.
    public let values: [Double?]
    /// [bins] one-sigma error of the ratio.
    public let errors: [Double?]
}
