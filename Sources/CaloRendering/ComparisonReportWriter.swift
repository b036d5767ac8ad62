import Foundation
import CaloData
import CaloEvaluation

/// Writes the output folder of `caloflow evaluate` with several generated samples: one
/// report.html that puts the samples side by side (summary table, classifier scores, average
/// showers, overlaid histograms with one ratio panel per sample, separation powers per sample)
/// and one report.json (`EvaluationComparisonResult`), plus images/*.png and plots/*.svg. As the
/// single-sample writer: every file goes to a temporary sibling and is renamed; report.json comes
/// last with `"complete": true`.
public struct ComparisonReportWriter {
    /// One generated sample as the writer needs it: its numbers and the data of its images.
    public struct Sample {
        public var summary: EvaluationSample
        public var images: EvaluationImages

        public init(summary: EvaluationSample, images: EvaluationImages) {
            self.summary = summary; self.images = images
        }
    }

    /// The output folder (created with its parents if missing).
    public let directory: String
    /// Latent calibrations of the reference showers, by teacher checkpoint (see `EvaluationSample.result.latentCalibration`).
    public var latentCalibrations: [String: LatentCalibration]

    public init(directory: String, latentCalibrations: [String: LatentCalibration] = [:]) {
        self.directory = directory
        self.latentCalibrations = latentCalibrations
    }

    /// Renders and writes everything; returns the result as stored in report.json.
    /// - Parameters:
    ///   - comparison: the numbers; its `samples` must be those of `samples`, in the same order.
    ///   - elapsedBeforeReport: seconds spent before this call (added to "total").
    public func write(_ comparison: EvaluationComparisonResult, samples: [Sample],
                      elapsedBeforeReport: Double = 0) throws -> (EvaluationReportWriter.Output, EvaluationComparisonResult) {
        guard samples.count == comparison.samples.count, samples.count >= 1,
              zip(samples, comparison.samples).allSatisfy({ $0.summary.label == $1.label }) else {
            throw RenderError.invalidInput("comparison report: the images do not match the samples")
        }
        let start = Date()
        for d in [directory, directory + "/images", directory + "/plots"] { try FileSystem.createDirectories(d) }
        var output = EvaluationReportWriter.Output(reportHTML: directory + "/report.html", reportJSON: directory + "/report.json")
        var result = comparison
        let labels = result.samples.map(\.label)

        var report = HTMLReport(title: "caloflow evaluation: \(result.referenceParticle ?? "?") reference vs "
                                    + labels.joined(separator: ", "),
                                subtitle: "\(result.startedAt) · caloflow \(result.appVersion) · \(result.samples.count) generated samples, "
                                    + "\(result.eventsUsed) showers each")
        summarySection(&report, result)
        try classifierSection(&report, result, &output)
        try imageSections(&report, result, samples.map(\.images), &output)
        try distributionSection(&report, result, &output)
        try featureSection(&report, result, &output)
        try latentSections(&report, result, &output)

        try EvaluationReportWriter.finishHTML(
            &report, timings: &result.timings, started: start, elapsedBeforeReport: elapsedBeforeReport, command: result.commandLine,
            note: "Every number of this page, the per-epoch training history of every classifier included, is in report.json next to it: one entry per sample under \"samples\", each with the structure of a single-sample report under \"result\".",
            output: &output)
        result.complete = true
        for k in result.samples.indices { result.samples[k].result.complete = true }
        try AtomicFile.write(Array(try Self.json(result)), to: output.reportJSON)
        output.files.append("report.json")
        return (output, result)
    }

    /// report.json bytes: sorted keys, pretty-printed; NaN and infinities as strings.
    public static func json(_ result: EvaluationComparisonResult) throws -> Data { try EvaluationReportWriter.json(result) }

    // MARK: - Sections

