import CaloData
import CaloTensor

/// The layout `convert` writes: the other one (`auto`) or a named one.
enum ConvertTarget: String, CaseIterable, Sendable {
    case auto, calogan, flat
}

/// `caloflow convert`: a shower file from one HDF5 layout into the other, CaloGAN
/// (energy, layer_0/1/2, overflow) or flat CaloChallenge-style (incident_energies, showers).
public struct ConvertCommand: Command {
    public static let name = "convert"
    public static let abstract = "Convert a shower file between the CaloGAN layout and the flat CaloChallenge-style layout."
    public static let discussion = """
        CaloGAN layout: energy (N,1) in GeV, layer_0 (N,3,96), layer_1 (N,12,12), layer_2 (N,12,6) \
        and overflow (N,3) in MeV, as the CaloGAN Geant4 samples and caloflow's own files. Flat \
        layout: incident_energies (N,1) and showers (N,504), both in MeV, the CaloChallenge \
        interchange format, voxels in CaloGAN order (layer 0, 1, 2, each row-major). The input's \
        layout is recognised from its dataset names; by default the output gets the other one. \
        Energies are converted between GeV and MeV; the flat layout has no overflow, so converting \
        to it drops the overflow (the command says how much) and converting from it writes zeros. \
        Every shower is validated on the way (finite, non-negative); the output is float32, \
        chunked and gzip-compressed, keeps the input's particle, generator, seed and other \
        attributes, records where it came from, and appears under its name only when complete. \
        Every caloflow command also reads flat files directly; convert is for other tools.
        """
    static let input = Option.path("input", short: "i", default: nil, help: "Shower file to read (either layout).")
    static let output = Option.path("output", short: "o", default: nil, help: "Shower file to write.")
    static let target = Option.choice("to", default: ConvertTarget.auto,
                                      help: "Output layout: calogan, flat, or auto (the one the input does not have).")
    static let maxEvents = Option.optionalInt("max-events", defaultLabel: "all", range: 1..., help: "Convert only the first N showers.")
    static let batchSize = Option.int("batch-size", default: 10_000, range: 1...1_000_000,
                                      help: "Showers read and written per batch (memory stays flat).")
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")

    public static let options: [OptionSpec] = [input.spec, output.spec, target.spec, maxEvents.spec, batchSize.spec, force.spec]
    public static let examples = [
        "convert --input datasets/eplus.hdf5 --output eplus-flat.h5",
        "convert -i challenge-showers.h5 -o datasets/eplus-from-flat.h5 --to calogan",
        "convert -i runs/eplus/generated-student.h5 -o student-flat.h5 --max-events 10000",
    ]

    let inputPath: String
    let outputPath: String
    let target: ConvertTarget
    let limit: Int?
    let batch: Int
    let overwrite: Bool

    public init(_ a: ParsedArguments) throws {
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
        let reader = try ShowerFileReader(path: inputPath, maxEvents: limit)
        let format: ShowerFileFormat
        switch target {
        case .auto: format = reader.format == .calogan ? .flat : .calogan
        case .calogan: format = .calogan
        case .flat: format = .flat
        }
        if !overwrite, FileSystem.exists(outputPath) {
            throw ValidationError("\(outputPath) exists; pass --force to replace it")
        }
        var metadata = reader.metadata
        metadata.units = nil   // the writer states its own layout's units
        metadata.creationInfo = nil
        metadata.extra["converted_from"] = "\(inputPath) (\(reader.format.rawValue) layout, \(reader.count) showers)"
        let writer = try ShowerFileWriter(path: outputPath, metadata: metadata, format: format, replaceExisting: overwrite)
        let start = monotonicSeconds()
        var overflowSum = 0.0, showersWithOverflow = 0
        // Not overlapped: reading is HDF5 too, and the library must not be called from two threads.
        try ShowerStreamWriter.write(count: reader.count, batch: batch, into: writer, overlap: false) { range, _ in
            let showers = try reader.read(range)
            if format == .flat {
                for e in showers.overflow.rowSums() where e > 0 {
                    overflowSum += e
                    showersWithOverflow += 1
                }
            }
            return showers
        }
        let elapsed = monotonicSeconds() - start
        context.console.output.write("wrote \(reader.count) showers to \(outputPath) in the \(format.summary) layout "
                                     + "(from the \(reader.format.rawValue) layout of \(inputPath)) in \(HumanFormat.duration(elapsed))\n")
        if format == .flat, showersWithOverflow > 0 {
            let mean = overflowSum / Double(reader.count)
            context.console.errorOutput.write("note: the flat layout has no overflow; dropped the overflow of \(showersWithOverflow) showers "
                                              + "(mean \(HumanFormat.fixed(mean, 1)) MeV per shower)\n")
        } else if reader.format == .flat, format == .calogan {
            context.console.errorOutput.write("note: the flat layout has no overflow; the output's overflow is 0\n")
        }
    }
}
