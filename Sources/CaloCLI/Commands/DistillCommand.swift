import CaloData
import CaloFlows
import CaloPipeline
import CaloTensor

/// `caloflow distill`: the IAF student from the frozen teacher (CaloFlow II).
public struct DistillCommand: Command {
    public static let name = "distill"
    public static let abstract = "Distill the fast IAF student from the trained teacher (probability density distillation)."
    public static let discussion = """
        Loads flow1-best.h5 and teacher-best.h5 from the run directory and trains an inverse \
        autoregressive flow with the teacher's permutations to reproduce the teacher: matching \
        data-path and latent-path endpoints, every intermediate state and every raw MADE \
        output (CaloFlow II's fully guided loss, L = (1 - beta) L_z + beta L_x). The student \
        with the lowest validation KL(student || teacher) is kept as student-best.h5. After \
        training it reports the student-teacher agreement on held-out showers. Ctrl-C saves \
        student-last.h5; --resume continues from it.
        """
    static let run = Option.path("run", short: "r", default: nil, help: "Run directory with flow1-best.h5 and teacher-best.h5.")
    static let config = Option.optionalPath("config", defaultLabel: "the run's config.json", help: "Configuration whose 'student' section is used.")
    static let data = Option.optionalPath("data", defaultLabel: "the teacher's training file", help: "Showers for the data-driven term (HDF5, CaloGAN layout).")
    static let resume = Option.flag("resume", help: "Continue an interrupted distillation from student-last.h5.")
    public static let options: [OptionSpec] = [run.spec, config.spec, data.spec, resume.spec] + TrainingOptions.specs + CommonOptions.specs
    public static let examples = ["distill --run runs/eplus", "distill --run runs/eplus --resume",
                                  "mpirun -np 4 caloflow distill --run runs/paper-eplus"]

    let runPath: String
    let configPath: String?
    let dataPath: String?
    let resuming: Bool
    let training: TrainingOptions
    let common: CommonOptions

