import CaloData

/// `caloflow merge`: joins the part files of one generation run (`generate --part i/n`) into
/// the file one process would have written (`ShowerFileMerge`).
public struct MergeCommand: Command {
    public static let name = "merge"
    public static let abstract = "Join the part files of one generation run (generate --part i/n) into one shower file."
    public static let discussion = """
        Checks that the files are the n parts of one run: the same models, seed, energy \
        spectrum, batch size, layout, geometry and caloflow version (every attribute but the \
        part's own), each part once, together covering showers 0 ..< N without gap or overlap. \
        Then copies them in shower order into --output: the values unchanged (the result equals, \
        bit for bit, the file of one process with the same seed and options, apart from the \
        generation_processes attribute), one slice of about 10,000 showers in memory at a time. \
        The output appears only when complete; the parts are left as they are. Refuses, naming \
        the files, parts that are missing, given twice, overlapping or from another run.
        """
    static let parts = PositionalSpec("part", arity: .oneOrMore, help: "The part files, in any order.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output HDF5 file.")
    static let gzipLevel = Option.int("gzip-level", default: 4, range: 1...9, help: "gzip level of the output.")
    static let force = Option.flag("force", short: "f", help: "Replace the output file if it exists.")
    public static let positionals = [parts]
    public static let options: [OptionSpec] = [output.spec, gzipLevel.spec, force.spec, CommonOptions.quiet.spec, CommonOptions.verbose.spec]
    public static let examples = [
        "merge parts/eplus-*.h5 -o eplus.h5",
    ]

    let partPaths: [String]
    let outputPath: String
    let compression: Int
    let overwrite: Bool
    let common: CommonOptions

    public init(_ a: ParsedArguments) throws {
        partPaths = a.values(Self.parts)
        outputPath = a[Self.output]
        compression = a[Self.gzipLevel]
        overwrite = a[Self.force]
        let quiet = a[CommonOptions.quiet], verbose = a[CommonOptions.verbose]
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
        common = CommonOptions(verbosity: quiet ? .quiet : verbose ? .verbose : .normal)
    }

    public func run(_ context: CommandContext) throws {
        let logger = common.makeLogger(context.console)
        if !overwrite, FileSystem.exists(outputPath) { throw ValidationError("\(outputPath) exists; pass --force to replace it") }
        for p in partPaths where !FileSystem.exists(p) { throw ValidationError("\(p) does not exist") }
        let plan = try ShowerFileMerge.check(parts: partPaths)
        let progress = ProgressLine(label: "merge \(partPaths.count) parts", total: plan.showers, unit: "showers", logger: logger)
        let n = try ShowerFileMerge.merge(parts: partPaths, into: outputPath, gzipLevel: compression, replaceExisting: overwrite,
                                          progress: { progress.update($0) })
        progress.finish()
        logger.info("wrote \(n) showers from \(partPaths.count) parts to \(outputPath)")
    }
}
