import CaloRendering
import Foundation
import Testing

/// End-to-end: every figure type rendered, embedded in one report and written to disk
/// ($CALO_RENDER_SAMPLES keeps them for a visual check).
@Suite("Sample report")
struct SampleReportTests {
    @Test("full report with all figure kinds is self-contained")
    func fullReport() throws {
        let dir = try SampleFigures.outputDirectory()
        let hist = try SampleFigures.histogramPair().svg()
        let loss = try SampleFigures.lossPlot().svg()
        var lrPlot = LinePlot(title: "Learning rate", xLabel: "step", yLabel: "learning rate",
                              series: [.init(label: "one-cycle", y: (0..<500).map { 1e-5 + 1e-3 * pow(sin(Double($0) / 500 * .pi), 2) })],
                              logY: true)
        lrPlot.width = 640
        let lr = try lrPlot.svg()
        var g = SampleFigures.Gauss(state: 3)
        let norms = (0..<5000).map { _ in (0..<72).reduce(0.0) { acc, _ in let z = g.normal(); return acc + z * z } }
        let chi = try HistogramCurvePlot.latentCalibration(squaredNorms: norms, dimension: 72).svg()
        let avg = try LayerFigure.averageComparison(reference: SampleFigures.gaussianShower(),
                                                    generated: SampleFigures.gaussianShower(amplitude: 1.1, shift: 8))
        for (name, svg) in [("hist", hist), ("loss", loss), ("lr", lr), ("chi2", chi)] {
            try AtomicFile.write(text: svg, to: dir + "/\(name).svg")
        }
        var report = HTMLReport(title: "caloflow evaluation: eplus <test>", subtitle: "run demo & friends, 2 showers")
        report.section("Summary")
        report.keyValueTable([("classifier AUC (DNN low)", "0.612"), ("JSD", "0.031"), ("note", "a < b & c > d")], caption: "Headline numbers")
        report.table(header: ["observable", "separation power", "bins"], rows: [["E_tot", "1.2e-3", "50"], ["E_0", "4.5e-3", "40"]])
        report.section("Average showers")
        report.figureGrid([try .image(avg, caption: "Average shower per layer, shared colour range")], columnWidth: 900)
        report.section("Histograms & training")
        report.figureGrid([.svg(hist, caption: "E_tot"), .svg(loss, caption: "loss"), .svg(lr, caption: "LR"), .svg(chi, caption: "latent")])
        try report.write(to: dir + "/report.html")
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(html.contains("data:image/png;base64,"))
        #expect(html.contains("&lt;test&gt;"))
        #expect(!html.contains("<test>"))
    }
}
