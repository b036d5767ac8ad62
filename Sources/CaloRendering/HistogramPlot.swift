import Foundation

// MARK: - PlotStyle

/// Colours shared by the SVG plots (Okabe–Ito palette: distinguishable by colour-blind readers).
public enum PlotStyle {
    public static let reference = "#0072b2"
    public static let generated = "#d55e00"
    public static let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]
}

// MARK: - HistogramPlot

/// Reference vs generated histogram of one observable, as in CaloChallenge plots: both
/// normalised to unit area (density), reference as a filled step (alpha 0.25), generated as a
/// thick step line; legend; a ratio panel below (generated / reference per bin with Poisson
/// error bars, y-range `ratioRange`, a dashed line at 1; out-of-range points as triangles at
/// the edge) and the separation power printed in the main panel.
public struct HistogramPlot: Sendable {
    public var title: String
    /// Observable with unit, e.g. "E_tot [GeV]".
    public var xLabel: String
    public var yLabel: String = "normalized entries"
    /// Bin edges, strictly increasing, count = bins + 1 (positive when `logX`).
    public var edges: [Double]
    /// Raw (unnormalised, unweighted) counts per bin; the error bars assume Poisson counts.
    public var reference: [Double]
    public var generated: [Double]
    public var logX = false
    public var logY = false
    public var referenceLabel = "reference"
    public var generatedLabel = "generated"
    /// Separation power to print; `nil` computes it from the counts (`separationPower(_:_:)`).
    public var separationPower: Double?
    public var ratioRange: ClosedRange<Double> = 0.5...1.5
    public var width: Double = 640
    public var height: Double = 560

    public init(title: String, xLabel: String, edges: [Double], reference: [Double], generated: [Double],
                logX: Bool = false, logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.edges = edges
        self.reference = reference; self.generated = generated; self.logX = logX; self.logY = logY
    }

    /// Separation power ½ Σ (h₁ − h₂)² / (h₁ + h₂) of two histograms each normalised to unit sum
    /// (eq. 15 of arXiv:2009.03796): 0 for identical shapes, 1 for disjoint ones. Bins empty in
    /// both are skipped; returns NaN if either histogram is empty.
    public static func separationPower(_ a: [Double], _ b: [Double]) -> Double {
        let sa = a.reduce(0, +), sb = b.reduce(0, +)
        guard sa > 0, sb > 0, a.count == b.count else { return .nan }
        var s = 0.0
        for (x, y) in zip(a, b) {
            let p = x / sa, q = y / sb
            if p + q > 0 { s += (p - q) * (p - q) / (p + q) }
        }
        return 0.5 * s
    }

    /// Unit-area densities of `counts` over `edges` (counts / (total · bin width)).
    public static func density(_ counts: [Double], edges: [Double]) -> [Double] {
        let total = counts.reduce(0, +)
        return counts.indices.map { total > 0 ? counts[$0] / (total * (edges[$0 + 1] - edges[$0])) : 0 }
    }

    // MARK: - Rendering

