import Foundation

// MARK: - PlotStyle

/// Colours shared by the SVG plots (Okabe–Ito palette: distinguishable by colour-blind readers).
public enum PlotStyle {
    public static let reference = "#0072b2"
    public static let generated = "#d55e00"
    public static let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]
}

// MARK: - HistogramPlot

/// Reference vs generated histograms of one observable, as in CaloChallenge plots: all
/// normalised to unit area (density), the reference as a filled step (alpha 0.25), each
/// generated sample as a thick step line of its own colour; legend; below, one ratio panel per
/// generated sample (sample / reference per bin with Poisson error bars, y-range `ratioRange`,
/// a dashed line at 1; out-of-range points as triangles at the edge). The separation power is
/// printed in the main panel for one sample and in the legend for several.
public struct HistogramPlot: Sendable {
    /// One generated sample: raw counts on the plot's bins, its legend label and colour.
    public struct Sample: Sendable {
        public var label: String
        /// Raw (unnormalised, unweighted) counts per bin; the error bars assume Poisson counts.
        public var counts: [Double]
        /// Line colour; nil takes the sample's entry of `HistogramPlot.sampleColors`.
        public var color: String?
        /// Separation power to print; `nil` computes it from the counts (`separationPower(_:_:)`).
        public var separationPower: Double?

        public init(label: String, counts: [Double], color: String? = nil, separationPower: Double? = nil) {
            self.label = label; self.counts = counts; self.color = color; self.separationPower = separationPower
        }
    }

    /// Line colours of generated samples in order (the Okabe–Ito palette without the reference's blue).
    public static let sampleColors = [PlotStyle.generated, "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]

    public var title: String
    /// Observable with unit, e.g. "E_tot [GeV]".
    public var xLabel: String
    public var yLabel: String = "normalized entries"
    /// Bin edges, strictly increasing, count = bins + 1 (positive when `logX`).
    public var edges: [Double]
    /// Raw (unnormalised, unweighted) counts per bin; the error bars assume Poisson counts.
    public var reference: [Double]
    /// The generated samples, at least one.
    public var samples: [Sample]
    public var logX = false
    public var logY = false
    public var referenceLabel = "reference"
    public var ratioRange: ClosedRange<Double> = 0.5...1.5
    public var width: Double = 640
    /// Height with one ratio panel; each further sample adds a ratio panel below (the document grows).
    public var height: Double = 560

    /// A plot of one generated sample against the reference.
    public init(title: String, xLabel: String, edges: [Double], reference: [Double], generated: [Double],
                logX: Bool = false, logY: Bool = false) {
        self.init(title: title, xLabel: xLabel, edges: edges, reference: reference,
                  samples: [Sample(label: "generated", counts: generated)], logX: logX, logY: logY)
    }

    /// A plot of several generated samples against the reference.
    public init(title: String, xLabel: String, edges: [Double], reference: [Double], samples: [Sample],
                logX: Bool = false, logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.edges = edges
        self.reference = reference; self.samples = samples; self.logX = logX; self.logY = logY
    }

    /// Counts of the first generated sample.
    public var generated: [Double] {
        get { samples.first?.counts ?? [] }
        set { if samples.isEmpty { samples = [Sample(label: "generated", counts: newValue)] } else { samples[0].counts = newValue } }
    }

    /// Legend label of the first generated sample.
    public var generatedLabel: String {
        get { samples.first?.label ?? "generated" }
        set { if !samples.isEmpty { samples[0].label = newValue } }
    }

    /// Separation power printed for the first generated sample; `nil` computes it from the counts.
    public var separationPower: Double? {
        get { samples.first?.separationPower }
        set { if !samples.isEmpty { samples[0].separationPower = newValue } }
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
        guard !samples.isEmpty else { throw RenderError.invalidInput("histogram \"\(title)\": no generated sample") }
        guard n >= 1, reference.count == n, samples.allSatisfy({ $0.counts.count == n }) else {
            throw RenderError.invalidInput("histogram \"\(title)\": \(edges.count) edges need \(max(0, n)) counts, got \(reference.count) reference and "
                                           + samples.map { "\($0.counts.count) \($0.label)" }.joined(separator: ", "))
        }
        guard zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }), edges.allSatisfy(\.isFinite), !logX || edges[0] > 0 else {
            throw RenderError.invalidInput("histogram \"\(title)\": bin edges must be finite, strictly increasing (and positive for log x)")
        }
        let single = samples.count == 1
        let dr = Self.density(reference, edges: edges)
        let ds = samples.map { Self.density($0.counts, edges: edges) }
        let xAxis = try PlotAxis(min: edges[0], max: edges[n], log: logX, label: xLabel)
        var yAxis = try PlotAxis.dataRange(dr + ds.flatMap { $0 }, log: logY, label: yLabel)
        if !logY { yAxis.max *= single ? 1.15 : 1 + 0.08 * Double(samples.count + 2) }   // room for the legend
        let left = 82.0, right = 20.0, top = 40.0
        let ratioH = (height - top - 70) * 0.26, mainH = height - top - 70 - ratioH - 10
        let totalHeight = height + (ratioH + 8) * Double(samples.count - 1)
        let main = PlotFrame(x: left, y: top, width: width - left - right, height: mainH, xAxis: xAxis, yAxis: yAxis)
        var panels: [PlotFrame] = []
        for k in samples.indices {
            let label = single ? "gen./ref." : "\(Self.shortLabel(samples[k].label))/ref."
            let axis = try PlotAxis(min: ratioRange.lowerBound, max: ratioRange.upperBound, label: label)
            let y = top + mainH + 10 + Double(k) * (ratioH + 8)
            panels.append(PlotFrame(x: left, y: y, width: main.width, height: ratioH, xAxis: xAxis, yAxis: axis))
        }

