import CaloNN
import Glibc

/// What a training stage costs in wall time, measured on this machine before it starts
/// (`FlowTrainer.measureTiming`, `DistillationTrainer.measureTiming`).
public struct StageTiming: Codable, Sendable, Equatable {
    /// Seconds per optimizer step at the stage's batch size: forward, backward, gradient sum,
    /// gradient norm and the Adam update.
    public var secondsPerStep: Double
    /// Seconds of one end-of-epoch validation pass.
    public var secondsPerValidation: Double
    /// Seconds of one epoch's checkpoint writing (the `last` checkpoint with the optimizer's
    /// moments, and a `best` one without them).
    public var secondsPerCheckpoint: Double

    public init(secondsPerStep: Double, secondsPerValidation: Double, secondsPerCheckpoint: Double = 0) {
        self.secondsPerStep = secondsPerStep
        self.secondsPerValidation = secondsPerValidation
        self.secondsPerCheckpoint = secondsPerCheckpoint
    }

    /// Seconds of one epoch of `stepsPerEpoch` steps with its validation and checkpoints.
    public func epochSeconds(stepsPerEpoch: Int) -> Double {
        Double(max(1, stepsPerEpoch)) * max(0, secondsPerStep) + max(0, secondsPerValidation) + max(0, secondsPerCheckpoint)
    }

    /// A `last` checkpoint holds the weights and two Adam moments, a `best` one the weights: an
    /// epoch that improves writes 4/3 of a `last` checkpoint.
    public static let checkpointsPerLast = 4.0 / 3.0

    enum CodingKeys: String, CodingKey {
        case secondsPerStep = "seconds_per_step"
        case secondsPerValidation = "seconds_per_validation"
        case secondsPerCheckpoint = "seconds_per_checkpoint"
    }
}

/// The schedule a time limit gave one stage: the configured epochs and learning-rate schedule
/// stretched or shrunk together so that the schedule ends with the last epoch that fits in the
/// stage's share of the time. Recorded in run.json; the stage's checkpoints hold the planned
/// settings, so a resumed run continues the same plan.
public struct SchedulePlan: Codable, Sendable, Equatable {
    public var stage: String
    /// Wall seconds the stage was given.
    public var budgetSeconds: Double
    public var timing: StageTiming
    public var stepsPerEpoch: Int
    public var configuredEpochs: Int
    public var plannedEpochs: Int
    /// Expected wall seconds of the planned epochs (training steps, validation, checkpoints).
    public var estimatedSeconds: Double
    /// The planned learning-rate schedule.
    public var schedule: LearningRateSchedule
    /// For a plan revised while the stage trained (`TrainingBudget.replan`): the epochs completed
    /// when it was made, and the wall seconds per epoch they were measured to take. Nil for the
    /// plan made before the first step.
    public var replannedAfterEpoch: Int?
    public var measuredEpochSeconds: Double?

    public init(stage: String, budgetSeconds: Double, timing: StageTiming, stepsPerEpoch: Int, configuredEpochs: Int,
                plannedEpochs: Int, estimatedSeconds: Double, schedule: LearningRateSchedule,
                replannedAfterEpoch: Int? = nil, measuredEpochSeconds: Double? = nil) {
        self.stage = stage
        self.budgetSeconds = budgetSeconds
        self.timing = timing
        self.stepsPerEpoch = stepsPerEpoch
        self.configuredEpochs = configuredEpochs
        self.plannedEpochs = plannedEpochs
        self.estimatedSeconds = estimatedSeconds
        self.schedule = schedule
        self.replannedAfterEpoch = replannedAfterEpoch
        self.measuredEpochSeconds = measuredEpochSeconds
    }

    enum CodingKeys: String, CodingKey {
        case stage, timing, schedule
        case budgetSeconds = "budget_seconds"
        case stepsPerEpoch = "steps_per_epoch"
        case configuredEpochs = "configured_epochs"
        case plannedEpochs = "planned_epochs"
        case estimatedSeconds = "estimated_seconds"
        case replannedAfterEpoch = "replanned_after_epoch"
        case measuredEpochSeconds = "measured_epoch_seconds"
    }
}

/// Planning a training to end within a wall-time limit (`--time-limit`, config `timeLimit`).
///
/// A stage's epochs are first planned before its first step from the measured cost of a step and of a
/// validation pass: E' = ⌊margin · budget / (steps per epoch · step + validation)⌋ (at least 1),
/// and the learning-rate schedule is stretched by E'/E so that its decay (milestones, cosine or
/// one-cycle length, step size, distillation's accumulation epochs) ends where the configured
/// schedule ends relative to its epochs. Stages of one command share the limit in proportion to
/// their configured cost (`share`); a later stage gets whatever time the earlier ones left.
/// While the stage trains, its plan is revised after every epoch from the epochs' measured wall
/// time (`replan`, kept by `StageDeadline`), since a few measured steps misjudge an hour's pace.
public enum TrainingBudget {
    /// Fraction of a stage's budget planned for: the rest absorbs checkpoint writing and the
    /// step-time noise of a shared machine.
    public static let margin = 0.95

