import Foundation
import CaloData
import CaloEvaluation

/// Writes the output folder of `caloflow evaluate`: images/*.png, plots/*.svg, report.html
/// (self-contained: PNGs embedded, SVGs inline) and report.json (every number). Every file is
/// written to a temporary sibling and renamed; report.json comes last with `"complete": true`,
/// so a folder whose report.json says complete holds a finished evaluation.
public struct EvaluationReportWriter {
    /// The output folder (created with its parents if missing).
    public let directory: String
    /// Optional latent-space calibration of a flow, shown in its own section when given.
    public var latentCalibration: LatentCalibration?
    /// Where the latents came from (the teacher checkpoint), for the report.
    public var latentModel: String

    public init(directory: String, latentCalibration: LatentCalibration? = nil, latentModel: String = "") {
        self.latentModel = latentModel
        self.directory = directory
        self.latentCalibration = latentCalibration
    }

    /// Paths written (relative to `directory`), in order.
    public struct Output: Sendable {
        public var files: [String] = []
        public var reportHTML: String
        public var reportJSON: String
    }

    /// Renders and writes everything; returns the result as stored in report.json.
    /// - Parameter elapsedBeforeReport: seconds spent before this call (added to "total").
    public func write(_ run: EvaluationRun, elapsedBeforeReport: Double = 0) throws -> (Output, EvaluationResult) {
        let start = Date()
        for d in [directory, directory + "/images", directory + "/plots"] { try FileSystem.createDirectories(d) }
        var output = Output(reportHTML: directory + "/report.html", reportJSON: directory + "/report.json")
        var result = run.result
        let prov = result.provenance

        var report = HTMLReport(title: "caloflow evaluation: \(prov.referenceParticle ?? "?") reference vs generated",
                                subtitle: "\(prov.startedAt) · caloflow \(prov.appVersion) · \(prov.eventsUsed) showers per sample")
        summarySection(&report, result)
        try classifierSection(&report, result, &output)
        try imageSections(&report, run, &output)
        try distributionSection(&report, result, &output)
        try featureSection(&report, result, &output)
        if let latentCalibration {
            try Self.latentCalibrationSection(&report, latentCalibration, directory: directory, output: &output)
            result.latentCalibration = LatentCalibrationSummary(latentCalibration, model: latentModel)
        }

        try Self.finishHTML(&report, timings: &result.timings, started: start, elapsedBeforeReport: elapsedBeforeReport,
                            command: prov.commandLine,
                            note: "Every number of this page, the per-epoch training history included, is in report.json next to it.",
                            output: &output)
        result.complete = true
        try AtomicFile.write(Array(try Self.json(result)), to: output.reportJSON)
        output.files.append("report.json")
        return (output, result)
    }

    /// report.json bytes: sorted keys, pretty-printed; NaN and infinities as strings.
    public static func json<T: Encodable>(_ result: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(result)
    }

    // MARK: - Sections

    private func summarySection(_ r: inout HTMLReport, _ res: EvaluationResult) {
        let p = res.provenance, c = res.configuration
        r.section("Summary")
        var rows: [(key: String, value: String)] = [
            ("reference file", "\(p.referencePath) (\(p.referenceEventsInFile) showers, particle \(p.referenceParticle ?? "not recorded"))"),
            ("generated file", "\(p.generatedPath) (\(p.generatedEventsInFile) showers, particle \(p.generatedParticle ?? "not recorded"))"),
            ("reference generator", p.referenceGenerator ?? "not recorded"),
            ("generated generator", p.generatedGenerator ?? "not recorded"),
            ("showers used per sample", "\(p.eventsUsed) (the first ones of each file)"),
            ("voxel threshold", "\(Self.g(c.thresholdMeV)) MeV (applied to both samples before features, classifier inputs and images)"),
            ("seed", "\(c.seed)"),
            ("threads", "\(p.threads)"),
        ]
        for s in res.classifiers {
            rows.append(("AUC \(s.variant.title)", Self.pm(s.auc, 3) + "   (JSD " + Self.pm(s.jsd, 3) + ")"))
        }
        if let m = res.challengeMetrics {
            rows.append(("CaloChallenge FPD / KPD", m.summary + " (on \(m.featureNames.count) high-level features; report.json: challengeMetrics)"))
        }
        r.keyValueTable(rows, caption: "Inputs and headline numbers")
        for w in p.warnings { r.paragraph("Warning: " + w) }
    }

