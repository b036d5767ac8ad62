/// The best epoch of each training stage of a run, as the trainers select it: Flow I and the
/// teacher by the highest validation log-likelihood, the student by the lowest validation
/// KL(student || teacher) (its `validation_loss`). Built from metrics.jsonl records.
public struct StageMetricsSummary: Sendable, Equatable {
    /// "flow1", "teacher" or "student".
    public var stage: String
    /// Epochs recorded (the highest epoch number).
    public var epochs: Int
    /// The selected epoch and its selection metric (nats per shower); nil when no record has one.
    public var bestEpoch: Int?
    public var bestValue: Double?

    /// One summary per stage found in `records`, keyed by stage. Records of other stages
    /// (e.g. "classifier") are summarised by their validation loss, lowest first.
    public static func summarise(_ records: [MetricsRecord]) -> [String: StageMetricsSummary] {
        var out: [String: StageMetricsSummary] = [:]
        for r in records {
            var s = out[r.stage] ?? StageMetricsSummary(stage: r.stage, epochs: 0, bestEpoch: nil, bestValue: nil)
            s.epochs = max(s.epochs, r.epoch)
            let maximise = r.stage == FlowStage.flow1.rawValue || r.stage == FlowStage.teacher.rawValue
            if let v = maximise ? r.validationLogLikelihood : r.validationLoss, v.isFinite {
                if s.bestValue == nil || (maximise ? v > s.bestValue! : v < s.bestValue!) {
                    s.bestValue = v
                    s.bestEpoch = r.epoch
                }
            }
            out[r.stage] = s
        }
        return out
    }
}
