import CaloData
import CaloSimulation
import CaloTensor

/// `caloflow simulate`: reference showers from the built-in GFlash-style simulator, written
/// in the CaloGAN layout.
public struct SimulateCommand: Command {
    public static let name = "simulate"
    public static let abstract = "Simulate reference showers with the built-in GFlash-style simulator."
    public static let discussion = """
        Writes N showers of one particle (e+, gamma or pi+) in the CaloGAN HDF5 layout: \
        energy (N,1) in GeV, layer_0 (N,3,96), layer_1 (N,12,12), layer_2 (N,12,6) and \
        overflow (N,3) in MeV, float32, chunked and gzip-compressed, with the particle, \
        generator, seed, version and deposit kind as attributes. By default the cells hold \
        the energy deposited in the liquid-argon gaps (--deposit active), as a real \
        liquid-argon calorimeter and the later versions of the CaloGAN Geant4 application \
        record: about 0.19 of the energy of an e+, with sampling fluctuations in every cell. \
        --deposit total stores lead and argon deposits together (about 0.996 of an e+'s \
        energy, no sampling fluctuations), the convention of the 2017 CaloGAN application \
        that made the published Mendeley files (DOI 10.17632/pvn3xc3wy5.1); use it to \
        compare with those files. Incident energies are uniform in \
        [1, 100] GeV like the CaloGAN Geant4 samples, unless --energy, --energy-range, \
        --energies or --energies-from says otherwise. The output is identical for a seed whatever the thread \
        count. The file appears under its name only when complete.
        """
    static let particle = Option.string("particle", short: "p", default: "eplus",
                                        help: "Incident particle: eplus (e+), gamma (photon) or piplus (pi+).")
    static let events = Option.int("events", short: "n", default: 10_000, range: 1...100_000_000,
                                   help: "Number of showers.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output HDF5 file.")
    static let deposit = Option.choice("deposit", default: DepositMode.active,
                                       help: "active: energy in the liquid-argon gaps (later CaloGAN application, real LAr calorimeters); total: lead + argon (the 2017 CaloGAN files on Mendeley).")
    static let batchSize = Option.int("batch-size", default: 10_000, range: 1...1_000_000,
                                      help: "Showers simulated and written per batch (memory stays flat).")
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")

    public static let options: [OptionSpec] = [particle.spec, events.spec, output.spec] + EnergyOptions.specs
        + [deposit.spec, batchSize.spec, force.spec] + CommonOptions.specs
    public static let examples = [
        "simulate --particle eplus --events 100000 --seed 7 --output datasets/eplus.h5",
        "simulate -p gamma -n 10000 --energy 50 -o gamma-50GeV.h5",
        "simulate -p piplus -n 20000 --energy-range 10,20 -o piplus.h5",
        "simulate -p eplus -n 20000 --deposit total -o eplus-total.h5",
    ]

    let particleKind: Particle
    let count: Int
    let outputPath: String
    let energyOptions: EnergyOptions
    let depositMode: DepositMode
    let batch: Int
    let overwrite: Bool
    let common: CommonOptions

    public init(_ a: ParsedArguments) throws {
        guard let p = Particle(name: a[Self.particle]) else {
            throw ValidationError("--particle: unknown particle '\(a[Self.particle])'; use eplus, gamma or piplus")
        }
        particleKind = p
        count = a[Self.events]
        outputPath = a[Self.output]
        depositMode = a[Self.deposit]
        batch = a[Self.batchSize]
        overwrite = a[Self.force]
        common = try CommonOptions(a)
        energyOptions = try EnergyOptions(a)
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        if !overwrite, FileSystem.exists(outputPath) {
            throw ValidationError("\(outputPath) exists; pass --force to replace it")
        }
        let spectrum = try energyOptions.spectrum(default: 1...100)   // the CaloGAN Geant4 samples' range
        let simulator = try ShowerSimulator(particle: particleKind, options: SimulationOptions(depositMode: depositMode))
        var metadata = ShowerFileMetadata(particle: particleKind.rawValue,
                                          generator: "caloflow built-in GFlash-style simulator (\(depositMode.rawValue) deposits)",
                                          seed: common.seed, appVersion: BuildInfo.version)
        metadata.extra["energy_spectrum"] = spectrum.description
        metadata.extra[ShowerFileLayout.AttributeName.deposit] = depositMode.rawValue
        metadata.extra[ShowerFileLayout.AttributeName.depositNote] = depositMode.summary
        let writer = try ShowerFileWriter(path: outputPath, metadata: metadata, replaceExisting: overwrite)
        let progress = ProgressLine(label: "simulate \(particleKind.rawValue)", total: count, unit: "showers", logger: logger)
        let start = monotonicSeconds()
        try streamShowers(plan: ShowerBatchPlan(count: count, batchSize: batch), into: writer, progress: progress) { range, _ in
            let energies = spectrum.energies(count: range.count, seed: common.seed, firstEventIndex: range.lowerBound)
            return try simulator.simulate(energies: energies, seed: common.seed, firstEventIndex: range.lowerBound)
        }
        let elapsed = monotonicSeconds() - start
        logger.info("wrote \(count) \(particleKind.rawValue) showers to \(outputPath) in \(HumanFormat.duration(elapsed)) "
                    + "(\(HumanFormat.rate(Double(count) / elapsed, unit: "showers")), \(common.threads) threads, seed \(common.seed))")
    }
}

extension EnergySpectrum: CustomStringConvertible {
    public var description: String {
        switch self {
        case .uniform(let r): return "uniform \(r.lowerBound)-\(r.upperBound) GeV"
        case .fixed(let e): return "fixed \(e) GeV"
        case .list(let l): return "list of \(l.count) energies (GeV): " + l.prefix(10).map { String($0) }.joined(separator: ",") + (l.count > 10 ? ",..." : "")
        }
    }
}
