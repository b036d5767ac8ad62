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
            let hr = r.histogram(), hg = Histogram(g.values, binning: r.binning)
            return FeatureComparison(name: r.name, label: r.label, unit: r.unit, reference: hr, generated: hg,
                                     separationPower: try? Histogram.separationPower(hr, hg),
                                     ratio: try? Histogram.ratio(generated: hg, reference: hr))
        }
    }
}