    /// The plot as a standalone SVG 1.1 document. Throws for inconsistent inputs.
    public func svg() throws -> String {
        let n = edges.count - 1
        guard n >= 1, reference.count == n, generated.count == n else {
            throw RenderError.invalidInput("histogram \"\(title)\": \(edges.count) edges need \(max(0, n)) counts, got \(reference.count) reference and \(generated.count) generated")
        }
        guard zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }), edges.allSatisfy(\.isFinite), !logX || edges[0] > 0 else {
            throw RenderError.invalidInput("histogram \"\(title)\": bin edges must be finite, strictly increasing (and positive for log x)")
        }
        let dr = Self.density(reference, edges: edges), dg = Self.density(generated, edges: edges)
        let xAxis = try PlotAxis(min: edges[0], max: edges[n], log: logX, label: xLabel)
        var yAxis = try PlotAxis.dataRange(dr + dg, log: logY, label: yLabel)
        if !logY { yAxis.max *= 1.15 }   // room for the legend
        let left = 82.0, right = 20.0, top = 40.0
        let ratioH = (height - top - 70) * 0.26, mainH = height - top - 70 - ratioH - 10
        let main = PlotFrame(x: left, y: top, width: width - left - right, height: mainH, xAxis: xAxis, yAxis: yAxis)
        let ratioAxis = try PlotAxis(min: ratioRange.lowerBound, max: ratioRange.upperBound, label: "gen./ref.")
        let panel = PlotFrame(x: left, y: top + mainH + 10, width: main.width, height: ratioH, xAxis: xAxis, yAxis: ratioAxis)

        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, size: 16, anchor: "middle", weight: "bold")
        svg.clipRect(id: "main", x: main.x, y: main.y, width: main.width, height: main.height)
        svg.clipRect(id: "ratio", x: panel.x, y: panel.y, width: panel.width, height: panel.height)
        svg.path(stepPath(dr, frame: main, closed: true), stroke: PlotStyle.reference, width: 1.5,
                 fill: PlotStyle.reference, fillOpacity: 0.25, clipID: "main", cssClass: "series reference")
        svg.path(stepPath(dg, frame: main, closed: false), stroke: PlotStyle.generated, width: 3,
                 clipID: "main", cssClass: "series generated")
        main.drawAxes(into: &svg, xTickLabels: false, xLabel: false)
        drawLegend(&svg, frame: main)
        let sp = separationPower ?? Self.separationPower(reference, generated)
        svg.text("separation power: " + (sp.isFinite ? String(format: "%.2e", sp) : "n/a"),
                 x: main.x + 10, y: main.y + 20, size: 13)

        svg.line(x1: panel.x, y1: panel.py(1), x2: panel.x + panel.width, y2: panel.py(1), stroke: "#555", dash: "5,4")
        drawRatio(&svg, panel: panel, dr: dr, dg: dg)
        panel.drawAxes(into: &svg, fontSize: 12)
        return svg.render()
    }

    /// Step outline over the bins; `closed` drops to the axis at both ends for a filled area.
    private func stepPath(_ d: [Double], frame f: PlotFrame, closed: Bool) -> String {
        let base = f.y + f.height
        var s = ""
        for i in d.indices {
            let yv = f.py(d[i]), x0 = SVGDocument.num(f.px(edges[i])), x1 = SVGDocument.num(f.px(edges[i + 1]))
            if i == 0 { s += closed ? "M\(x0),\(SVGDocument.num(base)) L\(x0),\(SVGDocument.num(yv))" : "M\(x0),\(SVGDocument.num(yv))" }
            else { s += " L\(x0),\(SVGDocument.num(yv))" }
            s += " L\(x1),\(SVGDocument.num(yv))"
        }
        if closed { s += " L\(SVGDocument.num(f.px(edges[d.count]))),\(SVGDocument.num(base)) Z" }
        return s
    }

    private func drawLegend(_ svg: inout SVGDocument, frame f: PlotFrame) {
        let x = f.x + f.width - 150, y = f.y + 12
        svg.rect(x: x - 8, y: y - 4, width: 150, height: 46, fill: "#fff", stroke: "#bbb", fillOpacity: 0.85)
        svg.rect(x: x, y: y + 2, width: 22, height: 12, fill: PlotStyle.reference, stroke: PlotStyle.reference, strokeWidth: 1.5, fillOpacity: 0.25)
        svg.text(referenceLabel, x: x + 30, y: y + 13, size: 13)
        svg.line(x1: x, y1: y + 29, x2: x + 22, y2: y + 29, stroke: PlotStyle.generated, width: 3)
        svg.text(generatedLabel, x: x + 30, y: y + 34, size: 13)
    }

    /// Points with Poisson error bars σ_r = r·sqrt(1/n_gen + 1/n_ref) at bin centres.
    private func drawRatio(_ svg: inout SVGDocument, panel p: PlotFrame, dr: [Double], dg: [Double]) {
        for i in dr.indices where dr[i] > 0 && generated[i] > 0 {
            let r = dg[i] / dr[i]
            let err = r * (1 / generated[i] + 1 / reference[i]).squareRoot()
            let cx = logX ? p.px((edges[i] * edges[i + 1]).squareRoot()) : p.px(0.5 * (edges[i] + edges[i + 1]))
            let lo = ratioRange.lowerBound, hi = ratioRange.upperBound
            if r > hi || r < lo {
                let yEdge = r > hi ? p.y + 2 : p.y + p.height - 2, dir = r > hi ? 1.0 : -1.0
                svg.path("M\(SVGDocument.num(cx - 4)),\(SVGDocument.num(yEdge + 7 * dir)) L\(SVGDocument.num(cx + 4)),\(SVGDocument.num(yEdge + 7 * dir)) L\(SVGDocument.num(cx)),\(SVGDocument.num(yEdge)) Z",
                         fill: PlotStyle.generated)
                continue
            }
            svg.line(x1: cx, y1: p.py(Swift.min(hi, r + err)), x2: cx, y2: p.py(Swift.max(lo, r - err)), stroke: PlotStyle.generated, width: 1.5)
            svg.circle(cx: cx, cy: p.py(r), r: 2.8, fill: PlotStyle.generated)
        }
    }
}
