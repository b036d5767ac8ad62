import CaloData
import CaloPipeline
import CaloSimulation
import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

/// `caloflow generate`: showers from a trained run (Flow I + student or teacher).
public struct GenerateCommand: Command {
    public static let name = "generate"
    public static let abstract = "Generate showers from a trained run (Flow I + student, or the teacher)."
    public static let discussion = """
        Draws incident energies (by default uniform over the training range; for a dataset-1 run \
        the dataset's discrete energies inside it, for datasets 2 and 3 log-uniform over it), samples layer \
        energies from Flow I and normalized voxels from Flow II, undoes the preprocessing and \
        writes the showers in the CaloGAN layout for a CaloGAN run (or the flat one: --format flat; runs of \
        other geometries, e.g. dataset 1, write the flat CaloChallenge layout), batch by batch (memory stays flat for any \
        N). Voxels below --threshold are set to zero; every written energy is finite and \
        non-negative. The student samples in one pass; the teacher needs one pass per voxel \
        and is much slower. Prints the time per shower.

        Several processes: under mpirun or srun, rank r of K generates the r-th contiguous block \
        of shower indices, and rank 0 joins the blocks into the one output file; without MPI, \
        --part i/n writes block i of n, and 'caloflow merge' joins the n part files. Either way \
        the file holds the same showers, bit for bit, as one process with the same seed and \
        options (every shower has its own random stream and its incident energy by index); \
        only the generation_processes attribute differs. See README, "Generating on a cluster".
        """
    static let model = Option.path("model", short: "m", default: nil, help: "Run directory with flow1-best.h5 and teacher-best.h5 / student-best.h5.")
    static let flow = Option.string("flow", default: "auto", help: "Flow II to sample from: student, teacher, or auto (student when it exists).")
    static let events = Option.int("events", short: "n", default: 10_000, range: 1...100_000_000, help: "Number of showers.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output HDF5 file.")
    static let batchSize = Option.int("batch-size", default: 10_000, range: 1...1_000_000, help: "Showers generated and written per batch.")
    static let threshold = Option.optionalDouble("threshold", defaultLabel: "model's (0.01)", range: .between(0, 1e5), help: "Voxels below this energy (MeV) are set to 0.")
    static let format = Option.choice("format", default: ShowerFileFormat.calogan,
                                      help: "Output layout: calogan (energy in GeV, layer_0/1/2 and overflow in MeV) or flat (CaloChallenge-style incident_energies and showers, MeV; no overflow). Runs of other geometries than CaloGAN write flat.")
    static let gzipLevel = Option.int("gzip-level", default: 4, range: 1...9,
                                      help: "gzip level of the output. The writer's compression overlaps generation but shares the cores: level 1 writes about 8 % larger files and spends about a third less time compressing.")
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")
    static let part = Option.optionalString("part", defaultLabel: "the whole run", valueName: "i/n",
                                            help: "Write only part i of n (0 ≤ i < n) of the run: its block of shower indices, the same showers as in the whole run, with the part recorded in the file's attributes. Join the n files with 'caloflow merge'. For array jobs without MPI.")
    public static let options: [OptionSpec] = [model.spec, flow.spec, events.spec, output.spec] + EnergyOptions.specs
        + [batchSize.spec, threshold.spec, format.spec, gzipLevel.spec, GeometryOption.option.spec, part.spec, force.spec] + CommonOptions.specs
    public static let examples = [
        "generate --model runs/eplus --events 100000 --output generated/eplus.h5",
        "generate --model runs/eplus --flow teacher --events 2000 --output teacher.h5",
        "generate --model runs/eplus --energies-from datasets/eplus.h5 --events 20000 -o gen.h5",
        "generate --model runs/eplus --events 100000 --format flat -o challenge-format.h5",
        "mpirun -np 4 caloflow generate --model runs/eplus --events 1000000 --seed 7 -o eplus-1M.h5",
        "generate --model runs/eplus --events 1000000 --seed 7 --part 2/8 -o parts/eplus-2.h5",
    ]