    private func classifierSection(_ r: inout HTMLReport, _ res: EvaluationResult, _ out: inout Output) throws {
        guard !res.classifiers.isEmpty else { return }
        let o = res.configuration.classifier
        r.section("Classifier test")
        r.paragraph(Self.classifierDescription(o))
        var rows: [[String]] = []
        for s in res.classifiers {
            let epochs = s.runs.map { "\($0.bestEpoch)/\($0.history.count)" }.joined(separator: ", ")
            rows.append([s.variant.title, Self.pm(s.auc, 4), Self.pm(s.calibratedAUC, 4), Self.pm(s.accuracy, 4),
                         Self.pm(s.calibratedAccuracy, 4), Self.pm(s.jsd, 4), "\(s.runs.count)", epochs,
                         Self.f(s.runs.reduce(0) { $0 + $1.seconds }, 1)])
        }
        r.table(header: ["classifier", "AUC", "calibrated AUC", "accuracy", "calibrated accuracy", "JSD", "runs",
                         "best/trained epochs", "time [s]"], rows: rows,
                caption: "Test-set scores (mean ± standard deviation over runs)")
        var perRun: [[String]] = []
        for s in res.classifiers {
            for run in s.runs {
                perRun.append([s.variant.title, "\(run.seed)", "\(run.trainCount)/\(run.validationCount)/\(run.testCount)",
                               Self.f(run.scores.auc, 4), Self.f(run.scores.calibratedAUC, 4), Self.f(run.scores.accuracy, 4),
                               Self.f(run.scores.jsd, 4), "\(run.bestEpoch)", run.stopReason])
            }
        }
        r.table(header: ["classifier", "seed", "train/val/test", "AUC", "calibrated AUC", "accuracy", "JSD",
                         "best epoch", "stopped by"], rows: perRun, caption: "Every run (set sizes count both classes)")
        var figures: [HTMLReport.Figure] = []
        for s in res.classifiers {
            for (k, run) in s.runs.enumerated() {
                let h = run.history, x = h.map { Double($0.epoch) }
                let loss = LinePlot(title: "\(s.variant.title), run \(k + 1): loss", xLabel: "epoch", yLabel: "BCE", series: [
                    .init(label: "training", x: x, y: h.map(\.trainLoss), color: PlotStyle.palette[0]),
                    .init(label: "validation", x: x, y: h.map(\.validationLoss), color: PlotStyle.palette[1], dashed: true),
                ])
                let metrics = LinePlot(title: "\(s.variant.title), run \(k + 1): validation", xLabel: "epoch",
                                       yLabel: "accuracy, AUC", series: [
                    .init(label: "accuracy", x: x, y: h.map(\.validationAccuracy), color: PlotStyle.palette[1]),
                    .init(label: "AUC", x: x, y: h.map(\.validationAUC), color: PlotStyle.palette[2], dashed: true),
                ])
                for (kind, var plot) in [("loss", loss), ("validation", metrics)] {
                    plot.width = 560
                    plot.height = 380
                    let name = "plots/classifier_\(s.variant.rawValue)_run\(k + 1)_\(kind).svg"
                    let svg = try plot.svg()
                    try writeText(svg, name, &out)
                    figures.append(.svg(Self.uniqueIDs(svg), caption: kind == "loss"
                        ? "\(s.variant.title) run \(k + 1): training and validation loss per epoch"
                        : "\(s.variant.title) run \(k + 1): validation accuracy and AUC (best epoch \(run.bestEpoch) kept)"))
                }
            }
        }
        r.figureGrid(figures, columnWidth: 440)
    }