    /// The plan for one stage.
    /// - Parameters:
    ///   - budgetSeconds: wall seconds available to the stage.
    ///   - epochs: the configured epochs; `schedule` the configured schedule.
    ///   - maximumEpochs: the largest epoch count the settings accept.
    public static func plan(stage: String, budgetSeconds: Double, timing: StageTiming, stepsPerEpoch: Int,
                            epochs: Int, schedule: LearningRateSchedule, maximumEpochs: Int = 100_000) -> SchedulePlan {
        let epochSeconds = timing.epochSeconds(stepsPerEpoch: stepsPerEpoch)
        let fit = epochSeconds > 0 ? (margin * max(0, budgetSeconds) / epochSeconds).rounded(.down) : Double(maximumEpochs)
        let planned = Int(min(Double(maximumEpochs), max(1, fit)))
        let factor = Double(planned) / Double(max(1, epochs))
        return SchedulePlan(stage: stage, budgetSeconds: budgetSeconds, timing: timing, stepsPerEpoch: stepsPerEpoch,
                            configuredEpochs: epochs, plannedEpochs: planned, estimatedSeconds: Double(planned) * epochSeconds,
                            schedule: schedule.stretched(by: factor))
    }

    /// Fraction of the time left that a revised plan must leave unused before it adds epochs
    /// (`replan`): between this and `margin` a plan stands, so step-time noise does not make it
    /// grow and shrink by turns.
    public static let growthMargin = 0.90

    /// A plan revised after `completedEpochs` of its epochs from how long they really took:
    /// `secondsLeft` wall seconds remain until the stage must end (after this epoch's checkpoints)
    /// and the recent epochs took `epochSeconds` each. Returns nil while the plan stands.
    ///
    /// - Fewer epochs when the remaining planned ones no longer fit in `margin` · `secondsLeft`:
    ///   completed + ⌊margin · left / epoch⌋ (none more, so the stage ends now, when not even one
    ///   fits). The deadline comes first, even where a schedule's warm-up gets shorter.
    /// - More epochs when more than planned fit in `growthMargin` · `secondsLeft` (the step time
    ///   measured before the first step can be far too high: a one-off 3-step measurement) and the
    ///   new schedule's rate at `schedulePosition` (the next step's position: epochs or steps, as
    ///   the settings count it) is no higher than the current plan's: a decay that has begun is
    ///   never undone.
    ///
    /// Either way the configured schedule is stretched to the new epoch count, as `plan` does, so
    /// its decay still ends with the last epoch.
    public static func replan(_ plan: SchedulePlan, configuredSchedule: LearningRateSchedule, completedEpochs: Int,
                              schedulePosition: Int, secondsLeft: Double, epochSeconds: Double,
                              maximumEpochs: Int = 100_000) -> SchedulePlan? {
        guard epochSeconds.isFinite, epochSeconds > 0, secondsLeft.isFinite, completedEpochs < plan.plannedEpochs else { return nil }
        func fitting(_ fraction: Double) -> Int {
            Int(min(Double(maximumEpochs), max(0, (fraction * secondsLeft / epochSeconds).rounded(.down))))
        }
        var epochs = completedEpochs + fitting(margin)
        if epochs >= plan.plannedEpochs {
            epochs = min(maximumEpochs, completedEpochs + fitting(growthMargin))
            guard epochs > plan.plannedEpochs else { return nil }
        }
        let schedule = configuredSchedule.stretched(by: Double(epochs) / Double(max(1, plan.configuredEpochs)))
        if epochs > plan.plannedEpochs,
           schedule.learningRate(at: schedulePosition) > plan.schedule.learningRate(at: schedulePosition) { return nil }
        var revised = plan
        revised.plannedEpochs = epochs
        revised.schedule = schedule
        revised.estimatedSeconds = max(0, plan.budgetSeconds - secondsLeft) + Double(epochs - completedEpochs) * epochSeconds
        revised.replannedAfterEpoch = completedEpochs
        revised.measuredEpochSeconds = epochSeconds
        return revised
    }

    /// Stage `index`'s share of `remainingSeconds` when stages `index...` still have to run,
    /// with `weights` their relative configured costs: remaining · wᵢ / Σ_{j ≥ i} wⱼ.
    public static func share(remainingSeconds: Double, weights: [Double], index: Int) -> Double {
        let rest = weights[index...].reduce(0) { $0 + max(0, $1) }
        guard rest > 0 else { return max(0, remainingSeconds) }
        return max(0, remainingSeconds) * max(0, weights[index]) / rest
    }