    let runPath: String
    let flowChoice: String
    let count: Int
    let outputPath: String
    let energyOptions: EnergyOptions
    let batch: Int
    let thresholdMeV: Double?
    /// nil: the default (calogan for CaloGAN runs, flat for the others).
    let outputFormat: ShowerFileFormat?
    let compression: Int
    let overwrite: Bool
    let common: CommonOptions
    let geometry: GeometryOption
    /// (i, n) of --part.
    let partOption: (index: Int, count: Int)?

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
        outputFormat = a.contains(Self.format) ? a[Self.format] : nil
        compression = a[Self.gzipLevel]
        overwrite = a[Self.force]
        common = try CommonOptions(a)
        energyOptions = try EnergyOptions(a)
        partOption = try a[Self.part].map(Self.parsePart)
    }

    /// "i/n" with 0 ≤ i < n.
    static func parsePart(_ text: String) throws -> (index: Int, count: Int) {
        let fields = text.split(separator: "/", omittingEmptySubsequences: false)
        guard fields.count == 2, let i = Int(fields[0]), let n = Int(fields[1]), n >= 1, n <= 1_000_000, i >= 0, i < n else {
            throw ValidationError("--part takes i/n with 0 ≤ i < n (e.g. --part 0/4 for the first of 4 parts), got '\(text)'")
        }
        return (i, n)
    }

    /// The incident energies drawn without an energy option: uniform over the training range,
    /// for a dataset-1 model the dataset's discrete energies (256 MeV x 2^k) inside it, and for
    /// a dataset-2 or -3 model log-uniform over the training range (those datasets' spectrum).
    static func defaultSpectrum(_ generator: ShowerGenerator) -> EnergySpectrum {
        let range = generator.trainingEnergyRange, g = generator.geometry
        if g.hasSameVoxels(as: .ds2) || g.hasSameVoxels(as: .ds3) { return .logUniform(range) }
        guard g.hasSameVoxels(as: .ds1Photons) || g.hasSameVoxels(as: .ds1Pions),
              case .discrete(let all) = EnergySpectrum.caloChallengeDataset1 else { return .uniform(range) }
        let inside = all.filter { $0 >= range.lowerBound * (1 - 1e-6) && $0 <= range.upperBound * (1 + 1e-6) }
        return inside.isEmpty ? .uniform(range) : .discrete(inside)
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        let job = ParallelJob.group
        if job != nil && partOption != nil {
            throw ValidationError("--part is for runs without MPI; under mpirun each of the \(ParallelJob.size) processes generates its own part")
        }
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
        let spectrum = try energyOptions.spectrum(default: Self.defaultSpectrum(generator))
        if let note = generator.extrapolationWarning(spectrum.bounds) { logger.warning(note) }
        let info = generator.flowIIInfo
        if stage == .teacher && count > 5000 {
            logger.warning("the teacher samples one voxel at a time; \(count) showers will take long (use the student for production)")
        }
        let processes = job?.size ?? partOption?.count ?? 1
        var metadata = ShowerFileMetadata(particle: info.trainingData.particle, generator: "caloflow \(stage.rawValue) (\(runPath))",
                                          seed: common.seed, appVersion: BuildInfo.version)
        metadata.extra["energy_spectrum"] = spectrum.description
        metadata.extra["threshold_mev"] = String(generator.preprocessing.thresholdMeV)
        if let d = info.trainingData.deposit { metadata.extra[ShowerFileLayout.AttributeName.deposit] = d }
        metadata.extra["flow1_checkpoint"] = run.checkpointPath(stage: "flow1", .best)
        metadata.extra["flow2_checkpoint"] = run.checkpointPath(stage: stage.rawValue, .best)
        metadata.extra["batch_size"] = String(batch)
        metadata.extra[Self.processesAttribute] = String(processes)
        let partition = GenerationPartition(count: count, batchSize: batch, flowBatch: generator.flowBatch, parts: processes)
        let setup = Setup(generator: generator, stage: stage, spectrum: spectrum, metadata: metadata, partition: partition)
        if let job {
            try runAsRank(of: job, setup, logger: logger)
            return
        }
        if let (i, n) = partOption {
            let part = ShowerFilePart(index: i, count: n, showers: partition.range(ofPart: i), runShowers: count)
            if part.showers.isEmpty {
                logger.warning("part \(i)/\(n) holds no showers: \(count) showers make only \(partition.units) blocks of \(partition.unit) "
                               + "(whole passes of the run); a smaller --batch-size gives more, smaller blocks")
            }
            var m = metadata
            for (k, v) in part.attributes { m.extra[k] = v }
            m.extra[Self.modelsAttribute] = try Self.modelsIdentity(run: run, stage: stage)
            try write(part.showers, of: setup, metadata: m, to: outputPath, replaceExisting: overwrite, logger: logger, label: "part \(i)/\(n)")
            return
        }
        try write(0..<count, of: setup, metadata: metadata, to: outputPath, replaceExisting: overwrite, logger: logger, label: nil)
    }

    /// Root attribute: the number of processes (MPI ranks or --part jobs) the run was cut into.
    static let processesAttribute = "generation_processes"
    /// Part attribute: the checkpoints' identity (creation stamp and size), so that parts
    /// generated from a retrained run under the same path are not merged.
    static let modelsAttribute = ShowerFilePart.attributePrefix + "models"

    /// What every process of a run shares.
    struct Setup {
        let generator: ShowerGenerator
        let stage: FlowStage
        let spectrum: EnergySpectrum
        let metadata: ShowerFileMetadata
        let partition: GenerationPartition
    }

    /// "flow1 <created> <bytes> B; <stage> <created> <bytes> B" for the run's best checkpoints.
    static func modelsIdentity(run: RunDirectory, stage: FlowStage) throws -> String {
        try [FlowStage.flow1, stage].map { s in
            let path = run.checkpointPath(stage: s.rawValue, .best)
            let header = try CheckpointHeader.read(from: path)
            var st = stat()
            let bytes = stat(path, &st) == 0 ? Int(st.st_size) : -1
            return "\(s.rawValue) \(header.created) \(bytes) B"
        }.joined(separator: "; ")
    }

    /// Generates the run's showers `showers` (in order, each from its own stream) into `path`.
    func write(_ showers: Range<Int>, of setup: Setup, metadata: ShowerFileMetadata, to path: String, replaceExisting: Bool,
               logger: Logger, label: String?) throws {
        let writer = try ShowerFileWriter(path: path, metadata: metadata, gzipLevel: compression, format: outputFormat ?? (setup.generator.geometry.isCaloGAN ? .calogan : .flat),
                                          geometry: setup.generator.geometry, replaceExisting: replaceExisting)
        let what = label.map { " (\($0))" } ?? ""
        let progress = ProgressLine(label: "generate (\(setup.stage.rawValue))\(what)", total: showers.count, unit: "showers", logger: logger)
        let start = monotonicSeconds()
        let seed = common.seed, spectrum = setup.spectrum, first = showers.lowerBound
        if showers.isEmpty {
            try writer.finish()
        } else {
            try setup.generator.stream(plan: ShowerBatchPlan(count: showers.count, batchSize: batch), seed: seed, firstShower: first,
                                       runShowers: setup.partition.count, workers: Parallel.maxWorkers, singleThreadedBLAS: true, energies: { range in
                spectrum.energies(count: range.count, seed: seed, firstEventIndex: first + range.lowerBound).map { Float($0) }
            }) { stream in
                try streamShowers(plan: stream.plan, into: writer, progress: progress) { range, _ in
                    try stream.next(expecting: range)
                }
            }
        }
        let elapsed = monotonicSeconds() - start, n = max(1, showers.count)
        let indices = label == nil ? "" : " (showers \(showers.lowerBound)..<\(showers.upperBound) of \(setup.partition.count))"
        logger.info("wrote \(showers.count) showers\(indices) to \(path) with the \(setup.stage.rawValue): \(HumanFormat.fixed(1000 * elapsed / Double(n), 3)) ms per shower "
                    + "(\(HumanFormat.rate(Double(n) / elapsed, unit: "showers")), \(common.threads) threads, seed \(common.seed))")
    }
}