    private func imageSections(_ r: inout HTMLReport, _ run: EvaluationRun, _ out: inout Output) throws {
        let im = run.images, n = run.result.provenance.eventsUsed, geo = im.geometry, drawn = Self.drawnGeometries(geo)
        r.section("Average showers")
        r.paragraph("Mean energy per cell over all \(n) showers of each sample, log colour scale from 0.01 MeV, one shared range per layer; the third column is generated / reference per cell (grey where both are empty).\(Self.polarNote(geo))\(Self.layerNote(geo))")
        let avg = try LayerFigure.averageComparison(reference: Self.layers(im.referenceMean, geo), generated: Self.layers(im.generatedMean, geo), geometries: drawn,
                                                    title: "Average shower (\(n) per sample)")
        var figures = [try png(avg, "images/average_shower.png", caption: "Average shower per layer", &out)]
        r.figureGrid(figures, columnWidth: 900)

        r.section("Average showers in bins of incident energy")
        figures = []
        for b in im.energyBins {
            let range = "\(Self.g(b.lower))-\(Self.g(b.upper)) GeV"
            guard b.referenceCount > 0 || b.generatedCount > 0 else { continue }
            let fig = try LayerFigure.averageComparison(reference: Self.layers(b.referenceMean, geo), generated: Self.layers(b.generatedMean, geo), geometries: drawn,
                                                        title: "E_inc \(range): \(b.referenceCount) ref., \(b.generatedCount) gen.")
            figures.append(try png(fig, "images/average_shower_E_\(Self.g(b.lower))-\(Self.g(b.upper))GeV.png",
                                   caption: "Average shower, E_inc \(range) (\(b.referenceCount) reference, \(b.generatedCount) generated showers)", &out))
        }
        r.figureGrid(figures, columnWidth: 640)

        guard !im.pairs.isEmpty else { return }
        r.section("Single showers")
        r.paragraph("Reference showers at evenly spaced quantiles of E_inc, each next to the generated shower closest in E_inc; one log colour range per layer row.")
        var showers: [[[Double]]] = [], titles: [String] = []
        for p in im.pairs {
            showers.append(Self.layers(p.reference.map(Double.init), geo)); titles.append("ref \(Self.f(p.referenceEnergy, 1)) GeV")
            showers.append(Self.layers(p.generated.map(Double.init), geo)); titles.append("gen \(Self.f(p.generatedEnergy, 1)) GeV")
        }
        let single = try LayerFigure.singleShowers(showers, titles: titles, geometries: drawn, title: "Single showers: reference (ref) and generated (gen)")
        r.figureGrid([try png(single, "images/single_showers.png", caption: "Single showers, pairs matched in E_inc", &out)], columnWidth: 1200)
    }

    private func distributionSection(_ r: inout HTMLReport, _ res: EvaluationResult, _ out: inout Output) throws {
        r.section("Incident energy and voxel spectrum")
        let ks = res.incidentEnergy
        r.paragraph("Incident energies: reference \(Self.g(ks.referenceRange[0]))-\(Self.g(ks.referenceRange[1])) GeV, generated \(Self.g(ks.generatedRange[0]))-\(Self.g(ks.generatedRange[1])) GeV; two-sample Kolmogorov-Smirnov D = \(Self.f(ks.statistic, 4)), p = \(Self.g(ks.pValue)). The classifiers see log E_inc, so different spectra alone would make the samples separable.")
        r.figureGrid(try res.distributions.map { try histogramFigure($0, logY: $0.name == "voxel_energy", &out) })
    }

    private func featureSection(_ r: inout HTMLReport, _ res: EvaluationResult, _ out: inout Output) throws {
        r.section("High-level features")
        r.paragraph("\(Self.featureSetSentence(res)) after the \(Self.g(res.configuration.thresholdMeV)) MeV threshold. Separation power = ½ Σ (p−q)²/(p+q) of the normalized histograms (arXiv:2009.03796 eq. 15): 0 for identical shapes, 1 for disjoint ones. Sorted, worst first.")
        let rows = res.featuresBySeparation.enumerated().map { k, c in
            ["\(k + 1)", c.name, c.unit.isEmpty ? "-" : c.unit, c.separationPower.map { Self.e($0) } ?? "n/a",
             Self.g(c.referenceMean), Self.g(c.generatedMean)]
        }
        r.table(header: ["rank", "feature", "unit", "separation power", "reference mean", "generated mean"], rows: rows,
                caption: "Separation power per feature")
        r.figureGrid(try res.features.map { try histogramFigure($0, logY: false, &out) }, columnWidth: 420)
    }

    /// Ends a report page: sets the "report" and "total" wall times, adds the "Run details" section
    /// (wall time per stage, the command, `note`) and writes the HTML file.
    static func finishHTML(_ report: inout HTMLReport, timings: inout [String: Double], started: Date,
                           elapsedBeforeReport: Double, command: String, note: String, output: inout Output) throws {
        timings["report"] = Date().timeIntervalSince(started)
        timings["total"] = elapsedBeforeReport + timings["report"]!
        report.section("Run details")
        report.keyValueTable(timingRows(timings), caption: "Wall time per stage")
        report.paragraph("Command: \(command)")
        report.paragraph(note)
        try AtomicFile.write(text: report.render(), to: output.reportHTML)
        output.files.append("report.html")
    }