    private func summarySection(_ r: inout HTMLReport, _ res: EvaluationComparisonResult) {
        let c = res.configuration
        r.section("Summary")
        r.keyValueTable([
            ("reference file", "\(res.referencePath) (\(res.referenceEventsInFile) showers, particle \(res.referenceParticle ?? "not recorded"))"),
            ("reference generator", res.referenceGenerator ?? "not recorded"),
            ("showers used per sample", "\(res.eventsUsed) (the first ones of each file; the same reference showers for every sample)"),
            ("voxel threshold", "\(g(c.thresholdMeV)) MeV (applied to every sample before features, classifier inputs and images)"),
            ("classifier runs", "\(c.classifierRuns) per variant and sample (seeds \(c.seed) to \(c.seed + UInt64(c.classifierRuns - 1)), the same for every sample)"),
            ("threads", "\(res.threads)"),
        ], caption: "Reference and settings")
        r.table(header: ["sample", "file", "flow", "particle", "generator", "showers in file"], rows: res.samples.map { s in
            let p = s.result.provenance
            return [s.label, s.path, s.flow ?? "-", p.generatedParticle ?? "not recorded", p.generatedGenerator ?? "not recorded",
                    "\(p.generatedEventsInFile)"]
        }, caption: "Generated samples")

        let variants = c.variants
        let training = res.samples.contains { $0.training != nil }
        var header = ["sample"] + variants.map { "AUC \($0.title)" } + variants.map { "JSD \($0.title)" }
        if training { header += ["teacher val. log-likelihood", "student val. KL"] }
        header.append("largest separation power")
        let challenge = res.samples.contains { $0.result.challengeMetrics != nil }
        if challenge { header.append("CaloChallenge FPD / KPD x10^3") }
        let rows: [[String]] = res.samples.map { s in
            var row = [s.label]
            for v in variants { row.append(s.result.classifiers.first { $0.variant == v }.map { pm($0.auc, 3) } ?? "-") }
            for v in variants { row.append(s.result.classifiers.first { $0.variant == v }.map { pm($0.jsd, 3) } ?? "-") }
            if training {
                row.append(s.training?.teacherValidationLogLikelihood.map { f($0, 2) } ?? "-")
                row.append(s.training?.studentValidationKL.map { f($0, 2) } ?? "-")
            }
            if let worst = s.result.featuresBySeparation.first, let sp = worst.separationPower {
                row.append("\(worst.name) \(e(sp))")
            } else {
                row.append("-")
            }
            if challenge {
                row.append(s.result.challengeMetrics.map { "\(f($0.fpd.valueTimes1e3, 2)) ± \(f($0.fpd.errorTimes1e3, 2)) / \(f($0.kpd.valueTimes1e3, 2)) ± \(f($0.kpd.errorTimes1e3, 2))" } ?? "-")
            }
            return row
        }
        r.table(header: header, rows: rows, caption: "Headline numbers (AUC and JSD: mean ± standard deviation over "
                + "\(c.classifierRuns) classifier run\(c.classifierRuns == 1 ? "" : "s"); 0.5 and 0 = indistinguishable)")
        if training {
            r.paragraph("Teacher validation log-likelihood (nats per shower, higher is better) and student validation KL(student || teacher) (nats per shower, lower is better): the best epoch of the run given with --model for the sample, from its metrics.jsonl.")
        }
        for w in res.warnings { r.paragraph("Warning: " + w) }
    }