    public init(_ a: ParsedArguments) throws {
        runPath = a[Self.run]
        configPath = a[Self.config]
        dataPath = a[Self.data]
        resuming = a[Self.resume]
        training = try TrainingOptions(a)
        common = try CommonOptions(a)
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        let started = monotonicSeconds()
        let run = RunDirectory(path: runPath)
        guard FileSystem.isDirectory(run.path) else { throw ValidationError("--run: \(runPath) is not a run directory") }
        // Rank 0 alone holds the lock and writes run.json and log.txt.
        let lock = ParallelJob.isLeader ? try run.lock(command: CommandLine.arguments.joined(separator: " ")) : nil
        defer { lock?.release() }
        try run.checkCanStart(resume: resuming, stages: ["student"])
        if resuming { _ = try run.resumeCheckpoint(stage: "student") }
        let config = try CaloFlowConfig.load(path: configPath ?? run.configPath)
        let (flowI, flowIInfo, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: "flow1", .best), stage: .flow1)
        let (teacher, teacherInfo, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: "teacher", .best), stage: .teacher)
        let architecture = config.student.architecture
        guard architecture.blocks == teacherInfo.architecture.blocks else {
            throw ValidationError("the student needs the teacher's \(teacherInfo.architecture.blocks) blocks (config says \(architecture.blocks))")
        }
        var settings = config.student.training
        let file = dataPath ?? teacherInfo.trainingData.file
        let setup = try training.setup(stage: "student", run: run, resuming: resuming, threads: common.threads)
        if ParallelJob.isLeader {
            try logger.openLogFile(run.logPath)
            try run.recordInvocation(RunInvocation(command: Self.name, commandLine: CommandLine.arguments, seed: common.seed,
                                                   threads: common.threads, dataFile: file, appVersion: BuildInfo.version,
                                                   started: ShowerFileMetadata.utcTimestamp(), resumed: resuming,
                                                   processes: ParallelJob.size, gradientShards: ["student": setup.shards],
                                                   extra: BuildInfo.runFacts))
        }
        defer { logger.closeLogFile() }
        let batch = settings.batchSize
        let data = try TrainingData(path: file, maxEvents: settings.maxEvents, validationFraction: settings.validationFraction,
                                    seed: common.seed, geometry: teacherInfo.geometry.isBuiltIn ? nil : teacherInfo.geometry,
                                    rows: setup.size > 1 && !LayerFlowLayout.uses(teacherInfo.geometry) ? { split in
                                        try DistillationTrainer.rowsNeeded(split, batchSize: batch, shards: setup.shards,
                                                                           rank: setup.rank, size: setup.size)
                                    } : nil)
        try ModelCheckpoint.requireGeometry(teacherInfo.geometry, of: run.checkpointPath(stage: "teacher", .best), fits: data.geometry,
                                            source: "\(file) holds showers")
        if ParallelJob.isLeader { try run.recordGeometry(data.geometry, source: file) }
        var rng = Xoshiro256(seed: common.seed, stream: RandomStreams.initialization &+ 16)
        let student = try CaloFlowModels.flowII(kind: .iaf, architecture, geometry: teacherInfo.geometry, name: "student",
                                                permutations: teacher.permutations, rng: &rng)
        let info = FlowModelInfo(stage: .student, kind: .iaf, architecture: architecture, preprocessing: teacherInfo.preprocessing,
                                 trainingData: data.summary, geometry: teacherInfo.geometry)
        logger.info("student: \(architecture.blocks) IAF blocks, hidden \(architecture.hiddenFeatures) x \(architecture.hiddenLayers), "
                    + "\(student.parameters.reduce(0) { $0 + $1.count }) parameters; distilling from \(run.checkpointPath(stage: "teacher", .best)) "
                    + "with \(data.summary.trainingEvents) showers of \(file) (beta \(settings.beta), \(settings.guided ? "guided" : "unguided"))")
        logger.info(TrainingOptions.describe(setup, stage: "student"))
        if let layout = data.layerLayout { logger.info(TrainTeacherCommand.describe(layout, stage: "student", data: data)) }
        let budget = training.timeLimitSeconds ?? config.timeLimit?.distillSeconds
        let probe = DistillationTrainer(teacher: teacher, student: student, flowI: flowI, flowIInfo: flowIInfo, info: info,
                                        settings: settings, data: data, run: run, seed: common.seed, appVersion: BuildInfo.version,
                                        parallel: setup)
        var deadline: StageDeadline<DistillationSettings>? = nil
        if let planned = try TrainingOptions.schedulePlan(
            stage: "student", resuming: resuming, budgetSeconds: budget.map { $0 - (monotonicSeconds() - started) },
            run: run, logger: logger, stepsPerEpoch: { try probe.shardPlan().stepsPerEpoch }, configured: settings,
            measure: { try probe.measureTiming() }) {
            (settings, deadline) = planned
        }
        let trainer = DistillationTrainer(teacher: teacher, student: student, flowI: flowI, flowIInfo: flowIInfo, info: info,
                                          settings: settings, data: data, run: run, seed: common.seed, appVersion: BuildInfo.version,
                                          parallel: setup, deadline: deadline)
        TrainingSignals.install()
        defer { TrainingSignals.restoreDefaults() }
        let observer = TrainingProgress(logger: logger)
        let outcome = try collectively { try trainer.train(resume: resuming, observer: observer) }
        observer.finish()
        if ParallelJob.isLeader { try writeLossPlot(run: run, stage: "student", history: outcome.history) }
        if outcome.interrupted {
            ParallelJob.endedTogether = true
            let prefix = ParallelJob.size > 1 ? "mpirun -np \(ParallelJob.size) " : ""
            throw TrainingInterrupted(resumeCommand: prefix + "caloflow distill --run \(runPath) --seed \(common.seed) --threads \(common.threads) --resume")
        }
        if let a = outcome.agreement {
            logger.info("student vs teacher on \(min(trainer.validationLimit, data.validationIndices.count)) held-out showers (last epoch): "
                        + "KL \(HumanFormat.fixed(a.kl, 3)) nats, data-path MSE \(HumanFormat.fixed(a.dataReconstruction, 4)), "
                        + "latent-path MSE \(HumanFormat.fixed(a.latentReconstruction, 4)), teacher log-likelihood of student samples "
                        + "\(HumanFormat.fixed(a.teacherLogLikelihoodOfStudent, 2)) vs of real showers \(HumanFormat.fixed(a.teacherLogLikelihoodOfData, 2))")
        }
        logger.info("student: best KL \(outcome.bestKL.map { HumanFormat.fixed($0, 3) } ?? "-") at epoch "
                    + "\(outcome.bestEpoch.map(String.init) ?? "-") -> \(run.checkpointPath(stage: "student", .best))")
    }
}