    /// The classifier test described in words (network, training, split, calibration, variants).
    static func classifierDescription(_ o: ClassifierTrainingOptions) -> String {
        """
            A DNN learns to tell reference (label 1) from generated (label 0) showers (CaloFlow, arXiv:2106.05285 §6; \
            0.5 = indistinguishable, 1 = perfectly separable). Network: \(o.hidden.count) hidden layers of \
            \(o.hidden.map(String.init).joined(separator: "/")) with LeakyReLU(\(Self.g(Double(o.leakySlope)))), no dropout, \
            one logit; BCE with logits; Adam, learning rate \(Self.g(o.learningRate)), batch \(o.batchSize)\(o.shards > 1 ? " in \(o.shards) gradient shards" : ""); at most \
            \(o.maxEpochs) epochs\(o.patience > 0 ? ", stopped when the validation accuracy has not improved for \(o.patience) epochs" : ""). \
            Each class is split \(Int(o.trainFraction * 100))/\(Int(o.validationFraction * 100))/\(100 - Int(o.trainFraction * 100) - Int(o.validationFraction * 100)) \
            into training, validation and test sets (seeded). \
            \(o.standardize ? "Inputs are standardized with the mean and standard deviation of the training set (CaloFlow feeds them raw). " : "")\
            The epoch with the best validation accuracy is kept, an isotonic regression fitted on the validation set calibrates \
            its outputs, and all numbers below are on the held-out test set. JSD = (ln 2 − BCE of the calibrated \
            probabilities) / ln 2; it scatters around 0 (slightly negative values included) when the classifier cannot \
            tell the samples apart. Variants: DNN-low = the voxels/(100 GeV), log10 E_inc and one log10 energy per layer \
            (508 inputs for CaloGAN); normalized = voxels divided by their layer energy; DNN-high = 41 CaloFlow high-level \
            features for CaloGAN showers, the CaloChallenge's high-level classifier input for other geometries.
            """
    }

    /// A "Latent calibration" section: ||z||² of reference showers against χ²(D).
    public static func latentCalibrationSection(_ r: inout HTMLReport, _ c: LatentCalibration, directory: String,
                                                output: inout Output) throws {
        r.section("Latent calibration")
        r.paragraph("Latent codes of reference showers: mean ||z||² \(g(c.mean)) (expected \(c.dimension)), variance \(g(c.variance)) (expected \(2 * c.dimension)), mean pull \(f(c.meanPull, 2)) σ, KS D = \(f(c.ks.statistic, 4)), p = \(g(c.ks.pValue)).")
        let svg = try HistogramCurvePlot.latentCalibration(squaredNorms: c.squaredNorms, dimension: c.dimension).svg()
        try AtomicFile.write(text: svg, to: directory + "/plots/latent_calibration.svg")
        output.files.append("plots/latent_calibration.svg")
        r.figureGrid([.svg(uniqueIDs(svg), caption: "||z||² against χ²(\(c.dimension))")])
    }

    // MARK: - Figures

    private func histogramFigure(_ c: HistogramComparison, logY: Bool, _ out: inout Output) throws -> HTMLReport.Figure {
        let b = c.reference.binning
        var plot = HistogramPlot(title: c.label, xLabel: c.unit.isEmpty ? c.label : "\(c.label) [\(c.unit)]", edges: b.edges,
                                 reference: c.reference.counts, generated: c.generated.counts, logX: b.scale == .log, logY: logY)
        plot.separationPower = c.separationPower ?? .nan
        let svg = try plot.svg()
        try writeText(svg, "plots/\(c.name).svg", &out)
        let outside = c.reference.underflow + c.reference.overflow + c.generated.underflow + c.generated.overflow
        let note = outside > 0 ? " (outside range: ref \(Int(c.reference.underflow + c.reference.overflow)), gen \(Int(c.generated.underflow + c.generated.overflow)))" : ""
        return .svg(Self.uniqueIDs(svg), caption: c.name + note)
    }

    private func png(_ image: RGBImage, _ name: String, caption: String, _ out: inout Output) throws -> HTMLReport.Figure {
        try Self.png(image, name, caption: caption, directory: directory, &out)
    }

    private func writeText(_ text: String, _ name: String, _ out: inout Output) throws {
        try Self.writeText(text, name, directory: directory, &out)
    }