    private func classifierSection(_ r: inout HTMLReport, _ res: EvaluationComparisonResult, _ out: inout EvaluationReportWriter.Output) throws {
        guard !res.configuration.variants.isEmpty else { return }
        r.section("Classifier test")
        r.paragraph(EvaluationReportWriter.classifierDescription(res.configuration.classifier)
                    + " Every sample is tested against the same reference showers with the same seeds, so the reference half of every split is the same.")
        var rows: [[String]] = [], perRun: [[String]] = []
        for s in res.samples {
            for c in s.result.classifiers {
                let epochs = c.runs.map { "\($0.bestEpoch)/\($0.history.count)" }.joined(separator: ", ")
                rows.append([s.label, c.variant.title, pm(c.auc, 4), pm(c.calibratedAUC, 4), pm(c.accuracy, 4),
                             pm(c.calibratedAccuracy, 4), pm(c.jsd, 4), "\(c.runs.count)", epochs, f(c.runs.reduce(0) { $0 + $1.seconds }, 1)])
                for run in c.runs {
                    perRun.append([s.label, c.variant.title, "\(run.seed)", "\(run.trainCount)/\(run.validationCount)/\(run.testCount)",
                                   f(run.scores.auc, 4), f(run.scores.calibratedAUC, 4), f(run.scores.accuracy, 4),
                                   f(run.scores.jsd, 4), "\(run.bestEpoch)", run.stopReason])
                }
            }
        }
        r.table(header: ["sample", "classifier", "AUC", "calibrated AUC", "accuracy", "calibrated accuracy", "JSD", "runs",
                         "best/trained epochs", "time [s]"], rows: rows, caption: "Test-set scores (mean ± standard deviation over runs)")
        r.table(header: ["sample", "classifier", "seed", "train/val/test", "AUC", "calibrated AUC", "accuracy", "JSD",
                         "best epoch", "stopped by"], rows: perRun, caption: "Every run (set sizes count both classes)")
        var figures: [HTMLReport.Figure] = []
        for s in res.samples {
            for c in s.result.classifiers {
                var loss: [LinePlot.Series] = [], auc: [LinePlot.Series] = []
                for (k, run) in c.runs.enumerated() {
                    let h = run.history, x = h.map { Double($0.epoch) }, color = PlotStyle.palette[k % PlotStyle.palette.count]
                    loss.append(.init(label: "run \(k + 1) training", x: x, y: h.map(\.trainLoss), color: color))
                    loss.append(.init(label: "run \(k + 1) validation", x: x, y: h.map(\.validationLoss), color: color, dashed: true))
                    auc.append(.init(label: "run \(k + 1)", x: x, y: h.map(\.validationAUC), color: color))
                }
                let plots = [("loss", LinePlot(title: "\(s.label), \(c.variant.title): loss", xLabel: "epoch", yLabel: "BCE", series: loss)),
                             ("validation", LinePlot(title: "\(s.label), \(c.variant.title): validation AUC", xLabel: "epoch",
                                                     yLabel: "AUC", series: auc))]
                for (kind, var plot) in plots {
                    plot.width = 560
                    plot.height = 380
                    let svg = try plot.svg()
                    try EvaluationReportWriter.writeText(svg, "plots/classifier_\(c.variant.rawValue)_\(s.label)_\(kind).svg",
                                                         directory: directory, &out)
                    figures.append(.svg(EvaluationReportWriter.uniqueIDs(svg), caption: kind == "loss"
                        ? "\(s.label), \(c.variant.title): training (solid) and validation (dashed) loss per epoch"
                        : "\(s.label), \(c.variant.title): validation AUC per epoch (best epochs \(c.runs.map { String($0.bestEpoch) }.joined(separator: ", ")) kept)"))
                }
            }
        }
        r.figureGrid(figures, columnWidth: 440)
    }

