import CaloData
import CaloPipeline
import CaloSimulation
import CaloTensor
import Glibc

/// `caloflow generate`: showers from a trained run (Flow I + student or teacher).
public struct GenerateCommand: Command {
    public static let name = "generate"
    public static let abstract = "Generate showers from a trained run (Flow I + student, or the teacher)."
    public static let discussion = """
        Draws incident energies (uniform over the training range by default), samples layer \
        energies from Flow I and normalized voxels from Flow II, undoes the preprocessing and \
        writes the showers in the CaloGAN layout, batch by batch (memory stays flat for any \
        N). Voxels below --threshold are set to zero; every written energy is finite and \
        non-negative. The student samples in one pass; the teacher needs one pass per voxel \
        and is much slower. Prints the time per shower.
        """
    static let model = Option.path("model", short: "m", default: nil, help: "Run directory with flow1-best.h5 and teacher-best.h5 / student-best.h5.")
    static let flow = Option.string("flow", default: "auto", help: "Flow II to sample from: student, teacher, or auto (student when it exists).")
    static let events = Option.int("events", short: "n", default: 10_000, range: 1...100_000_000, help: "Number of showers.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output HDF5 file.")
    static let energy = Option.optionalDouble("energy", defaultLabel: "none", range: .between(0.001, 10_000), help: "Fixed incident energy in GeV.")
    static let energyRange = Option.doubleList("energy-range", default: [], range: .between(0.001, 10_000), valueName: "lo,hi",
                                               help: "Uniform incident energies in [lo, hi] GeV (default: the training range).")
    static let energies = Option.doubleList("energies", default: [], range: .between(0.001, 10_000), valueName: "e1,e2,...",
                                            help: "Incident energies in GeV, used in order and cycled.")
    static let energiesFrom = Option.optionalPath("energies-from", help: "Take incident energies (GeV) from a file: the 'energy' dataset of an HDF5 shower file, or a text file with one number per line.")
    static let batchSize = Option.int("batch-size", default: 10_000, range: 1...1_000_000, help: "Showers generated and written per batch.")
    static let threshold = Option.optionalDouble("threshold", defaultLabel: "model's (0.01)", range: .between(0, 1e5), help: "Voxels below this energy (MeV) are set to 0.")
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")
    public static let options: [OptionSpec] = [model.spec, flow.spec, events.spec, output.spec, energy.spec, energyRange.spec, energies.spec,
                                               energiesFrom.spec, batchSize.spec, threshold.spec, force.spec] + CommonOptions.specs
    public static let examples = [
        "generate --model runs/eplus --events 100000 --output generated/eplus.h5",
        "generate --model runs/eplus --flow teacher --events 2000 --output teacher.h5",
        "generate --model runs/eplus --energies-from datasets/eplus.h5 --events 20000 -o gen.h5",
    ]

    let runPath: String
    let flowChoice: String
    let count: Int
    let outputPath: String
    let fixedEnergy: Double?
    let range: [Double]
    let list: [Double]
    let listFile: String?
    let batch: Int
    let thresholdMeV: Double?
    let overwrite: Bool
    let common: CommonOptions