    /// The budget of stage `index` of the stages a limit covers (relative costs `weights`) when
    /// only those with `runsHere[j]` run in this command, in order: the ones before it that ran
    /// here have used `elapsedSeconds`, the ones that run elsewhere (another `--stage`
    /// invocation) are counted at their fixed share of the limit, limit · wⱼ / Σ w. Running the
    /// stages one command at a time thus gives each the share it gets in one command.
    public static func stageBudget(limitSeconds: Double, elapsedSeconds: Double, weights: [Double], runsHere: [Bool],
                                   index: Int) -> Double {
        let total = weights.reduce(0) { $0 + max(0, $1) }
        var remaining = limitSeconds - elapsedSeconds
        if total > 0 {
            for j in 0..<index where !runsHere[j] { remaining -= limitSeconds * max(0, weights[j]) / total }
        }
        return share(remainingSeconds: remaining, weights: weights, index: index)
    }

    /// A stage's relative cost before anything is measured: epochs × training showers × the
    /// multiply-adds of one shower through the flow (its MADE layers), which is what a step's
    /// time is proportional to.
    public static func estimatedCost(epochs: Int, trainingShowers: Int, architecture a: FlowArchitecture,
                                     features: Int, contextFeatures: Int) -> Double {
        let h = Double(a.hiddenFeatures), d = Double(features), c = Double(contextFeatures)
        let out = d * Double(3 * a.bins - 1)
        let perBlock = d * h + Double(max(0, a.hiddenLayers - 1)) * h * h + h * out + c * h
        return Double(epochs) * Double(trainingShowers) * Double(a.blocks) * perBlock
    }

    /// Parses a duration: "2h", "90m", "1h30m", "45s", "1.5h", or a plain number of seconds.
    /// - Throws: `PipelineError.invalidData` naming the text.
    public static func parseDuration(_ text: String) throws -> Double {
        let t = String(text.filter { !$0.isWhitespace }).lowercased()
        func bad() -> PipelineError {
            PipelineError.invalidData("'\(text)' is not a duration; write e.g. 2h, 90m, 1h30m, 45s or a number of seconds")
        }
        if let seconds = Double(t) {
            guard seconds.isFinite, seconds > 0 else { throw bad() }
            return seconds
        }
        var total = 0.0, number = "", units = Set<Character>()
        for ch in t {
            if ch.isNumber || ch == "." { number.append(ch); continue }
            let scale: Double
            switch ch {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            default: throw bad()
            }
            guard let v = Double(number), v.isFinite, !units.contains(ch) else { throw bad() }
            units.insert(ch)
            total += v * scale
            number = ""
        }
        guard number.isEmpty, total > 0, total.isFinite else { throw bad() }
        return total
    }

    /// The measurement behind the trainers' `measureTiming`, read with `clock`: one untimed
    /// warm-up `step(0)`, then `step(1...steps)` each followed by the gradient norm; one Adam
    /// update of copies of `parameters` after an untimed one (zero gradients cost the same arithmetic),
    /// with `emaDecay` > 0 likewise one update of a moving average of the weights (`WeightAverage`,
    /// which the loop updates after every optimizer step); `validate()`;
    /// and, on the leader, `save` of a `last` checkpoint with that optimizer to a scratch file in
    /// `scratch` (removed after). Returns [seconds per step, per validation, per epoch's checkpoints].
    static func measure(steps: Int, parameters: [Parameter], gradients: DataParallelGradients, clock: () -> Double,
                        leader: Bool, scratch: String, emaDecay: Double = 0, step: (Int) throws -> Void,
                        validate: () throws -> Void, save: (Adam, String) throws -> Void) throws -> [Double] {
        let n = max(1, steps)
        gradients.zero()
        try step(0)
        let r1 = clock()
        for k in 1...n {
            gradients.zero()
            try step(k)
            _ = gradientNorm(gradients.total)
        }
        let r2 = clock()
        // The second of two updates is timed: the first touches freshly allocated moments.
        let copies = parameters.map { Parameter(name: $0.name, value: $0.value, mask: $0.mask) }
        let adam = try Adam(parameters: copies, learningRate: 0)
        let zero = GradientBuffer(parameters: copies)
        adam.step(gradients: zero)
        let r2b = clock()
        adam.step(gradients: zero)
        let r3 = clock()
        var averaging = 0.0, r3b = r3
        if emaDecay > 0 {
            let average = WeightAverage(parameters: copies, decay: emaDecay)
            average.update(from: copies, step: 1)
            let a0 = clock()
            average.update(from: copies, step: 2)
            r3b = clock()
            averaging = r3b - a0
        }
        try validate()
        let r4 = clock()
        var checkpoint = 0.0
        if leader {
            let path = scratch + "/.timing-\(getpid()).h5"
            defer { unlink(path) }
            try save(adam, path)
            checkpoint = (clock() - r4) * StageTiming.checkpointsPerLast
        }
        return [(r2 - r1) / Double(n) + (r3 - r2b) + averaging, r4 - r3b, checkpoint]
    }