    private func imageSections(_ r: inout HTMLReport, _ res: EvaluationComparisonResult, _ images: [EvaluationImages],
                               _ out: inout EvaluationReportWriter.Output) throws {
        let labels = res.samples.map(\.label), n = res.eventsUsed
        let geo = images[0].geometry, drawn = EvaluationReportWriter.drawnGeometries(geo)
        let reference = EvaluationReportWriter.layers(images[0].referenceMean, geo)
        r.section("Average showers")
        r.paragraph("Mean energy per cell over all \(n) showers of each sample, log colour scale from 0.01 MeV, one shared range per layer row; then one panel per sample of sample / reference per cell (grey where both are empty).\(EvaluationReportWriter.polarNote(geo))\(EvaluationReportWriter.layerNote(geo))")
        let avg = try LayerFigure.averageComparison(reference: reference, samples: images.map { EvaluationReportWriter.layers($0.generatedMean, geo) },
                                                    labels: labels, geometries: drawn, title: "Average shower (\(n) per sample)")
        r.figureGrid([try EvaluationReportWriter.png(avg, "images/average_shower.png", caption: "Average shower per layer",
                                                     directory: directory, &out)], columnWidth: 1200)

        r.section("Average showers in bins of incident energy")
        var figures: [HTMLReport.Figure] = []
        let sameBins = images.allSatisfy { im in
            im.energyBins.count == images[0].energyBins.count
                && zip(im.energyBins, images[0].energyBins).allSatisfy { $0.lower == $1.lower && $0.upper == $1.upper }
        }
        if sameBins {
            for (k, b) in images[0].energyBins.enumerated() {
                let bins = images.map { $0.energyBins[k] }
                guard bins.contains(where: { $0.referenceCount > 0 || $0.generatedCount > 0 }) else { continue }
                let range = "\(g(b.lower))-\(g(b.upper)) GeV"
                let counts = zip(labels, bins).map { "\($0) \($1.generatedCount)" }.joined(separator: ", ")
                let fig = try LayerFigure.averageComparison(reference: EvaluationReportWriter.layers(b.referenceMean, geo),
                                                            samples: bins.map { EvaluationReportWriter.layers($0.generatedMean, geo) },
                                                            labels: labels, geometries: drawn, title: "E_inc \(range): \(b.referenceCount) ref., \(counts)")
                figures.append(try EvaluationReportWriter.png(fig, "images/average_shower_E_\(g(b.lower))-\(g(b.upper))GeV.png",
                                                              caption: "Average shower, E_inc \(range) (\(b.referenceCount) reference showers; \(counts))",
                                                              directory: directory, &out))
            }
        } else {
            r.paragraph("The samples' incident energies span different ranges, so each sample has its own bins.")
            for (s, im) in zip(labels, images) {
                for b in im.energyBins where b.referenceCount > 0 || b.generatedCount > 0 {
                    let range = "\(g(b.lower))-\(g(b.upper)) GeV"
                    let fig = try LayerFigure.averageComparison(reference: EvaluationReportWriter.layers(b.referenceMean, geo),
                                                                generated: EvaluationReportWriter.layers(b.generatedMean, geo), geometries: drawn,
                                                                title: "E_inc \(range): \(b.referenceCount) ref., \(b.generatedCount) \(s)",
                                                                generatedLabel: s)
                    figures.append(try EvaluationReportWriter.png(fig, "images/average_shower_\(s)_E_\(g(b.lower))-\(g(b.upper))GeV.png",
                                                                  caption: "\(s): average shower, E_inc \(range)", directory: directory, &out))
                }
            }
        }
        r.figureGrid(figures, columnWidth: 900)

        let pairCount = images.map(\.pairs.count).min() ?? 0
        guard pairCount > 0 else { return }
        r.section("Single showers")
        r.paragraph("Reference showers at evenly spaced quantiles of E_inc, each followed by the shower of every sample closest to it in E_inc; one log colour range per layer row.")
        var showers: [[[Double]]] = [], titles: [String] = []
        for q in 0..<pairCount {
            let p0 = images[0].pairs[q]
            showers.append(EvaluationReportWriter.layers(p0.reference.map(Double.init), geo))
            titles.append("ref \(f(p0.referenceEnergy, 1)) GeV")
            for (s, im) in zip(labels, images) {
                let p = im.pairs[q]
                showers.append(EvaluationReportWriter.layers(p.generated.map(Double.init), geo))
                titles.append("\(s) \(f(p.generatedEnergy, 1)) GeV")
            }
        }
        let single = try LayerFigure.singleShowers(showers, titles: titles, geometries: drawn, title: "Single showers: reference (ref) and each sample")
        r.figureGrid([try EvaluationReportWriter.png(single, "images/single_showers.png", caption: "Single showers, matched in E_inc",
                                                     directory: directory, &out)], columnWidth: 1200)
    }