    public init(_ a: ParsedArguments) throws {
        runPath = a[Self.model]
        flowChoice = a[Self.flow]
        guard ["auto", "student", "teacher"].contains(flowChoice) else {
            throw ValidationError("--flow: unknown flow '\(flowChoice)'; use student, teacher or auto")
        }
        count = a[Self.events]
        outputPath = a[Self.output]
        fixedEnergy = a[Self.energy]
        range = a[Self.energyRange]
        list = a[Self.energies]
        listFile = a[Self.energiesFrom]
        batch = a[Self.batchSize]
        thresholdMeV = a[Self.threshold]
        overwrite = a[Self.force]
        common = try CommonOptions(a)
        let given = [fixedEnergy != nil, a.contains(Self.energyRange), a.contains(Self.energies), listFile != nil].filter { $0 }.count
        if given > 1 { throw ValidationError("give only one of --energy, --energy-range, --energies and --energies-from") }
        if a.contains(Self.energyRange), !(range.count == 2 && range[0] < range[1]) {
            throw ValidationError("--energy-range takes two increasing energies lo,hi in GeV")
        }
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        if !overwrite, FileSystem.exists(outputPath) { throw ValidationError("\(outputPath) exists; pass --force to replace it") }
        let run = RunDirectory(path: runPath)
        guard FileSystem.isDirectory(run.path) else { throw ValidationError("--model: \(runPath) is not a run directory") }
        let stage: FlowStage
        switch flowChoice {
        case "student": stage = .student
        case "teacher": stage = .teacher
        default: stage = FileSystem.exists(run.checkpointPath(stage: "student", .best)) ? .student : .teacher
        }
        let generator = try ShowerGenerator(run: run, stage: stage)
        if let t = thresholdMeV { generator.preprocessing.thresholdMeV = t }
        let spectrum = try energySpectrum(default: generator.trainingEnergyRange)
        let info = generator.flowIIInfo
        if stage == .teacher && count > 5000 {
            logger.warning("the teacher samples one voxel at a time; \(count) showers will take long (use the student for production)")
        }
        var metadata = ShowerFileMetadata(particle: info.trainingData.particle, generator: "caloflow \(stage.rawValue) (\(runPath))",
                                          seed: common.seed, appVersion: BuildInfo.version)
        metadata.extra["energy_spectrum"] = spectrum.description
        metadata.extra["threshold_mev"] = String(generator.preprocessing.thresholdMeV)
        metadata.extra["flow1_checkpoint"] = run.checkpointPath(stage: "flow1", .best)
        metadata.extra["flow2_checkpoint"] = run.checkpointPath(stage: stage.rawValue, .best)
        let writer = try ShowerFileWriter(path: outputPath, metadata: metadata)
        let progress = ProgressLine(label: "generate (\(stage.rawValue))", total: count, unit: "showers", logger: logger)
        let start = monotonicSeconds()
        var done = 0, batchIndex = 0
        do {
            while done < count {
                let n = min(batch, count - done)
                let energies = spectrum.energies(count: n, seed: common.seed, firstEventIndex: done).map { Float($0) }
                let showers = try generator.generate(incidentGeV: energies, seed: common.seed, batchIndex: batchIndex)
                try writer.append(showers)
                done += n
                batchIndex += 1
                progress.update(done)
            }
            try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
        progress.finish()
        let elapsed = monotonicSeconds() - start
        logger.info("wrote \(count) showers to \(outputPath) with the \(stage.rawValue): \(HumanFormat.fixed(1000 * elapsed / Double(count), 3)) ms per shower "
                    + "(\(HumanFormat.rate(Double(count) / elapsed, unit: "showers")), \(common.threads) threads, seed \(common.seed))")
    }

    func energySpectrum(default training: ClosedRange<Double>) throws -> EnergySpectrum {
        let s: EnergySpectrum
        if let e = fixedEnergy { s = .fixed(e) }
        else if range.count == 2 { s = .uniform(range[0]...range[1]) }
        else if !list.isEmpty { s = .list(list) }
        else if let f = listFile { s = .list(try Self.readEnergies(f)) }
        else { s = .uniform(training) }
        try s.validate()
        return s
    }

    /// Incident energies (GeV) from an HDF5 shower file's `energy` dataset or a text file.
    static func readEnergies(_ path: String) throws -> [Double] {
        guard FileSystem.exists(path) else { throw ValidationError("--energies-from: \(path) does not exist") }
        let isHDF5 = (try? HDF5File(path: path, mode: .readOnly)) != nil
        if isHDF5 {
            let reader = try ShowerFileReader(path: path)
            var out = [Double]()
            try reader.forEachBatch(size: 50_000) { b, _ in out.append(contentsOf: b.incidentEnergy.map(Double.init)) }
            return out
        }
        guard let fp = fopen(path, "r") else { throw ValidationError("--energies-from: cannot read \(path)") }
        defer { fclose(fp) }
        var values = [Double](), lineNumber = 0
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), fp) != nil {
            lineNumber += 1
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let v = Double(line), v > 0, v.isFinite else {
                throw ValidationError("--energies-from: \(path) line \(lineNumber): '\(line)' is not a positive energy in GeV")
            }
            values.append(v)
        }
        guard !values.isEmpty else { throw ValidationError("--energies-from: \(path) holds no energies") }
        return values
    }
}
