import CaloData
import CaloPipeline
import CaloSimulation
import CaloTensor

/// `caloflow generate`: showers from a trained run (Flow I + student or teacher).
public struct GenerateCommand: Command {
    public static let name = "generate"
    public static let abstract = "Generate showers from a trained run (Flow I + student, or the teacher)."
    public static let discussion = """
        Draws incident energies (uniform over the training range by default), samples layer \
        energies from Flow I and normalized voxels from Flow II, undoes the preprocessing and \
        writes the showers in the CaloGAN layout (or the flat one: --format flat), batch by batch (memory stays flat for any \
        N). Voxels below --threshold are set to zero; every written energy is finite and \
        non-negative. The student samples in one pass; the teacher needs one pass per voxel \
        and is much slower. Prints the time per shower.
        """
    static let model = Option.path("model", short: "m", default: nil, help: "Run directory with flow1-best.h5 and teacher-best.h5 / student-best.h5.")
    static let flow = Option.string("flow", default: "auto", help: "Flow II to sample from: student, teacher, or auto (student when it exists).")
    static let events = Option.int("events", short: "n", default: 10_000, range: 1...100_000_000, help: "Number of showers.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output HDF5 file.")
    static let batchSize = Option.int("batch-size", default: 10_000, range: 1...1_000_000, help: "Showers generated and written per batch.")
    static let threshold = Option.optionalDouble("threshold", defaultLabel: "model's (0.01)", range: .between(0, 1e5), help: "Voxels below this energy (MeV) are set to 0.")
    static let format = Option.choice("format", default: ShowerFileFormat.calogan,
                                      help: "Output layout: calogan (energy in GeV, layer_0/1/2 and overflow in MeV) or flat (CaloChallenge-style incident_energies and showers, MeV; no overflow).")
    static let gzipLevel = Option.int("gzip-level", default: 4, range: 1...9,
                                      help: "gzip level of the output. The writer's compression overlaps generation but shares the cores: level 1 writes about 8 % larger files and spends about a third less time compressing.")
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")
    public static let options: [OptionSpec] = [model.spec, flow.spec, events.spec, output.spec] + EnergyOptions.specs
        + [batchSize.spec, threshold.spec, format.spec, gzipLevel.spec, GeometryOption.option.spec, force.spec] + CommonOptions.specs
    public static let examples = [
        "generate --model runs/eplus --events 100000 --output generated/eplus.h5",
        "generate --model runs/eplus --flow teacher --events 2000 --output teacher.h5",
        "generate --model runs/eplus --energies-from datasets/eplus.h5 --events 20000 -o gen.h5",
        "generate --model runs/eplus --events 100000 --format flat -o challenge-format.h5",
    ]

    let runPath: String
    let flowChoice: String
    let count: Int
    let outputPath: String
    let energyOptions: EnergyOptions
    let batch: Int
    let thresholdMeV: Double?
    let outputFormat: ShowerFileFormat
    let compression: Int
    let overwrite: Bool
    let common: CommonOptions
    let geometry: GeometryOption

    public init(_ a: ParsedArguments) throws {
        geometry = try GeometryOption(a)
        runPath = a[Self.model]
        flowChoice = a[Self.flow]
        guard ["auto", "student", "teacher"].contains(flowChoice) else {
            throw ValidationError("--flow: unknown flow '\(flowChoice)'; use student, teacher or auto")
        }
        count = a[Self.events]
        outputPath = a[Self.output]
        batch = a[Self.batchSize]
        thresholdMeV = a[Self.threshold]
        outputFormat = a[Self.format]
        compression = a[Self.gzipLevel]
        overwrite = a[Self.force]
        common = try CommonOptions(a)
        energyOptions = try EnergyOptions(a)
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        if !overwrite, FileSystem.exists(outputPath) { throw ValidationError("\(outputPath) exists; pass --force to replace it") }
        let run = RunDirectory(path: runPath)
        let stage: FlowStage
        switch flowChoice {
        case "student": stage = .student
        case "teacher": stage = .teacher
        default: stage = FileSystem.exists(run.checkpointPath(stage: "student", .best)) ? .student : .teacher
        }
        let generator = try ShowerGenerator.validated(run: run, stage: stage)
        if let wanted = try geometry.resolve() {
            try ModelCheckpoint.requireGeometry(generator.geometry, of: run.checkpointPath(stage: stage.rawValue, .best), fits: wanted,
                                                source: "\(geometry.label) asks for showers")
        }
        if let t = thresholdMeV { generator.preprocessing.thresholdMeV = t }
        let spectrum = try energyOptions.spectrum(default: generator.trainingEnergyRange)
        if let note = generator.extrapolationWarning(spectrum.bounds) { logger.warning(note) }
        let info = generator.flowIIInfo
        if stage == .teacher && count > 5000 {
            logger.warning("the teacher samples one voxel at a time; \(count) showers will take long (use the student for production)")
        }
        var metadata = ShowerFileMetadata(particle: info.trainingData.particle, generator: "caloflow \(stage.rawValue) (\(runPath))",
                                          seed: common.seed, appVersion: BuildInfo.version)
        metadata.extra["energy_spectrum"] = spectrum.description
        metadata.extra["threshold_mev"] = String(generator.preprocessing.thresholdMeV)
        if let d = info.trainingData.deposit { metadata.extra[ShowerFileLayout.AttributeName.deposit] = d }
        metadata.extra["flow1_checkpoint"] = run.checkpointPath(stage: "flow1", .best)
        metadata.extra["flow2_checkpoint"] = run.checkpointPath(stage: stage.rawValue, .best)
        let writer = try ShowerFileWriter(path: outputPath, metadata: metadata, gzipLevel: compression, format: outputFormat,
                                          geometry: generator.geometry, replaceExisting: overwrite)
        let progress = ProgressLine(label: "generate (\(stage.rawValue))", total: count, unit: "showers", logger: logger)
        let start = monotonicSeconds()
        let seed = common.seed
        try generator.stream(plan: ShowerBatchPlan(count: count, batchSize: batch), seed: seed, energies: { range in
            spectrum.energies(count: range.count, seed: seed, firstEventIndex: range.lowerBound).map { Float($0) }
        }) { stream in
            try streamShowers(plan: stream.plan, into: writer, progress: progress) { range, _ in
                try stream.next(expecting: range)
            }
        }
        let elapsed = monotonicSeconds() - start
        logger.info("wrote \(count) showers to \(outputPath) with the \(stage.rawValue): \(HumanFormat.fixed(1000 * elapsed / Double(count), 3)) ms per shower "
                    + "(\(HumanFormat.rate(Double(count) / elapsed, unit: "showers")), \(common.threads) threads, seed \(common.seed))")
    }
}