        var svg = SVGDocument(width: width, height: totalHeight)
        svg.text(title, x: width / 2, y: 24, size: 16, anchor: "middle", weight: "bold")
        svg.clipRect(id: "main", x: main.x, y: main.y, width: main.width, height: main.height)
        svg.clipRect(id: "ratio", x: panels[0].x, y: panels[0].y, width: panels[0].width, height: panels[0].height)
        svg.path(stepPath(dr, frame: main, closed: true), stroke: PlotStyle.reference, width: 1.5,
                 fill: PlotStyle.reference, fillOpacity: 0.25, clipID: "main", cssClass: "series reference")
        for k in samples.indices {
            svg.path(stepPath(ds[k], frame: main, closed: false), stroke: color(k), width: single ? 3 : 2.5,
                     clipID: "main", cssClass: "series generated")
        }
        main.drawAxes(into: &svg, xTickLabels: false, xLabel: false)
        let powers = samples.map { $0.separationPower ?? Self.separationPower(reference, $0.counts) }
        drawLegend(&svg, frame: main, powers: powers)
        if single {
            svg.text("separation power: " + Self.powerText(powers[0]), x: main.x + 10, y: main.y + 20, size: 13)
        }
        for (k, panel) in panels.enumerated() {
            svg.line(x1: panel.x, y1: panel.py(1), x2: panel.x + panel.width, y2: panel.py(1), stroke: "#555", dash: "5,4")
            drawRatio(&svg, panel: panel, dr: dr, dg: ds[k], counts: samples[k].counts, color: color(k))
            panel.drawAxes(into: &svg, xTickLabels: k == panels.count - 1, xLabel: k == panels.count - 1, fontSize: 12)
        }
        return svg.render()
    }

    /// Colour of sample `k`.
    private func color(_ k: Int) -> String { samples[k].color ?? Self.sampleColors[k % Self.sampleColors.count] }

    static func powerText(_ sp: Double) -> String { sp.isFinite ? String(format: "%.2e", sp) : "n/a" }

    /// A label short enough for a ratio axis (at most 12 characters).
    static func shortLabel(_ s: String) -> String { s.count <= 12 ? s : String(s.prefix(11)) + "…" }

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

    /// The reference and every sample; with several samples each entry also gives its separation power.
    private func drawLegend(_ svg: inout SVGDocument, frame f: PlotFrame, powers: [Double]) {
        let texts = [referenceLabel] + samples.indices.map { k in
            samples.count == 1 ? samples[k].label : "\(samples[k].label) (SP \(Self.powerText(powers[k])))"
        }
        let w = max(150, 38 + 7.2 * Double(texts.map(\.count).max() ?? 0))
        let x = f.x + f.width - w, y = f.y + 12
        svg.rect(x: x - 8, y: y - 4, width: w, height: 4 + 21 * Double(texts.count), fill: "#fff", stroke: "#bbb", fillOpacity: 0.85)
        svg.rect(x: x, y: y + 2, width: 22, height: 12, fill: PlotStyle.reference, stroke: PlotStyle.reference, strokeWidth: 1.5, fillOpacity: 0.25)
        svg.text(texts[0], x: x + 30, y: y + 13, size: 13)
        for k in samples.indices {
            let yy = y + 29 + 21 * Double(k)
            svg.line(x1: x, y1: yy, x2: x + 22, y2: yy, stroke: color(k), width: 3)
            svg.text(texts[k + 1], x: x + 30, y: yy + 5, size: 13)
        }
    }

    /// Points with Poisson error bars σ_r = r·sqrt(1/n_gen + 1/n_ref) at bin centres.
    private func drawRatio(_ svg: inout SVGDocument, panel p: PlotFrame, dr: [Double], dg: [Double], counts: [Double], color: String) {
        for i in dr.indices where dr[i] > 0 && counts[i] > 0 {
            let r = dg[i] / dr[i]
            let err = r * (1 / counts[i] + 1 / reference[i]).squareRoot()
            let cx = logX ? p.px((edges[i] * edges[i + 1]).squareRoot()) : p.px(0.5 * (edges[i] + edges[i + 1]))
            let lo = ratioRange.lowerBound, hi = ratioRange.upperBound
            if r > hi || r < lo {
                let yEdge = r > hi ? p.y + 2 : p.y + p.height - 2, dir = r > hi ? 1.0 : -1.0
                svg.path("M\(SVGDocument.num(cx - 4)),\(SVGDocument.num(yEdge + 7 * dir)) L\(SVGDocument.num(cx + 4)),\(SVGDocument.num(yEdge + 7 * dir)) L\(SVGDocument.num(cx)),\(SVGDocument.num(yEdge)) Z",
                         fill: color)
                continue
            }
            svg.line(x1: cx, y1: p.py(Swift.min(hi, r + err)), x2: cx, y2: p.py(Swift.max(lo, r - err)), stroke: color, width: 1.5)
            svg.circle(cx: cx, cy: p.py(r), r: 2.8, fill: color)
        }
    }
}