    /// Writes `image` as `<directory>/<name>` (PNG) and returns it as a figure for the page.
    static func png(_ image: RGBImage, _ name: String, caption: String, directory: String,
                    _ out: inout Output) throws -> HTMLReport.Figure {
        let bytes = try PNGCodec.encode(image)
        try AtomicFile.write(bytes, to: directory + "/" + name)
        out.files.append(name)
        return .png(bytes, caption: caption)
    }

    /// Writes `text` as `<directory>/<name>`.
    static func writeText(_ text: String, _ name: String, directory: String, _ out: inout Output) throws {
        try AtomicFile.write(text: text, to: directory + "/" + name)
        out.files.append(name)
    }

    // MARK: - Helpers

    nonisolated(unsafe) private static var svgCounter = 0

    /// Gives the clip-path ids of an SVG a unique suffix: inline SVGs share one id namespace
    /// in the HTML page, and every plot names its clip paths "main", "ratio" or "plot".
    static func uniqueIDs(_ svg: String) -> String {
        svgCounter += 1
        var s = svg
        for id in ["main", "ratio", "plot"] {
            s = s.replacingOccurrences(of: "id=\"\(id)\"", with: "id=\"\(id)-\(svgCounter)\"")
                 .replacingOccurrences(of: "url(#\(id))", with: "url(#\(id)-\(svgCounter))")
        }
        return s
    }

    /// What the feature histograms are: the CaloFlow observables (CaloGAN) or the challenge's.
    static func featureSetSentence(_ res: EvaluationResult) -> String {
        if res.provenance.geometry.map({ $0 != "calogan" }) ?? false {
            return "The CaloChallenge high-level feature histograms (its evaluate.py bins: E_tot/E_inc, layer energies, centres and widths in η and φ of the layers binned in alpha) and caloflow's sparsity and radial moments per layer, \(res.features.count) in all,"
        }
        return "The \(res.features.count) CaloFlow shower observables (method §8)"
    }

    /// At most this many layers are drawn per figure (datasets 2 and 3 have 45).
    static let maximumDrawnLayers = 9

    /// Indices (into `geometry.layers`) of the layers the figures draw: all of them up to
    /// `maximumDrawnLayers`, else that many spread evenly from the first to the last.
    static func drawnLayers(_ geometry: CalorimeterGeometry) -> [Int] {
        let n = geometry.layerCount, k = maximumDrawnLayers
        guard n > k else { return Array(0..<n) }
        return (0..<k).map { Int((Double($0) * Double(n - 1) / Double(k - 1)).rounded()) }
    }

    /// The drawn layers' geometries, for `LayerFigure`.
    static func drawnGeometries(_ geometry: CalorimeterGeometry) -> [LayerGeometry] {
        let all = LayerGeometry.layers(of: geometry)
        return drawnLayers(geometry).map { all[$0] }
    }

    /// The drawn layers' values of one flat shower or average, `[layer][cell]`.
    static func layers(_ flat: [Double], _ geometry: CalorimeterGeometry) -> [[Double]] {
        drawnLayers(geometry).map { Array(flat[geometry.layers[$0].voxelRange]) }
    }

    /// A sentence on how polar layers are drawn, "" for grids.
    static func polarNote(_ geometry: CalorimeterGeometry) -> String {
        geometry.isPolar ? " Polar layers are discs seen along the beam axis, every radial bin a ring of the same width (bin edges in mm on the axis), angle counter-clockwise from the horizontal." : ""
    }

    /// A sentence naming the drawn layers when not all are drawn, else "".
    static func layerNote(_ geometry: CalorimeterGeometry) -> String {
        let drawn = drawnLayers(geometry)
        guard drawn.count < geometry.layerCount else { return "" }
        return " Layers drawn (\(drawn.count) of \(geometry.layerCount)): " + drawn.map { String(geometry.layers[$0].id) }.joined(separator: ", ") + "."
    }

    static func timingRows(_ t: [String: Double]) -> [(key: String, value: String)] {
        t.sorted { $0.key < $1.key }.map { ($0.key, f($0.value, 1) + " s") }
    }

    static func f(_ x: Double, _ d: Int) -> String { String(format: "%.\(d)f", x) }
    static func e(_ x: Double) -> String { String(format: "%.2e", x) }
    static func g(_ x: Double) -> String { String(format: "%g", x) }
    static func pm(_ m: MeanAndSpread, _ d: Int) -> String {
        m.count > 1 ? "\(f(m.mean, d)) ± \(f(m.standardDeviation, d))" : f(m.mean, d)
    }
}