    private func distributionSection(_ r: inout HTMLReport, _ res: EvaluationComparisonResult, _ out: inout EvaluationReportWriter.Output) throws {
        r.section("Incident energy and voxel spectrum")
        let rows = res.samples.map { s -> [String] in
            let ks = s.result.incidentEnergy
            return [s.label, "\(g(ks.generatedRange[0]))-\(g(ks.generatedRange[1]))", f(ks.statistic, 4), g(ks.pValue)]
        }
        let ref = res.samples[0].result.incidentEnergy.referenceRange
        r.paragraph("Reference incident energies \(g(ref[0]))-\(g(ref[1])) GeV. The classifiers see log E_inc, so different spectra alone would make the samples separable.")
        r.table(header: ["sample", "E_inc range [GeV]", "Kolmogorov-Smirnov D", "p"], rows: rows,
                caption: "Incident-energy spectra against the reference")
        let names = res.samples[0].result.distributions.map(\.name)
        var figures: [HTMLReport.Figure] = []
        for (k, name) in names.enumerated() {
            figures += try histogramFigures(res, name: name, pick: { $0.distributions[k] }, logY: name == "voxel_energy", &out)
        }
        r.figureGrid(figures)
    }

    private func featureSection(_ r: inout HTMLReport, _ res: EvaluationComparisonResult, _ out: inout EvaluationReportWriter.Output) throws {
        let first = res.samples[0].result
        r.section("High-level features")
        r.paragraph("\(EvaluationReportWriter.featureSetSentence(first)) after the \(g(res.configuration.thresholdMeV)) MeV threshold. Separation power = ½ Σ (p−q)²/(p+q) of the normalized histograms (arXiv:2009.03796 eq. 15): 0 for identical shapes, 1 for disjoint ones. Sorted by the largest separation power of any sample, worst first.")
        let order = first.features.indices.sorted { a, b in
            worst(res, a) > worst(res, b)
        }
        let rows = order.enumerated().map { rank, k -> [String] in
            let c = first.features[k]
            return ["\(rank + 1)", c.name, c.unit.isEmpty ? "-" : c.unit]
                + res.samples.map { $0.result.features[k].separationPower.map { e($0) } ?? "n/a" }
                + [g(c.referenceMean)] + res.samples.map { g($0.result.features[k].generatedMean) }
        }
        let labels = res.samples.map(\.label)
        r.table(header: ["rank", "feature", "unit"] + labels.map { "separation power \($0)" } + ["reference mean"] + labels.map { "mean \($0)" },
                rows: rows, caption: "Separation power per feature and sample")
        var figures: [HTMLReport.Figure] = []
        for k in first.features.indices {
            figures += try histogramFigures(res, name: first.features[k].name, pick: { $0.features[k] }, logY: false, &out)
        }
        r.figureGrid(figures, columnWidth: 420)
    }

    private func latentSections(_ r: inout HTMLReport, _ res: EvaluationComparisonResult, _ out: inout EvaluationReportWriter.Output) throws {
        var seen: [String] = []
        for s in res.samples {
            guard let m = s.result.latentCalibration?.model, !seen.contains(m), latentCalibrations[m] != nil else { continue }
            seen.append(m)
        }
        guard !seen.isEmpty else { return }
        r.section("Latent calibration")
        var figures: [HTMLReport.Figure] = []
        for (k, m) in seen.enumerated() {
            let c = latentCalibrations[m]!
            let users = res.samples.filter { $0.result.latentCalibration?.model == m }.map(\.label).joined(separator: ", ")
            r.paragraph("\(m) (samples \(users)): latent codes of \(c.squaredNorms.count) reference showers, mean ||z||² \(g(c.mean)) (expected \(c.dimension)), variance \(g(c.variance)) (expected \(2 * c.dimension)), mean pull \(f(c.meanPull, 2)) σ, KS D = \(f(c.ks.statistic, 4)), p = \(g(c.ks.pValue)).")
            let svg = try HistogramCurvePlot.latentCalibration(squaredNorms: c.squaredNorms, dimension: c.dimension).svg()
            let name = seen.count == 1 ? "plots/latent_calibration.svg" : "plots/latent_calibration_\(k + 1).svg"
            try EvaluationReportWriter.writeText(svg, name, directory: directory, &out)
            figures.append(.svg(EvaluationReportWriter.uniqueIDs(svg), caption: "||z||² against χ²(\(c.dimension)): \(m)"))
        }
        r.figureGrid(figures)
    }

