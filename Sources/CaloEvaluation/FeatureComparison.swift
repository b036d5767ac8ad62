/// One high-level feature compared between a reference and a generated sample: both histograms
/// on the feature's suggested bins, the separation power and the ratio panel.
public struct FeatureComparison: Sendable, Equatable {
    /// Feature identifier, label and unit (see `ShowerFeature`).
    public let name: String
    public let label: String
    public let unit: String
    public let reference: Histogram
    public let generated: Histogram
    /// Triangular discrimination of the normalized histograms; nil when either sample has no
    /// entry inside the bins (e.g. every width below a log range).
    public let separationPower: Double?
    /// Generated / reference per bin; nil as above.
    public let ratio: HistogramRatio?

    /// Compares every feature of two feature sets (same catalogue and bins), in catalogue order.
    /// Throws if the two sets were computed with different thresholds.
    public static func compareAll(reference: HighLevelFeatures, generated: HighLevelFeatures) throws -> [FeatureComparison] {
        guard reference.thresholdMeV == generated.thresholdMeV else {
            throw EvaluationError("FeatureComparison: reference threshold \(reference.thresholdMeV) MeV differs from generated \(generated.thresholdMeV) MeV")
        }
        return zip(reference.features, generated.features).map { r, g in
            let bins = FeatureSlot.dataRanged.contains(r.name) ? dataRangedBinning(r.values, g.values, like: r.binning) : r.binning
            let hr = Histogram(r.values, binning: bins), hg = Histogram(g.values, binning: bins)
            return FeatureComparison(name: r.name, label: r.label, unit: r.unit, reference: hr, generated: hg,
                                     separationPower: try? Histogram.separationPower(hr, hg),
                                     ratio: try? Histogram.ratio(generated: hg, reference: hr))
        }
    }

    /// Linear bins over the central range of both samples (0.1 % to 99.9 % quantiles, widened
    /// by a quarter of that range on each side), with `like.count` bins; `like` itself when the
    /// values do not give a usable range. For observables whose scale depends on the data: the
    /// total energy and E_tot/E_inc of active (liquid-argon) deposits are about a fifth of those
    /// of total deposits and would fall in one or two of the fixed bins.
    static func dataRangedBinning(_ a: [Double], _ b: [Double], like: Binning) -> Binning {
        let v = (a + b).filter(\.isFinite).sorted()
        guard v.count >= 2 else { return like }
        let lo = v[Int(0.001 * Double(v.count - 1))], hi = v[Int((0.999 * Double(v.count - 1)).rounded(.up))]
        let pad = 0.25 * (hi - lo)
        guard hi > lo, let bins = try? Binning.linear(max(0, lo - pad), hi + pad, count: like.count) else { return like }
        return bins
    }
}
