/// Mean and sample standard deviation of a number over repeated classifier runs.
public struct MeanAndSpread: Sendable, Equatable, Codable {
    public let mean: Double
    /// Sample standard deviation (n − 1); 0 for a single run.
    public let standardDeviation: Double
    public let count: Int

    public init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        if values.count > 1 {
            let m = mean
            standardDeviation = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
        } else {
            standardDeviation = 0
        }
    }
}

/// The repeated runs of one classifier variant and their summary (CaloFlow reports the mean
/// and spread over runs with different seeds).
public struct ClassifierSummary: Sendable, Equatable, Codable {
    public let variant: ClassifierVariant
    public let runs: [ClassifierRun]
    /// Raw-output ROC AUC on the test set.
    public let auc: MeanAndSpread
    /// AUC after isotonic calibration (ties from the step function count ½).
    public let calibratedAUC: MeanAndSpread
    public let accuracy: MeanAndSpread
    public let calibratedAccuracy: MeanAndSpread
    /// JSD estimate (ln 2 − BCE_calibrated) / ln 2.
    public let jsd: MeanAndSpread

    public init(variant: ClassifierVariant, runs: [ClassifierRun]) {
        self.variant = variant
        self.runs = runs
        let s = runs.map(\.scores)
        auc = MeanAndSpread(s.map(\.auc))
        calibratedAUC = MeanAndSpread(s.map(\.calibratedAUC))
        accuracy = MeanAndSpread(s.map(\.accuracy))
        calibratedAccuracy = MeanAndSpread(s.map(\.calibratedAccuracy))
        jsd = MeanAndSpread(s.map(\.jsd))
    }
}