    /// Rank 0's measurement on every process (unchanged for a single process).
    static func shared(_ values: [Double], group: ProcessGroup?) throws -> StageTiming {
        var v = values
        if let group {
            if group.rank != 0 { v = [Double](repeating: 0, count: values.count) }
            try group.sum(&v)
        }
        return StageTiming(secondsPerStep: v[0], secondsPerValidation: v[1], secondsPerCheckpoint: v[2])
    }

    /// "1h 30m" for a number of seconds.
    public static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h \((s % 3600) / 60)m" }
        if s >= 60 { return "\(s / 60)m \(s % 60)s" }
        return "\(s)s"
    }
}

extension LearningRateSchedule {
    /// The same schedule over `factor` times as many epochs (or steps): milestones, step size,
    /// warm-up and total lengths scaled and rounded (kept ≥ 1, milestones kept increasing), so the
    /// decay ends at the same fraction of the training. A constant rate is unchanged.
    public func stretched(by factor: Double) -> LearningRateSchedule {
        func scaled(_ n: Int) -> Int { max(1, Int((Double(n) * factor).rounded())) }
        switch self {
        case .constant:
            return self
        case .step(let rate, let size, let gamma):
            return .step(initialRate: rate, stepSize: scaled(size), gamma: gamma)
        case .multiStep(let rate, let milestones, let gamma):
            var out = [Int]()
            for m in milestones {
                let v = max(scaled(m), (out.last ?? 0) + 1)
                out.append(v)
            }
            return .multiStep(initialRate: rate, milestones: out, gamma: gamma)
        case .cosine(let rate, let total, let minimum, let warmup):
            let t = scaled(total)
            return .cosine(initialRate: rate, totalSteps: t, minimumRate: minimum,
                           warmupSteps: warmup > 0 ? min(t - 1, scaled(warmup)) : 0)
        case .oneCycle(let rate, let total, let pct, let div, let finalDiv):
            return .oneCycle(maxRate: rate, totalSteps: max(2, scaled(total)), pctStart: pct, divFactor: div, finalDivFactor: finalDiv)
        }
    }
}

extension TrainingSettings {
    /// These settings with the epochs and schedule of `plan`.
    public func planned(_ plan: SchedulePlan) -> TrainingSettings {
        var s = self
        s.epochs = plan.plannedEpochs
        s.schedule = plan.schedule
        return s
    }
}

extension DistillationSettings {
    /// These settings with the epochs and schedule of `plan`, the accumulation epochs stretched
    /// like the schedule.
    public func planned(_ plan: SchedulePlan) -> DistillationSettings {
        var s = self
        let factor = Double(plan.plannedEpochs) / Double(max(1, plan.configuredEpochs))
        s.epochs = plan.plannedEpochs
        s.schedule = plan.schedule
        var windows = [[Int]]()
        for w in accumulation {
            let from = w[0] == 0 ? 0 : max(Int((Double(w[0]) * factor).rounded()), (windows.last?[0] ?? 0) + 1)
            windows.append([from, w[1]])
        }
        s.accumulation = windows
        return s
    }
}

/// The time limits of a config (`"timeLimit": {"trainTeacher": "90m", "distill": "30m"}`): each
/// command plans its stages to end within its limit (`TrainingBudget`). `--time-limit` overrides.
public struct TimeLimits: Codable, Sendable, Equatable {
    /// Wall seconds for `train-teacher` (Flow I and the teacher together), or nil.
    public var trainTeacherSeconds: Double?
    /// Wall seconds for `distill`, or nil.
    public var distillSeconds: Double?

    public init(trainTeacherSeconds: Double? = nil, distillSeconds: Double? = nil) {
        self.trainTeacherSeconds = trainTeacherSeconds
        self.distillSeconds = distillSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case trainTeacher, distill }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read(_ key: CodingKeys) throws -> Double? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            do { return try TrainingBudget.parseDuration(text) } catch {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(error)")
            }
        }
        trainTeacherSeconds = try read(.trainTeacher)
        distillSeconds = try read(.distill)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(trainTeacherSeconds.map { "\(Int($0.rounded()))s" }, forKey: .trainTeacher)
        try c.encodeIfPresent(distillSeconds.map { "\(Int($0.rounded()))s" }, forKey: .distill)
    }
}
