import CaloData
import CaloFlows
import CaloPipeline
import CaloTensor

/// `caloflow train-teacher`: trains Flow I and the MAF teacher (CaloFlow v1) on a shower file.
public struct TrainTeacherCommand: Command {
    public static let name = "train-teacher"
    public static let abstract = "Train Flow I (layer energies) and the MAF teacher (voxels) on a shower file."
    public static let discussion = """
        Reads a shower file (CaloGAN in either layout, CaloChallenge dataset 1 photons or pions, \
        CaloChallenge datasets 2 and 3, or a binning file's geometry with --geometry; simulated or \
        real Geant4), splits it into training and \
        validation showers by seed, and trains Flow I, p(E_0 ... E_L-1 | E_inc), then the Flow II \
        teacher, a masked autoregressive flow p(voxels | E_inc, E_0 ... E_L-1) (for datasets 2 and \
        3 iCaloFlow's shared layer flow, p(layer n | layer n-1, E_n, E_n-1, E_inc, n)), by maximum \
        likelihood with the preprocessing, architectures and schedules of the config. The run \
        directory receives config.json, run.json, log.txt, metrics.jsonl (one line per epoch), \
        <stage>-best.h5 (best validation log-likelihood), <stage>-last.h5 (with optimizer and \
        training state) and loss-<stage>.svg. Ctrl-C (SIGINT) or SIGTERM saves a last \
        checkpoint; --resume continues from it and reaches the same weights as an \
        uninterrupted run with the same seed and thread count.
        """
    static let data = Option.path("data", short: "d", default: nil, help: "Training showers (HDF5, CaloGAN or flat layout; any geometry but a fine one with unequal layers).")
    static let config = Option.path("config", short: "c", default: "configs/demo.json", help: "Run configuration (JSON).")
    static let run = Option.path("run", short: "r", default: nil, help: "Run directory to create or resume.")
    static let stage = Option.string("stage", default: "all", help: "What to train: all (Flow I then teacher), flow1 or teacher.")
    static let resume = Option.flag("resume", help: "Continue an interrupted run from its last checkpoints.")
    static let maxEvents = Option.optionalInt("max-events", defaultLabel: "config", range: 10..., help: "Use only the first N showers of the file.")
    public static let options: [OptionSpec] = [data.spec, config.spec, run.spec, stage.spec, resume.spec, maxEvents.spec,
                                               GeometryOption.option.spec] + TrainingOptions.specs + CommonOptions.specs
    public static let examples = [
        "train-teacher --data datasets/eplus.h5 --config configs/demo.json --run runs/eplus",
        "train-teacher --data eplus.hdf5 --config configs/caloflow-paper-eplus.json --run runs/paper-eplus --seed 1",
        "train-teacher --data datasets/eplus.h5 --run runs/eplus --resume",
        "train-teacher --data datasets/ds2.h5 --config configs/calochallenge-ds2.json --run runs/ds2",
        "mpirun -np 4 caloflow train-teacher --data eplus.hdf5 --config configs/caloflow-paper-eplus.json --run runs/paper-eplus",
    ]

    let dataPath: String
    let configPath: String
    let runPath: String
    let stages: [FlowStage]
    let resuming: Bool
    let eventLimit: Int?
    let training: TrainingOptions
    let common: CommonOptions
    let geometryOption: GeometryOption

