import CaloNN
import CaloTensor

/// Settings whose epochs and learning-rate schedule a time-limit plan sets
/// (`TrainingSettings` for Flow I and the teacher, `DistillationSettings` for the student).
public protocol PlannableSettings: Sendable, Equatable {
    var epochs: Int { get }
    var schedule: LearningRateSchedule { get }
    var scheduleUnit: TrainingSettings.ScheduleUnit { get }
    /// These settings with the epochs and schedule of `plan` (applied to the configured settings).
    func planned(_ plan: SchedulePlan) -> Self
}

extension TrainingSettings: PlannableSettings {}
extension DistillationSettings: PlannableSettings {}

/// A time-limit plan that a training stage keeps to while it runs.
///
/// The plan made before the first step rests on a step time measured over a few steps, and a
/// shared machine's speed drifts within an hour (the e+ 2-hour preset's teacher epochs took
/// 59-84 s against 66 s planned; a gamma run measured 0.27 s per step and then ran at 0.17 s).
/// So after every epoch the trainer asks `epochEnded`: the time left until the stage must end is
/// compared with what the remaining epochs take at the pace of the last (up to) three epochs,
/// and the plan is revised by `TrainingBudget.replan`: fewer epochs when they no longer fit,
/// more when the stage is clearly ahead and its decay has not begun. The trainer then adopts
/// `settings` (the configured settings under the new plan), records the plan in run.json and
/// writes it into its next checkpoints, so a resumed stage continues the revised plan.
///
/// Times are wall seconds of `clock` (monotonic; tests inject one). In an MPI job rank 0's
/// clock decides for every process, so all processes keep the same plan.
public struct StageDeadline<Settings: PlannableSettings>: Sendable {
    /// The stage's settings before any plan (the config's).
    public let configured: Settings
    /// The plan in force.
    public private(set) var plan: SchedulePlan
    /// The `clock` reading by which the stage must have ended.
    public let endsAt: Double
    /// Epochs whose mean wall time is the pace of the remaining ones.
    public static var recentEpochs: Int { 3 }
    private let clock: @Sendable () -> Double
    /// The end of the previous epoch's training and validation (nil before the first epoch ends).
    private var lastEpochEnd: Double?
    /// The start of the first epoch of this invocation.
    private var firstEpochStart: Double?
    /// Wall seconds of this invocation's epochs, oldest first: training, validation and checkpoints.
    public private(set) var epochSeconds: [Double] = []

    /// - Parameters:
    ///   - plan: the plan made before the first step (`TrainingBudget.plan`).
    ///   - endsAt: the `clock` reading at which the stage's time is up.
    public init(configured: Settings, plan: SchedulePlan, endsAt: Double,
                clock: @escaping @Sendable () -> Double = { monotonicSeconds() }) {
        self.configured = configured
        self.plan = plan
        self.endsAt = endsAt
        self.clock = clock
    }

    /// The configured settings under the plan in force.
    public var settings: Settings { configured.planned(plan) }

    /// Marks the start of an epoch (only the first of this invocation is needed: later epochs are
    /// timed from the end of the one before, so their time includes its checkpoints).
    public mutating func epochStarts() {
        if firstEpochStart == nil { firstEpochStart = clock() }
    }

    /// After an epoch's training and validation, before its checkpoints are written: records
    /// its wall time and returns [seconds left once its checkpoints are written, seconds per epoch
    /// at the recent pace]. The first epoch of an invocation is charged the planned checkpoint time.
    public mutating func measureEpoch() -> [Double] {
        let now = clock()
        let checkpoints = max(0, plan.timing.secondsPerCheckpoint)
        let duration = lastEpochEnd.map { now - $0 } ?? (now - (firstEpochStart ?? now) + checkpoints)
        lastEpochEnd = now
        epochSeconds.append(max(0, duration))
        let recent = epochSeconds.suffix(Self.recentEpochs)
        return [endsAt - now - checkpoints, recent.reduce(0, +) / Double(recent.count)]
    }

    /// Called by the trainer after epoch `completedEpochs` (before its checkpoints): the revised
    /// plan, already adopted, or nil when the plan stands. `schedulePosition` is where the next
    /// step's learning rate is read (the next epoch or the next global step, as the settings count).
    /// - Parameter group: the MPI process group, whose rank 0 measures for all (nil: one process).
    public mutating func epochEnded(completedEpochs: Int, schedulePosition: Int, group: ProcessGroup?) throws -> SchedulePlan? {
        var measured = measureEpoch()
        if let group {
            if group.rank != 0 { measured = [Double](repeating: 0, count: measured.count) }
            try group.sum(&measured)
        }
        guard let revised = TrainingBudget.replan(plan, configuredSchedule: configured.schedule, completedEpochs: completedEpochs,
                                                  schedulePosition: schedulePosition, secondsLeft: measured[0],
                                                  epochSeconds: measured[1]) else { return nil }
        plan = revised
        return revised
    }

    /// A trainer's step after epoch `state.epoch`, before its checkpoints: revises `deadline`'s
    /// plan when the epochs no longer fit or clearly more do (`epochEnded`), adopts the revised
    /// settings and schedule, records the plan in run.json (rank 0) so that the checkpoints written
    /// next and run.json agree on it for --resume, and tells the observer. Nothing without a deadline.
    static func keep(_ deadline: inout StageDeadline?, settings: inout Settings, state: inout TrainingState, run: RunDirectory,
                     parallel: DataParallelSetup, observer: TrainingObserver?) throws {
        let previous = settings.epochs
        let position = settings.scheduleUnit == .epoch ? state.epoch : state.globalStep
        guard let revised = try deadline?.epochEnded(completedEpochs: state.epoch, schedulePosition: position,
                                                     group: parallel.group),
              let adopted = deadline?.settings else { return }
        settings = adopted
        state.schedule = adopted.schedule
        if parallel.isLeader { try run.recordSchedulePlan(revised) }
        observer?.planRevised(revised, previousEpochs: previous)
    }
}
