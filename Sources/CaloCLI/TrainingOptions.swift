import CaloData
import CaloNN
import CaloTensor
import CaloPipeline

/// The data-parallel options of `train-teacher` and `distill`: the gradient shards per step,
/// and how a stage's setup (shards, threads, processes) is resolved for a new or resumed run.
struct TrainingOptions {
    static let shards = Option.optionalInt(
        "shards", defaultLabel: "threads x processes", range: 1...4096,
        help: "Gradient shards per step: each batch is cut into this many parts, computed by one worker thread each (of this and the other MPI processes) and summed in a fixed order, so the result depends on the seed and the shard count, not on the thread or process count. A resumed run keeps its own; 1 multiplies on all threads inside each product instead.")
    static let timeLimit = Option.optionalString(
        "time-limit", defaultLabel: "config timeLimit, else none", valueName: "duration",
        help: "Wall time for this command's training, e.g. 2h, 90m or 1h30m: the step time is measured first, then the epochs and the learning-rate schedule are scaled together so the schedule ends when the time does (a finished model, not one cut off); after every epoch the plan is revised from the epochs' real wall time (fewer epochs when they run slow, more when they run fast and the decay has not begun). Each plan is recorded in run.json; a resumed stage keeps its latest.")
    static let specs: [OptionSpec] = [shards.spec, timeLimit.spec]

    let requestedShards: Int?
    /// --time-limit in seconds, or nil.
    let timeLimitSeconds: Double?

    init(_ a: ParsedArguments) throws {
        requestedShards = a[Self.shards]
        if let text = a[Self.timeLimit] {
            do { timeLimitSeconds = try TrainingBudget.parseDuration(text) } catch {
                throw ValidationError("--time-limit: \(text) is not a duration; write e.g. 2h, 90m, 1h30m, 45s or a number of seconds")
            }
        } else {
            timeLimitSeconds = nil
        }
    }

    /// A stage's schedule under a time limit: on a resumed stage the plan run.json recorded (the
    /// latest, which a revision during training may have replaced; nil when it has none), kept as
    /// it is; else, with `budgetSeconds`, a new plan from `measure()` (recorded by rank 0) and the
    /// deadline that keeps revising it after each epoch (`StageDeadline`), ending `budgetSeconds`
    /// after the call; else nil. The time `measure` takes comes off the budget.
    static func schedulePlan<Settings: PlannableSettings>(
        stage: String, resuming: Bool, budgetSeconds: Double?, run: RunDirectory, logger: Logger,
        stepsPerEpoch: () throws -> Int, configured: Settings,
        measure: () throws -> StageTiming) throws -> (settings: Settings, deadline: StageDeadline<Settings>?)? {
        if resuming {
            guard let plan = try run.plannedSchedule(stage: stage) else { return nil }
            logger.info("\(stage): continuing the time-limit plan of run.json: \(plan.plannedEpochs) epochs, schedule \(plan.schedule)")
            return (configured.planned(plan), nil)
        }
        guard let budgetSeconds else { return nil }
        let t0 = monotonicSeconds()
        let timing = try measure()
        let measured = monotonicSeconds()
        let plan = TrainingBudget.plan(stage: stage, budgetSeconds: budgetSeconds - (measured - t0), timing: timing,
                                       stepsPerEpoch: try stepsPerEpoch(), epochs: configured.epochs, schedule: configured.schedule)
        logger.info(describe(plan))
        if ParallelJob.isLeader { try run.recordSchedulePlan(plan) }
        let deadline = StageDeadline(configured: configured, plan: plan, endsAt: measured + plan.budgetSeconds)
        return (deadline.settings, deadline)
    }

    /// The log line of a planned schedule.
    static func describe(_ p: SchedulePlan) -> String {
        "\(p.stage): time limit plan: \(TrainingBudget.formatDuration(p.budgetSeconds)) for this stage, "
            + "\(HumanFormat.fixed(p.timing.secondsPerStep, 3)) s per step x \(p.stepsPerEpoch) steps + "
            + "\(HumanFormat.fixed(p.timing.secondsPerValidation, 2)) s validation + \(HumanFormat.fixed(p.timing.secondsPerCheckpoint, 2)) s checkpoints per epoch -> \(p.plannedEpochs) epochs "
            + "(config: \(p.configuredEpochs)), about \(TrainingBudget.formatDuration(p.estimatedSeconds)); schedule \(p.schedule)"
    }

    /// The log line of a plan revised during training (`StageDeadline`), which had `previousEpochs`.
    static func describe(revised p: SchedulePlan, previousEpochs: Int) -> String {
        let pace = p.measuredEpochSeconds.map { HumanFormat.fixed($0, 1) } ?? "-"
        let planned = HumanFormat.fixed(p.timing.epochSeconds(stepsPerEpoch: p.stepsPerEpoch), 1)
        return "\(p.stage): time limit plan revised after epoch \(p.replannedAfterEpoch ?? 0): epochs take \(pace) s (planned \(planned) s), "
            + "so \(p.plannedEpochs) epochs fit instead of \(previousEpochs), about \(TrainingBudget.formatDuration(p.estimatedSeconds)) "
            + "of the stage's \(TrainingBudget.formatDuration(p.budgetSeconds)); schedule \(p.schedule)"
    }

    /// The setup of `stage`: a resumed stage keeps the shard count of its `last` checkpoint (a
    /// different --shards is refused), a new one takes --shards or one per thread and process.
    func setup(stage: String, run: RunDirectory, resuming: Bool, threads: Int) throws -> DataParallelSetup {
        let last = run.checkpointPath(stage: stage, .last)
        var shards = requestedShards ?? DataParallelSetup.defaultShards(threads: threads, processes: ParallelJob.size)
        if resuming && FileSystem.exists(last) {
            let stored = try CheckpointHeader.read(from: last).gradientShards ?? 1
            if let requested = requestedShards, requested != stored {
                throw ValidationError("--shards \(requested): \(last) was trained with \(stored) gradient shards per step, and a resumed "
                                      + "run keeps them (any number of threads and processes can continue it)")
            }
            shards = stored
        }
        if shards < ParallelJob.size {
            throw ValidationError("--shards \(shards): the \(ParallelJob.size) processes need at least one shard each")
        }
        return DataParallelSetup(shards: shards, threads: threads, group: ParallelJob.group)
    }

    /// The log line describing a setup.
    static func describe(_ s: DataParallelSetup, stage: String) -> String {
        let spread = s.size > 1 ? "\(s.size) processes x \(s.workers) worker threads" : "\(s.workers) worker thread\(s.workers == 1 ? "" : "s")"
        let mode = s.threadedProducts ? " (OpenBLAS on \(s.threads) threads inside each product)" : ", one BLAS thread each"
        var line = "\(stage): \(s.shards) gradient shard\(s.shards == 1 ? "" : "s") per step on \(spread)\(mode)"
        let idle = s.threads - s.workers
        if idle > 0 && !s.threadedProducts {
            line += "; \(idle) thread\(idle == 1 ? "" : "s") of this process have no shard (a new run with --shards \(s.threads * s.size) would use them)"
        }
        return line
    }
}