    public init(_ a: ParsedArguments) throws {
        geometryOption = try GeometryOption(a)
        dataPath = a[Self.data]
        configPath = a[Self.config]
        runPath = a[Self.run]
        switch a[Self.stage] {
        case "all": stages = [.flow1, .teacher]
        case "flow1": stages = [.flow1]
        case "teacher": stages = [.teacher]
        default: throw ValidationError("--stage: unknown stage '\(a[Self.stage])'; use all, flow1 or teacher")
        }
        resuming = a[Self.resume]
        eventLimit = a[Self.maxEvents]
        training = try TrainingOptions(a)
        common = try CommonOptions(a)
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        var config = try CaloFlowConfig.load(path: configPath)
        if let n = eventLimit { config.flowI.training.maxEvents = n; config.teacher.training.maxEvents = n }
        // Check every input before the run directory is touched: a mistyped --data or a
        // --resume with nothing to resume must not leave a half-made run behind. (The processes of
        // an MPI job each read only their share; `TrainingData` checks that it fits.)
        let requested = try geometryOption.resolve()
        var geometry = CalorimeterGeometry.calogan
        for stage in stages {
            let limit = (stage == .flow1 ? config.flowI : config.teacher).training.maxEvents
            let reader = try ShowerFileReader(path: dataPath, maxEvents: limit > 0 ? limit : nil, geometry: requested)
            try TrainingData.requireTrainable(reader.geometry, file: dataPath)
            if ParallelJob.size == 1 { try reader.checkFitsInMemory() }
            geometry = reader.geometry
        }
        let target = RunDirectory(path: runPath)
        try target.checkCanStart(resume: resuming, stages: stages.map(\.rawValue))
        if resuming, !stages.contains(where: { FileSystem.exists(target.checkpointPath(stage: $0.rawValue, .last)) }) {
            throw RunDirectoryError.nothingToResume(directory: target.path,
                                                    expected: stages.map { "\($0.rawValue)-last.h5" }.joined(separator: " or "))
        }
        let setups = try stages.map { try training.setup(stage: $0.rawValue, run: target, resuming: resuming, threads: common.threads) }
        // Rank 0 alone owns the run directory: the lock, config.json, run.json and log.txt.
        let run = ParallelJob.isLeader ? try RunDirectory.create(at: runPath) : target
        // One training per directory at a time; the start checks are repeated under the lock,
        // since another run may have written checkpoints since the first look.
        let lock = ParallelJob.isLeader ? try run.lock(command: CommandLine.arguments.joined(separator: " ")) : nil
        defer { lock?.release() }
        if ParallelJob.isLeader {
            try run.checkCanStart(resume: resuming, stages: stages.map(\.rawValue))
            try run.recordGeometry(geometry, source: dataPath)
            try logger.openLogFile(run.logPath)
        }
        defer { logger.closeLogFile() }
        if ParallelJob.isLeader {
            // A resumed run keeps its recorded config; the checkpoints refuse a different one.
            if !resuming || !FileSystem.exists(run.configPath) { try run.writeConfig(config) }
            try run.recordInvocation(RunInvocation(command: Self.name, commandLine: CommandLine.arguments, seed: common.seed,
                                                   threads: common.threads, dataFile: dataPath, appVersion: BuildInfo.version,
                                                   started: ShowerFileMetadata.utcTimestamp(), resumed: resuming,
                                                   processes: ParallelJob.size,
                                                   gradientShards: Dictionary(uniqueKeysWithValues: zip(stages.map(\.rawValue), setups.map(\.shards))),
                                                   extra: BuildInfo.runFacts.merging(["config": configPath]) { $1 }))
        }
        TrainingSignals.install()
        defer { TrainingSignals.restoreDefaults() }
        let processes = ParallelJob.size > 1 ? ", \(ParallelJob.size) MPI processes" : ""
        logger.info("run \(run.path): config \(config.name) (\(configPath)), seed \(common.seed), \(common.threads) threads\(processes)")
        // A time limit is shared by the stages in proportion to their configured cost; each
        // stage measures its step time and plans its epochs when it starts. --time-limit covers
        // the stages this command runs; the config's trainTeacher limit covers Flow I and the
        // teacher together, so a --stage invocation gets that stage's share of it.
        let budget = training.timeLimitSeconds ?? config.timeLimit?.trainTeacherSeconds
        let covered: [FlowStage] = training.timeLimitSeconds == nil ? [.flow1, .teacher] : stages
        if let budget, covered != stages {
            logger.info("the config's train-teacher time limit (\(TrainingBudget.formatDuration(budget))) covers Flow I and the teacher "
                        + "together: \(stages.map(\.rawValue).joined(separator: ", ")) gets its share")
        }
        let started = monotonicSeconds()
        let weights = try budget == nil ? [] : covered.map { stage -> Double in
            let sc = stage == .flow1 ? config.flowI : config.teacher
            let events = try ShowerFileReader(path: dataPath, maxEvents: sc.training.maxEvents > 0 ? sc.training.maxEvents : nil).count
            let examplesPerShower = stage == .flow1 ? 1 : (LayerFlowLayout(geometry)?.layers ?? 1)
            return TrainingBudget.estimatedCost(
                epochs: sc.training.epochs,
                trainingShowers: Int(Double(events) * (1 - sc.training.validationFraction)) * examplesPerShower,
                architecture: sc.architecture,
                features: stage == .flow1 ? CaloFlowModels.flowIFeatures(geometry) : CaloFlowModels.flowIIFeatures(geometry),
                contextFeatures: stage == .flow1 ? CaloFlowModels.flowIContext : CaloFlowModels.flowIIContext(geometry))
        }
        for (index, (stage, setup)) in zip(stages, setups).enumerated() {
            let stageConfig = stage == .flow1 ? config.flowI : config.teacher
            let batch = stageConfig.training.batchSize
            let data = try TrainingData(path: dataPath, maxEvents: stageConfig.training.maxEvents,
                                        validationFraction: stageConfig.training.validationFraction, seed: common.seed,
                                        geometry: requested,
                                        // A layer flow's examples are (shower, layer) pairs: every process
                                        // loads every shower (datasets 2 and 3 at demo scale fit).
                                        rows: setup.size > 1 && (stage == .flow1 || !LayerFlowLayout.uses(geometry)) ? { split in
                                            try FlowTrainer.rowsNeeded(split, batchSize: batch, shards: setup.shards,
                                                                       rank: setup.rank, size: setup.size)
                                        } : nil)
            logger.info("\(stage.rawValue): \(data.summary.trainingEvents) training and \(data.summary.validationEvents) validation showers "
                        + "of \(data.summary.particle) from \(dataPath), E_inc \(data.summary.minimumEnergyGeV)-\(data.summary.maximumEnergyGeV) GeV")
            logger.info(TrainingOptions.describe(setup, stage: stage.rawValue))
            if stage != .flow1, let layout = data.layerLayout { logger.info(Self.describe(layout, stage: stage.rawValue, data: data)) }
            var rng = Xoshiro256(seed: common.seed, stream: RandomStreams.initialization)
            let flow = stage == .flow1
                ? try CaloFlowModels.flowI(stageConfig.architecture, geometry: data.geometry, rng: &rng)
                : try CaloFlowModels.flowII(kind: .maf, stageConfig.architecture, geometry: data.geometry, name: stage.rawValue, rng: &rng)
            let parameterCount = flow.parameters.reduce(0) { $0 + $1.count }
            logger.info("\(stage.rawValue): \(stageConfig.architecture.blocks) blocks, hidden \(stageConfig.architecture.hiddenFeatures) "
                        + "x \(stageConfig.architecture.hiddenLayers), \(parameterCount) parameters")
            let info = FlowModelInfo(stage: stage, kind: .maf, architecture: stageConfig.architecture,
                                     preprocessing: config.preprocessing, trainingData: data.summary, geometry: data.geometry)
            let resumingStage = resuming && FileSystem.exists(run.checkpointPath(stage: stage.rawValue, .last))
            var settings = stageConfig.training
            var deadline: StageDeadline<TrainingSettings>? = nil
            let probe = FlowTrainer(stage: stage, flow: flow, info: info, settings: settings, data: data,
                                    run: run, seed: common.seed, appVersion: BuildInfo.version, parallel: setup)
            if let planned = try TrainingOptions.schedulePlan(
                stage: stage.rawValue, resuming: resumingStage,
                budgetSeconds: budget.map {
                    TrainingBudget.stageBudget(limitSeconds: $0, elapsedSeconds: monotonicSeconds() - started, weights: weights,
                                               runsHere: covered.map { stages.contains($0) }, index: covered.firstIndex(of: stage) ?? index)
                },
                run: run, logger: logger, stepsPerEpoch: { try probe.shardPlan().stepsPerEpoch }, configured: settings,
                measure: { try probe.measureTiming() }) {
                (settings, deadline) = planned
            }
            let trainer = FlowTrainer(stage: stage, flow: flow, info: info, settings: settings, data: data,
                                      run: run, seed: common.seed, appVersion: BuildInfo.version, parallel: setup, deadline: deadline)
            let observer = TrainingProgress(logger: logger)
            let outcome = try collectively {
                try trainer.train(resume: resumingStage, observer: observer)
            }
            observer.finish()
            if ParallelJob.isLeader { try writeLossPlot(run: run, stage: stage.rawValue, history: outcome.history) }
            if outcome.interrupted {
                ParallelJob.endedTogether = true
                throw TrainingInterrupted(resumeCommand: resumeCommand)
            }
            let best = outcome.bestValidationLogLikelihood.map { HumanFormat.fixed($0, 3) } ?? "-"
            logger.info("\(stage.rawValue): done after \(outcome.epochsCompleted) epochs; best validation log-likelihood \(best) "
                        + "at epoch \(outcome.bestEpoch.map(String.init) ?? "-") -> \(run.checkpointPath(stage: stage.rawValue, .best))")
        }
    }