    // MARK: - Figures

    /// One histogram with every sample overlaid when all samples share the bins (the high-level
    /// features always do), else one figure per sample. Written as plots/<name>.svg (or
    /// plots/<name>_<label>.svg).
    private func histogramFigures(_ res: EvaluationComparisonResult, name: String, pick: (EvaluationResult) -> HistogramComparison,
                                  logY: Bool, _ out: inout EvaluationReportWriter.Output) throws -> [HTMLReport.Figure] {
        let comparisons = res.samples.map { pick($0.result) }
        let c0 = comparisons[0], b = c0.reference.binning
        let label = c0.unit.isEmpty ? c0.label : "\(c0.label) [\(c0.unit)]"
        if comparisons.allSatisfy({ $0.reference.binning == b && $0.generated.binning == b }) {
            var plot = HistogramPlot(title: c0.label, xLabel: label, edges: b.edges, reference: c0.reference.counts,
                                     samples: zip(res.samples, comparisons).map { s, c in
                                         HistogramPlot.Sample(label: s.label, counts: c.generated.counts, separationPower: c.separationPower ?? .nan)
                                     }, logX: b.scale == .log, logY: logY)
            plot.width = 640
            let svg = try plot.svg()
            try EvaluationReportWriter.writeText(svg, "plots/\(name).svg", directory: directory, &out)
            let outside = zip(res.samples, comparisons).compactMap { s, c -> String? in
                let n = c.generated.underflow + c.generated.overflow
                return n > 0 ? "\(s.label) \(Int(n))" : nil
            }
            let refOutside = c0.reference.underflow + c0.reference.overflow
            let note = refOutside + Double(outside.count) > 0
                ? " (outside range: ref \(Int(refOutside))" + (outside.isEmpty ? "" : ", " + outside.joined(separator: ", ")) + ")" : ""
            return [.svg(EvaluationReportWriter.uniqueIDs(svg), caption: name + note)]
        }
        return try zip(res.samples, comparisons).map { s, c in
            let bins = c.reference.binning
            var plot = HistogramPlot(title: "\(c.label): \(s.label)", xLabel: label, edges: bins.edges, reference: c.reference.counts,
                                     generated: c.generated.counts, logX: bins.scale == .log, logY: logY)
            plot.generatedLabel = s.label
            plot.separationPower = c.separationPower ?? .nan
            let svg = try plot.svg()
            try EvaluationReportWriter.writeText(svg, "plots/\(name)_\(s.label).svg", directory: directory, &out)
            return .svg(EvaluationReportWriter.uniqueIDs(svg), caption: "\(name), \(s.label)")
        }
    }

    // MARK: - Helpers

    /// The largest separation power of feature `k` over the samples (-1 when none has one).
    private func worst(_ res: EvaluationComparisonResult, _ k: Int) -> Double {
        res.samples.map { $0.result.features[k].separationPower ?? -1 }.max() ?? -1
    }

    private func f(_ x: Double, _ d: Int) -> String { EvaluationReportWriter.f(x, d) }
    private func e(_ x: Double) -> String { EvaluationReportWriter.e(x) }
    private func g(_ x: Double) -> String { EvaluationReportWriter.g(x) }
    private func pm(_ m: MeanAndSpread, _ d: Int) -> String { EvaluationReportWriter.pm(m, d) }
}
