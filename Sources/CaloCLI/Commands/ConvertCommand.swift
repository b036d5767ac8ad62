import CaloData
import CaloTensor

/// The layout `convert` writes: the other one (`auto`) or a named one.
enum ConvertTarget: String, CaseIterable, Sendable {
    case auto, calogan, flat
}

/// `caloflow convert`: a shower file from one HDF5 layout into the other, CaloGAN
/// (energy, layer_0/1/2, overflow) or flat CaloChallenge-style (incident_energies, showers), or
/// a flat file of any geometry re-written (float32, caloflow's chunking and compression).
public struct ConvertCommand: Command {
    public static let name = "convert"
    public static let abstract = "Convert a shower file between the CaloGAN and the flat CaloChallenge-style layout, or re-write a flat file."
    public static let discussion = """
        CaloGAN layout: energy (N,1) in GeV, layer_0 (N,3,96), layer_1 (N,12,12), layer_2 (N,12,6) \
        and overflow (N,3) in MeV, as the CaloGAN Geant4 samples and caloflow's own files; it \
        holds the CaloGAN geometry only. Flat layout: incident_energies (N,1) and showers (N,D), \
        both in MeV, the CaloChallenge interchange format, for any geometry (CaloGAN's 504 voxels \
        in layer 0, 1, 2 row-major order; the CaloChallenge datasets' 368, 533, 6480 or 40500 \
        voxels in their binning's order). The input's layout is recognised from its dataset \
        names and a flat file's geometry from its geometry attribute or voxel count (or \
        --geometry). By default a CaloGAN-geometry file gets the other layout and a file of \
        another geometry is re-written flat: float32, chunked for its width, gzip-compressed, \
        with the geometry recorded. Energies are converted between GeV and MeV; the flat layout \
        has no overflow, so converting to it drops the overflow (the command says how much) and \
        converting from it writes zeros. Showers are streamed in batches (a few hundred of \
        40,500 voxels), so files of any size convert in little memory. Every shower is validated \
        on the way (finite, non-negative); the output keeps the input's particle, generator, \
        seed and other attributes, records where it came from, and appears under its name only \
        when complete. Every caloflow command also reads flat files directly.
        """
    static let input = Option.path("input", short: "i", default: nil, help: "Shower file to read (either layout).")
    static let output = Option.path("output", short: "o", default: nil, help: "Shower file to write.")
    static let target = Option.choice("to", default: ConvertTarget.auto,
                                      help: "Output layout: calogan, flat, or auto (for CaloGAN showers the layout the input does not have; otherwise flat).")
    static let maxEvents = Option.optionalInt("max-events", defaultLabel: "all", range: 1..., help: "Convert only the first N showers.")
    static let batchSize = Option.int("batch-size", default: 10_000, range: 1...1_000_000,
                                      help: "Showers read and written per batch (memory stays flat); fewer for wide showers, so a batch stays within 128 MB.")
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")

    public static let options: [OptionSpec] = [input.spec, output.spec, target.spec, maxEvents.spec, batchSize.spec,
                                               GeometryOption.option.spec, force.spec]
    public static let examples = [
        "convert --input datasets/eplus.hdf5 --output eplus-flat.h5",
        "convert -i challenge-showers.h5 -o datasets/eplus-from-flat.h5 --to calogan",
        "convert -i runs/eplus/generated-student.h5 -o student-flat.h5 --max-events 10000",
        "convert -i dataset_3_1.hdf5 -o ds3-first-1000.h5 --max-events 1000",
    ]

    let inputPath: String
    let outputPath: String
    let target: ConvertTarget
    let limit: Int?
    let batch: Int
    let overwrite: Bool
    let geometry: GeometryOption

    public init(_ a: ParsedArguments) throws {
        geometry = try GeometryOption(a)
        inputPath = a[Self.input]
        outputPath = a[Self.output]
        target = a[Self.target]
        limit = a[Self.maxEvents]
        batch = a[Self.batchSize]
        overwrite = a[Self.force]
    }

    public func validate() throws {
        if inputPath == outputPath || FileSystem.sameFile(inputPath, outputPath) {
            throw ValidationError("--input and --output are the same file; write the converted file under another name")
        }
    }

    public func run(_ context: CommandContext) throws {
        let reader = try ShowerFileReader(path: inputPath, maxEvents: limit, geometry: try geometry.resolve())
        let caloGAN = reader.geometry.isCaloGAN
        let format: ShowerFileFormat
        switch target {
        case .auto: format = reader.format == .calogan || !caloGAN ? .flat : .calogan
        case .calogan:
            guard caloGAN else {
                throw ValidationError("--to calogan: the CaloGAN layout holds showers of the CaloGAN geometry (504 voxels) only; "
                                      + "\(inputPath) holds showers of \(reader.geometry.name) (\(reader.geometry.voxelCount) voxels), "
                                      + "which are written in the flat layout (--to flat)")
            }
            format = .calogan
        case .flat: format = .flat
        }
        if !overwrite, FileSystem.exists(outputPath) {
            throw ValidationError("\(outputPath) exists; pass --force to replace it")
        }
        var metadata = reader.metadata
        metadata.units = nil   // the writer states its own layout's units
        metadata.creationInfo = nil
        metadata.extra["converted_from"] = "\(inputPath) (\(reader.format.rawValue) layout, \(reader.count) showers)"
        let writer = try ShowerFileWriter(path: outputPath, metadata: metadata, format: format, geometry: reader.geometry,
                                          replaceExisting: overwrite)
        let start = monotonicSeconds()
        var overflowSum = 0.0, showersWithOverflow = 0
        let showersPerBatch = reader.streamingBatchSize(preferred: batch)
        // Not overlapped: reading is HDF5 too, and the library must not be called from two threads.
        try ShowerStreamWriter.write(count: reader.count, batch: showersPerBatch, into: writer, overlap: false) { range, _ in
            let showers = try reader.read(range)
            if format == .flat, showers.geometry.hasOverflow {
                for e in showers.overflow.rowSums() where e > 0 {
                    overflowSum += e
                    showersWithOverflow += 1
                }
            }
            return showers
        }
        let elapsed = monotonicSeconds() - start
        let precision = reader.datasets.values.contains { $0.elementType == .float64 } ? ", float64 to float32" : ""
        context.console.output.write("wrote \(reader.count) showers of \(reader.geometry.name) (\(reader.geometry.voxelCount) voxels) to "
                                     + "\(outputPath) in the \(format.summary) layout (from the \(reader.format.rawValue) layout of "
                                     + "\(inputPath)\(precision)) in \(HumanFormat.duration(elapsed))\n")
        if format == .flat, showersWithOverflow > 0 {
            let mean = overflowSum / Double(reader.count)
            context.console.errorOutput.write("note: the flat layout has no overflow; dropped the overflow of \(showersWithOverflow) showers "
                                              + "(mean \(HumanFormat.fixed(mean, 1)) MeV per shower)\n")
        } else if reader.format == .flat, format == .calogan {
            context.console.errorOutput.write("note: the flat layout has no overflow; the output's overflow is 0\n")
        }
    }
}
