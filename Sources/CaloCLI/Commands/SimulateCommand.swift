import CaloData
import CaloSimulation
import CaloTensor

/// `caloflow simulate`: reference showers from the built-in GFlash-style simulator, written
/// in the CaloGAN layout, or in the CaloChallenge flat layout for `--geometry ds1-photons|ds1-pions|ds2|ds3`.
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
        --energies or --energies-from says otherwise. \
        --geometry ds2 or ds3 simulates electrons in the silicon-tungsten sampling stack of the \
        CaloChallenge datasets 2 and 3 (45 readout layers of 2 x (1.4 mm W + 0.3 mm Si)), binned \
        in the dataset's (r, alpha) voxels (6480 or 40,500), with energies log-uniform in \
        1 GeV - 1 TeV, the cells holding the silicon deposits with sampling fluctuations and \
        the dataset's readout threshold (0.5 keV, 15.15 keV); the file is in the CaloChallenge \
        flat layout (incident_energies (N,1) and showers (N,voxels), both MeV). \
        --geometry ds1-photons (photons, 368 voxels in layers 0, 1, 2, 3, 12) or ds1-pions \
        (pi+, 533 voxels in layers 0, 1, 2, 3, 12, 13, 14) simulates CaloChallenge dataset 1 in a \
        planar ATLAS-like barrel (aluminium dead material, a liquid-argon presampler, a 22.4 X0 \
        lead/argon stand-in for the accordion, an iron/scintillator Tile calorimeter of 7.4 \
        lambda_I), energies one of the 15 values 256 MeV x 2^k up to 4.19 TeV; the cells hold the \
        deposited energy calibrated to the electromagnetic scale with sampling fluctuations \
        (--deposit total: absorber + active deposits without fluctuations); energy in dead \
        material and in layers the dataset does not voxelise is not recorded. Same flat layout. \
        The output is identical for a seed whatever the thread \
        count. The file appears under its name only when complete.
        """
    static let particle = Option.string("particle", short: "p", default: "the geometry's",
                                        help: "Incident particle: eplus (e+), eminus (e-), gamma (photon) or piplus (pi+); "
                                            + "default eplus for calogan, gamma for ds1-photons, piplus for ds1-pions, eminus for ds2 and ds3.")
    static let geometry = Option.string("geometry", short: "g", default: "calogan", valueName: "name",
                                        help: "Detector to simulate: \(SimulatedDetector.names.joined(separator: ", ")) "
                                            + "(ds1-photons: gamma only; ds1-pions: piplus only).")
    static let events = Option.int("events", short: "n", default: 10_000, range: 1...100_000_000,
                                   help: "Number of showers.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output HDF5 file.")
    static let deposit = Option.choice("deposit", default: DepositMode.active,
                                       help: "active: energy in the liquid-argon gaps (later CaloGAN application, real LAr calorimeters); total: lead + argon (the 2017 CaloGAN files on Mendeley).")
    static let batchSize = Option.int("batch-size", default: 10_000, range: 1...1_000_000,
                                      help: "Showers simulated and written per batch (memory stays flat); by default "
                                          + "10,000 or fewer, so that a batch holds at most 20 million voxels (ds3: 493).")
    /// Voxels per batch by default (80 MB of Float32 voxels; ds3: 493 showers).
    static let defaultBatchVoxels = 20_000_000
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")

    public static let options: [OptionSpec] = [geometry.spec, particle.spec, events.spec, output.spec] + EnergyOptions.specs
        + [deposit.spec, batchSize.spec, force.spec] + CommonOptions.specs
    public static let examples = [
        "simulate --particle eplus --events 100000 --seed 7 --output datasets/eplus.h5",
        "simulate -p gamma -n 10000 --energy 50 -o gamma-50GeV.h5",
        "simulate -p piplus -n 20000 --energy-range 10,20 -o piplus.h5",
        "simulate -p eplus -n 20000 --deposit total -o eplus-total.h5",
        "simulate --geometry ds1-photons -n 10000 -o ds1-photons.h5",
        "simulate --geometry ds1-pions -n 10000 --energy 65.536 -o ds1-pions-65GeV.h5",
        "simulate --geometry ds2 -n 10000 -o ds2-electrons.h5",
        "simulate --geometry ds3 -n 2000 --energy 100 -o ds3-100GeV.h5",
    ]

    let particleKind: Particle
    let detector: SimulatedDetector
    let count: Int
    let outputPath: String
    let energyOptions: EnergyOptions
    let depositMode: DepositMode
    let batch: Int
    let overwrite: Bool
    let common: CommonOptions

    public init(_ a: ParsedArguments) throws {
        let name = a[Self.geometry]
        guard let d = SimulatedDetector.named(name) else {
            if CalorimeterGeometry.named(name) != nil {
                throw ValidationError("--geometry: the simulator has no \(name) detector yet; it simulates "
                                      + SimulatedDetector.names.joined(separator: ", "))
            }
            throw ValidationError("--geometry: unknown geometry '\(name)'; the simulator knows "
                                  + SimulatedDetector.names.joined(separator: ", "))
        }
        detector = d
        if a.contains(Self.particle) {
            guard let p = Particle(name: a[Self.particle]) else {
                throw ValidationError("--particle: unknown particle '\(a[Self.particle])'; use eplus, eminus, gamma or piplus")
            }
            guard d.particles.contains(p) else {
                throw ValidationError("--particle: the simulator has no \(p.rawValue) showers for the \(name) geometry; "
                                      + "it simulates \(d.particles.map(\.rawValue).joined(separator: ", ")) there")
            }
            particleKind = p
        } else {
            particleKind = d.defaultParticle
        }
        count = a[Self.events]
        outputPath = a[Self.output]
        depositMode = a[Self.deposit]
        batch = a.contains(Self.batchSize) ? a[Self.batchSize]
            : max(1, min(10_000, Self.defaultBatchVoxels / d.geometry.voxelCount))
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
        let spectrum = try energyOptions.spectrum(default: detector.spectrum)
        let simulator = try ShowerSimulator(particle: particleKind, options: SimulationOptions(depositMode: depositMode),
                                            detector: detector)
        var metadata = ShowerFileMetadata(particle: particleKind.rawValue,
                                          generator: "caloflow built-in GFlash-style simulator (\(depositMode.rawValue) deposits)",
                                          seed: common.seed, appVersion: BuildInfo.version)
        metadata.extra["energy_spectrum"] = spectrum.description
        metadata.extra[ShowerFileLayout.AttributeName.deposit] = depositMode.rawValue
        metadata.extra[ShowerFileLayout.AttributeName.depositNote] = detector.depositSummary(depositMode)
        let geometry = detector.geometry
        if !geometry.isCaloGAN {
            metadata.extra["simulated_stack"] = detector.stackSummary
            if detector.readoutThreshold > 0 {
                metadata.extra["readout_threshold_mev"] = String(detector.readoutThreshold)
            }
        }
        let writer = try ShowerFileWriter(path: outputPath, metadata: metadata,
                                          format: geometry.isCaloGAN ? .calogan : .flat, geometry: geometry,
                                          replaceExisting: overwrite)
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
        case .logUniform(let r): return "log-uniform \(r.lowerBound)-\(r.upperBound) GeV"
        case .discrete(let l): return "one of \(l.count) energies (GeV) with equal probability: " + l.map { String($0) }.joined(separator: ",")
        }
    }
}
