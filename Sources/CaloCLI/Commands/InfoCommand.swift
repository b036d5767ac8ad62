import CaloData

/// `caloflow info FILE`: what a shower file holds, or the validation error that stops it.
public struct InfoCommand: Command {
    public static let name = "info"
    public static let abstract = "Describe a shower file (CaloGAN layout) or say what is wrong with it."
    public static let discussion = """
        Validates the CaloGAN layout (dataset names, shapes, event counts, dtypes) and every \
        value (finite, non-negative), then prints the events, datasets with their storage, \
        units, particle, generator and seed, the incident-energy range, and per-layer energy \
        statistics. Exits 1 with a message naming the file, dataset and event when the file \
        is not valid.
        """
    static let file = PositionalSpec("file", help: "Shower file (HDF5, CaloGAN layout).")
    static let maxEvents = Option.optionalInt("max-events", defaultLabel: "all", range: 1..., help: "Summarise only the first N events.")
    public static let options: [OptionSpec] = [maxEvents.spec]
    public static let positionals = [file]
    public static let examples = ["info datasets/eplus.h5", "info eplus.hdf5 --max-events 10000"]

    let path: String
    let limit: Int?

    public init(_ arguments: ParsedArguments) throws {
        path = arguments.value(Self.file) ?? ""
        limit = arguments[Self.maxEvents]
    }

    public func run(_ context: CommandContext) throws {
        let summary = try ShowerFileSummary(path: path, maxEvents: limit)
        context.console.output.write(summary.description + "\n")
    }
}
