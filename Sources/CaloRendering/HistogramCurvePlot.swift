import Foundation

// MARK: - HistogramCurvePlot

/// A normalised histogram overlaid with a smooth density curve, e.g. the latent calibration
/// check of a flow: the histogram of ‖z‖² over the data against the χ² density with d degrees of
/// freedom that a perfectly trained flow would give.
public struct HistogramCurvePlot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String = "density"
    public var edges: [Double]
    /// Raw counts per bin (normalised to unit area when drawn).
    public var counts: [Double]
    /// Curve points (x increasing), already a density in the units of x.
    public var curveX: [Double]
    public var curveY: [Double]
    public var histogramLabel: String
    public var curveLabel: String
    public var width: Double = 640
    public var height: Double = 420

    public init(title: String, xLabel: String, edges: [Double], counts: [Double], curveX: [Double], curveY: [Double],
                histogramLabel: String, curveLabel: String) {
        self.title = title; self.xLabel = xLabel; self.edges = edges; self.counts = counts
        self.curveX = curveX; self.curveY = curveY; self.histogramLabel = histogramLabel; self.curveLabel = curveLabel
    }

    /// Histogram of `squaredNorms` (‖z‖² per sample) against the χ²_d density, d = `dimension`,
    /// over mean ± 6 standard deviations of χ²_d (d ± 6·sqrt(2d), clipped at 0) in `bins` bins.
    public static func latentCalibration(squaredNorms: [Double], dimension d: Int, bins: Int = 50) throws -> HistogramCurvePlot {
        guard d >= 1, bins >= 1, !squaredNorms.isEmpty else {
            throw RenderError.invalidInput("latent calibration needs dimension ≥ 1, bins ≥ 1 and at least one sample")
        }
        let k = Double(d), sd = (2 * k).squareRoot()
        let lo = max(0, k - 6 * sd), hi = k + 6 * sd
        let edges = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
        var counts = [Double](repeating: 0, count: bins)
        for v in squaredNorms where v.isFinite && v >= lo && v < hi {
            counts[min(bins - 1, Int((v - lo) / (hi - lo) * Double(bins)))] += 1
        }
        let xs = (0...400).map { lo + (hi - lo) * Double($0) / 400 }
        return HistogramCurvePlot(title: "Latent calibration", xLabel: "‖z‖²", edges: edges, counts: counts,
                                  curveX: xs, curveY: xs.map { chiSquaredDensity($0, dof: k) },
                                  histogramLabel: "data", curveLabel: "χ² (\(d) dof)")
    }

    /// The χ² density with `dof` degrees of freedom at x (0 for x < 0), via log-gamma so that it
    /// stays finite for hundreds of degrees of freedom.
    public static func chiSquaredDensity(_ x: Double, dof k: Double) -> Double {
        guard x > 0 else { return x == 0 && k == 2 ? 0.5 : 0 }
        return exp((k / 2 - 1) * log(x) - x / 2 - (k / 2) * log(2.0) - lgamma(k / 2))
    }

    /// The plot as a standalone SVG 1.1 document.
    public func svg() throws -> String {
        let n = edges.count - 1
        guard n >= 1, counts.count == n, curveX.count == curveY.count,
              zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw RenderError.invalidInput("histogram/curve plot \"\(title)\": need increasing edges, one count per bin and equal curve x/y lengths")
        }
        let dens = HistogramPlot.density(counts, edges: edges)
        let xAxis = try PlotAxis(min: edges[0], max: edges[n], label: xLabel)
        var yAxis = try PlotAxis.dataRange(dens + curveY, log: false, label: yLabel)
        yAxis.max *= 1.1
        let left = 82.0, top = 40.0
        let f = PlotFrame(x: left, y: top, width: width - left - 20, height: height - top - 56, xAxis: xAxis, yAxis: yAxis)
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, size: 16, anchor: "middle", weight: "bold")
        svg.clipRect(id: "plot", x: f.x, y: f.y, width: f.width, height: f.height)
        var d = "M\(SVGDocument.num(f.px(edges[0]))),\(SVGDocument.num(f.y + f.height))"
        for i in 0..<n {
            let y = SVGDocument.num(f.py(dens[i]))
            d += " L\(SVGDocument.num(f.px(edges[i]))),\(y) L\(SVGDocument.num(f.px(edges[i + 1]))),\(y)"
        }
        d += " L\(SVGDocument.num(f.px(edges[n]))),\(SVGDocument.num(f.y + f.height)) Z"
        svg.path(d, stroke: PlotStyle.reference, width: 1.5, fill: PlotStyle.reference, fillOpacity: 0.25, clipID: "plot", cssClass: "series histogram")
        let curve = LinePlot.Series(label: curveLabel, x: curveX, y: curveY)
        svg.path(LinePlot.polyline(curve, frame: f, logX: false, logY: false), stroke: PlotStyle.generated, width: 2.5,
                 clipID: "plot", cssClass: "series curve")
        f.drawAxes(into: &svg)
        let lx = f.x + f.width - 170, ly = f.y + 10
        svg.rect(x: lx, y: ly, width: 162, height: 48, fill: "#fff", stroke: "#bbb", fillOpacity: 0.85)
        svg.rect(x: lx + 8, y: ly + 8, width: 22, height: 12, fill: PlotStyle.reference, stroke: PlotStyle.reference, fillOpacity: 0.25)
        svg.text(histogramLabel, x: lx + 36, y: ly + 19, size: 13)
        svg.line(x1: lx + 8, y1: ly + 35, x2: lx + 30, y2: ly + 35, stroke: PlotStyle.generated, width: 2.5)
        svg.text(curveLabel, x: lx + 36, y: ly + 40, size: 13)
        return svg.render()
    }
}
