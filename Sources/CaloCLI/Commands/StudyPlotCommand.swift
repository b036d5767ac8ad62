import Foundation
import CaloData
import CaloEvaluation
import CaloRendering

/// `caloflow study-plot`: the figure and the table of the quality-vs-cost study from its results file.
public struct StudyPlotCommand: Command {
    public static let name = "study-plot"
    public static let abstract = "Draw the quality-vs-cost study: AUC against training CPU hours per particle, and its table."
    public static let discussion = """
        Reads a results file of scripts/study/run-point.sh (one JSON line per point, written by \
        study-record; every line is checked and the first bad one is named) and writes \
        <dir>/auc-vs-cpu-hours.svg: classifier AUC against training CPU hours (log scale), one \
        panel per particle, teachers as circles at the CPU time of Flow I + teacher, students \
        as triangles at Flow I + teacher + distillation, one colour per classifier variant, \
        error bars of ± one standard deviation over the classifier runs, and lines along the \
        lowest AUC reached within a given CPU time. <dir>/table.md is the Markdown table behind \
        it (CPU hours, teacher log-likelihood, student KL, AUCs, and the command that reproduces \
        each point), for the README.
        """
    static let results = PositionalSpec("results", help: "Results file (JSON Lines) of the study.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output folder (created if missing).")
    static let classifier = Option.stringList("classifier", default: ClassifierVariant.allCases.map(\.rawValue),
                                              valueName: "v1,v2", help: "Classifier variants to draw: low, low-normalized, high.")
    public static let options: [OptionSpec] = [output.spec, classifier.spec]
    public static let positionals = [results]
    public static let examples = ["study-plot study/results.jsonl -o plots/quality-study",
                                  "study-plot study/results.jsonl -o /tmp/study --classifier low,high"]

    /// File names inside the output folder.
    public static let figureName = "auc-vs-cpu-hours.svg"
    public static let tableName = "table.md"

    let resultsPath: String
    let outputDirectory: String
    let variants: [ClassifierVariant]

    public init(_ a: ParsedArguments) throws {
        resultsPath = a.value(Self.results) ?? ""
        outputDirectory = a[Self.output]
        do { variants = try ClassifierVariant.parseList(a[Self.classifier].joined(separator: ",")) } catch let e as EvaluationError {
            throw ValidationError("--classifier: \(e.message)")
        }
    }

    public func run(_ context: CommandContext) throws {
        guard let data = FileManager.default.contents(atPath: resultsPath) else {
            throw ValidationError("\(resultsPath): " + (FileSystem.exists(resultsPath) ? "cannot be read" : "no such file"))
        }
        let results = try QualityStudyResults(text: String(decoding: data, as: UTF8.self), source: resultsPath)
        guard !results.points.isEmpty else { throw ValidationError("\(resultsPath) holds no study point") }
        if FileSystem.exists(outputDirectory) && !FileSystem.isDirectory(outputDirectory) {
            throw ValidationError("--output \(outputDirectory) exists and is not a folder")
        }
        let svg = try QualityStudyFigure(results: results, variants: variants).svg()
        let table = results.markdownTable(variants: variants)
        try FileSystem.createDirectories(outputDirectory)
        try AtomicFile.write(text: svg, to: outputDirectory + "/" + Self.figureName)
        try AtomicFile.write(text: table, to: outputDirectory + "/" + Self.tableName)
        let counts = results.particles.map { p in "\(p) \(results.points.filter { $0.particle == p }.count)" }.joined(separator: ", ")
        let incomplete = results.points.filter { !$0.cpuTimeComplete }.map { "\($0.particle) '\($0.label)'" }
        if !incomplete.isEmpty {
            context.console.printError("warning: the CPU time of " + incomplete.joined(separator: ", ")
                                       + " is incomplete (an attempt was killed unrecorded); it is a lower bound")
        }
        context.console.output.write("""
            \(results.points.count) points (\(counts))
            figure: \(outputDirectory)/\(Self.figureName)
            table: \(outputDirectory)/\(Self.tableName)

            """)
    }
}
