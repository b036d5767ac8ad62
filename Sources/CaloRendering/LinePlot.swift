import Foundation

// MARK: - LinePlot

/// Line chart of several series sharing one x axis, e.g. training and validation loss per epoch,
/// or the learning rate (log y). Non-finite points, and points ≤ 0 on a log axis, break the line
/// instead of being drawn.
public struct LinePlot: Sendable {
    /// One curve: `x` and `y` of equal length, drawn in order.
    public struct Series: Sendable {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var color: String?
        public var dashed: Bool

        public init(label: String, x: [Double], y: [Double], color: String? = nil, dashed: Bool = false) {
            self.label = label; self.x = x; self.y = y; self.color = color; self.dashed = dashed
        }

        /// A series over 1, 2, …, y.count (epochs).
        public init(label: String, y: [Double], color: String? = nil, dashed: Bool = false) {
            self.init(label: label, x: y.indices.map { Double($0 + 1) }, y: y, color: color, dashed: dashed)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var logX = false
    public var logY = false
    public var width: Double = 640
    public var height: Double = 420

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series; self.logY = logY
    }

    /// The chart as a standalone SVG 1.1 document.
    public func svg() throws -> String {
        guard !series.isEmpty else { throw RenderError.invalidInput("line plot \"\(title)\" has no series") }
        for s in series where s.x.count != s.y.count {
            throw RenderError.invalidInput("series \"\(s.label)\" has \(s.x.count) x values but \(s.y.count) y values")
        }
        let xs = series.flatMap(\.x), ys = series.flatMap(\.y)
        var xAxis = try PlotAxis.dataRange(xs, log: logX, includeZero: false, label: xLabel)
        if !logX, let lo = xs.filter(\.isFinite).min(), let hi = xs.filter(\.isFinite).max(), hi > lo {
            xAxis = try PlotAxis(min: lo, max: hi, label: xLabel)
        }
        var yAxis = try PlotAxis.dataRange(ys, log: logY, includeZero: false, label: yLabel)
        if !logY, let lo = ys.filter(\.isFinite).min(), let hi = ys.filter(\.isFinite).max() {
            let pad = hi > lo ? 0.06 * (hi - lo) : max(abs(hi) * 0.1, 1)
            yAxis = try PlotAxis(min: lo - pad, max: hi + pad, label: yLabel)
        }
        let left = 82.0, right = 20.0, top = 40.0, bottom = 56.0
        let f = PlotFrame(x: left, y: top, width: width - left - right, height: height - top - bottom, xAxis: xAxis, yAxis: yAxis)
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, size: 16, anchor: "middle", weight: "bold")
        svg.clipRect(id: "plot", x: f.x, y: f.y, width: f.width, height: f.height)
        for (k, s) in series.enumerated() {
            let color = s.color ?? PlotStyle.palette[k % PlotStyle.palette.count]
            svg.path(Self.polyline(s, frame: f, logX: logX, logY: logY), stroke: color, width: 2,
                     dash: s.dashed ? "6,4" : nil, clipID: "plot", cssClass: "series")
        }
        f.drawAxes(into: &svg)
        drawLegend(&svg, frame: f)
        return svg.render()
    }

    /// Path data through the drawable points; a gap starts a new subpath.
    static func polyline(_ s: Series, frame f: PlotFrame, logX: Bool, logY: Bool) -> String {
        var d = "", pen = false
        for (x, y) in zip(s.x, s.y) {
            guard x.isFinite, y.isFinite, !logX || x > 0, !logY || y > 0 else { pen = false; continue }
            d += (d.isEmpty ? "" : " ") + (pen ? "L" : "M") + SVGDocument.num(f.px(x)) + "," + SVGDocument.num(f.py(y))
            pen = true
        }
        return d.isEmpty ? "M0,0" : d
    }

    private func drawLegend(_ svg: inout SVGDocument, frame f: PlotFrame) {
        let w = 34 + 7.5 * Double(series.map(\.label.count).max() ?? 0) + 12
        let x = f.x + f.width - w - 8, y = f.y + 8
        svg.rect(x: x, y: y, width: w, height: 8 + 20 * Double(series.count), fill: "#fff", stroke: "#bbb", fillOpacity: 0.85)
        for (k, s) in series.enumerated() {
            let color = s.color ?? PlotStyle.palette[k % PlotStyle.palette.count]
            let yy = y + 16 + 20 * Double(k)
            svg.line(x1: x + 8, y1: yy, x2: x + 30, y2: yy, stroke: color, width: 2, dash: s.dashed ? "6,4" : nil)
            svg.text(s.label, x: x + 36, y: yy + 4.5, size: 13)
        }
    }
}