    /// The command that continues this run (under MPI with the same launcher prefix).
    var resumeCommand: String {
        let prefix = ParallelJob.size > 1 ? "mpirun -np \(ParallelJob.size) " : ""
        let stage = stages.count == 1 ? " --stage \(stages[0].rawValue)" : ""
        return prefix + "caloflow train-teacher --data \(dataPath) --config \(configPath) --run \(runPath)\(stage) --seed \(common.seed) --threads \(common.threads) --resume"
    }
}

/// Runs a training, marking errors every process of an MPI job meets at the same step (a
/// non-finite loss) as shared, so the processes end together instead of aborting the job.
func collectively<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as PipelineError {
        if case .nonFiniteLoss = error { ParallelJob.endedTogether = true }
        throw error
    }
}

/// A training stopped by SIGINT/SIGTERM after saving its last checkpoint (exit code 1).
struct TrainingInterrupted: Error, CustomStringConvertible {
    let resumeCommand: String
    var description: String { "training interrupted; the last checkpoint was saved. Continue with: \(resumeCommand)" }
}

extension TrainTeacherCommand {
    /// The log line saying that `stage` is iCaloFlow's layer flow and what its examples are.
    static func describe(_ layout: LayerFlowLayout, stage: String, data: TrainingData) -> String {
        "\(stage): iCaloFlow layer flow over \(layout.layers) layers of \(layout.voxelsPerLayer) voxels (layer n given layer n-1, "
            + "E_n, E_n-1, E_inc and n; context \(layout.contextFeatures) values): \(data.trainExamples(.teacher).count) training and "
            + "\(data.validationExamples(.teacher).count) validation examples, one per layer and shower; its losses and log-likelihoods are per layer"
    }
}
