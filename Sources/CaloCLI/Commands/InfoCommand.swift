import CaloData
import CaloPipeline

/// `caloflow info FILE`: what a shower file holds, or the validation error that stops it.
public struct InfoCommand: Command {
    public static let name = "info"
    public static let abstract = "Describe a shower file, a checkpoint or a run directory, or say what is wrong with it."
    public static let discussion = """
        Validates the layout (CaloGAN, or the flat CaloChallenge-style incident_energies + \
        showers; dataset names, shapes, event counts, dtypes) and every \
        value (finite, non-negative), then prints the events, datasets with their storage, \
        units, particle, generator and seed, the incident-energy range, and per-layer energy \
        statistics. Exits 1 with a message naming the file, dataset and event when the file \
        is not valid. For a caloflow checkpoint it prints the kind, model, preprocessing, \
        training data and training progress; for a run directory its checkpoints and the \
        last metrics of each stage.
        """
    static let file = PositionalSpec("file", help: "Shower file (HDF5, CaloGAN or flat layout), checkpoint (.h5) or run directory.")
    static let maxEvents = Option.optionalInt("max-events", defaultLabel: "all", range: 1..., help: "Summarise only the first N events.")
    public static let options: [OptionSpec] = [maxEvents.spec]
    public static let positionals = [file]
    public static let examples = ["info datasets/eplus.h5", "info eplus.hdf5 --max-events 10000", "info runs/eplus",
                                  "info runs/eplus/teacher-best.h5"]

    let path: String
    let limit: Int?

    public init(_ arguments: ParsedArguments) throws {
        path = arguments.value(Self.file) ?? ""
        limit = arguments[Self.maxEvents]
    }

    public func run(_ context: CommandContext) throws {
        if FileSystem.isDirectory(path) {
            context.console.output.write(RunDirectory(path: path).contents().description + "\n")
        } else if let header = try? CheckpointHeader.read(from: path) {
            var text = header.summary
            for (name, json) in header.jsonAttributes.sorted(by: { $0.key < $1.key }) { text += "\n\(name): \(json)" }
            context.console.output.write(text + "\n")
        } else {
            let summary = try ShowerFileSummary(path: path, maxEvents: limit)
            context.console.output.write(summary.description + "\n")
        }
    }
}
