/// Tracks the best value of a validation metric and decides when training should stop: after
/// `patience` epochs in a row without an improvement of more than `minDelta` (PyTorch-Lightning /
/// Keras semantics). With `patience == nil` it only tracks the best epoch (for `best` checkpoints)
/// and never stops. A value type stored inside `TrainingState`, so a resumed run continues the
/// count where it stopped. A non-finite metric never counts as an improvement.
public struct EarlyStopping: Codable, Sendable, Equatable {
    /// Whether larger (log-likelihood, AUC) or smaller (loss) values are better.
    public enum Mode: String, Codable, Sendable { case min, max }

    /// What one epoch's metric meant.
    public enum Outcome: Equatable, Sendable {
        /// New best value: save the `best` checkpoint.
        case improved
        /// No improvement; `remaining` more such epochs are allowed (nil without patience).
        case noImprovement(remaining: Int?)
        /// Patience exhausted: stop training.
        case stop
    }

    public var mode: Mode
    /// Epochs without improvement tolerated before stopping; nil = never stop.
    public var patience: Int?
    /// An improvement must exceed this (in metric units, ≥ 0).
    public var minDelta: Double
    /// Best value seen so far (nil before the first finite value).
    public private(set) var best: Double?
    /// Epoch of `best`.
    public private(set) var bestEpoch: Int?
    /// Consecutive epochs without improvement (the patience counter).
    public private(set) var epochsWithoutImprovement: Int

    public init(mode: Mode, patience: Int? = nil, minDelta: Double = 0) {
        self.mode = mode
        self.patience = patience.map { max(0, $0) }
        self.minDelta = max(0, minDelta)
        best = nil
        bestEpoch = nil
        epochsWithoutImprovement = 0
    }

    /// Restores a tracker with a saved best value, epoch and counter.
    public init(mode: Mode, patience: Int?, minDelta: Double, best: Double?, bestEpoch: Int?, epochsWithoutImprovement: Int) {
        self.init(mode: mode, patience: patience, minDelta: minDelta)
        self.best = best
        self.bestEpoch = bestEpoch
        self.epochsWithoutImprovement = max(0, epochsWithoutImprovement)
    }

    /// Whether `value` beats the best so far by more than `minDelta`.
    public func isImprovement(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        guard let best else { return true }
        switch mode {
        case .min: return value < best - minDelta
        case .max: return value > best + minDelta
        }
    }

    /// Records the metric of `epoch` and says what to do.
    public mutating func observe(_ value: Double, epoch: Int) -> Outcome {
        if isImprovement(value) {
            best = value
            bestEpoch = epoch
            epochsWithoutImprovement = 0
            return .improved
        }
        epochsWithoutImprovement += 1
        guard let patience else { return .noImprovement(remaining: nil) }
        if epochsWithoutImprovement > patience { return .stop }
        return .noImprovement(remaining: patience - epochsWithoutImprovement)
    }

    /// True once the patience is exhausted.
    public var shouldStop: Bool { patience.map { epochsWithoutImprovement > $0 } ?? false }
}
