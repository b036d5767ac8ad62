import CaloNN
import CaloTensor

/// Where a training stage stands after an epoch, independent of the model: what a `last`
/// checkpoint needs (besides parameters and optimizer moments) so that `--resume` continues
/// exactly. Stored in the checkpoint under /training (see `Checkpoint`).
///
/// Conventions: `epoch` counts completed epochs (resume starts at `epoch + 1`); `globalStep` counts
/// optimizer steps; the learning rate is `schedule.learningRate(at: scheduleStep)` where the
/// training loop decides whether `scheduleStep` advances per epoch or per step.
public struct TrainingState: Sendable, Equatable {
    /// Completed epochs.
    public var epoch: Int
    /// Optimizer steps taken.
    public var globalStep: Int
    /// The schedule position (epochs or steps, as the loop uses it).
    public var scheduleStep: Int
    /// The schedule in use (kept so a resume with a different config is noticed).
    public var schedule: LearningRateSchedule?
    /// Best-metric tracking and the early-stopping counter.
    public var earlyStopping: EarlyStopping
    /// Named generator states (e.g. "data" for shuffling, "noise" for dequantisation, "dropout").
    public var rngStates: [String: Xoshiro256]
    /// Metrics of every completed epoch of this stage, oldest first.
    public var history: [MetricsRecord]
    /// Gradient shards per step (`DataParallelGradients`): fixed for the life of a run, since it
    /// decides the batches' composition and the order of the gradient sums.
    public var gradientShards: Int = 1

    public init(epoch: Int = 0, globalStep: Int = 0, scheduleStep: Int = 0, schedule: LearningRateSchedule? = nil,
                earlyStopping: EarlyStopping = EarlyStopping(mode: .min), rngStates: [String: Xoshiro256] = [:],
                history: [MetricsRecord] = []) {
        self.epoch = epoch
        self.globalStep = globalStep
        self.scheduleStep = scheduleStep
        self.schedule = schedule
        self.earlyStopping = earlyStopping
        self.rngStates = rngStates
        self.history = history
    }

    // MARK: - Convenience views

    /// Best validation metric so far.
    public var bestMetric: Double? { earlyStopping.best }
    /// Epoch of the best metric.
    public var bestEpoch: Int? { earlyStopping.bestEpoch }
    /// Epochs since the last improvement.
    public var patienceCounter: Int { earlyStopping.epochsWithoutImprovement }
    /// The learning rate for the current schedule position (nil without a schedule).
    public var learningRate: Double? { schedule?.learningRate(at: scheduleStep) }
}
