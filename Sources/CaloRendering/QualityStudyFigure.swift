import Foundation
import CaloEvaluation

/// The figure of the quality-vs-cost study: classifier AUC against training CPU hours (log x),
/// one panel per particle. Each point of the results appears twice, as its teacher (circle, at
/// the CPU time of Flow I + teacher) and its student (triangle, at Flow I + teacher +
/// distillation), once per classifier variant (one colour each), with the spread over the
/// classifier runs as an error bar. Lines join the Pareto front of each variant (the lowest AUC
/// reached within a given CPU time): solid for teachers, dashed for students.
public struct QualityStudyFigure: Sendable {
    public var results: QualityStudyResults
    public var variants: [ClassifierVariant]
    public var title = "Classifier AUC against training CPU time"
    public var panelWidth: Double = 460
    public var panelHeight: Double = 420

    public init(results: QualityStudyResults, variants: [ClassifierVariant] = ClassifierVariant.allCases) {
        self.results = results
        self.variants = variants
    }

    /// Display name of a particle.
    static func particleName(_ p: String) -> String {
        switch p {
        case "eplus": return "e+"
        case "gamma": return "γ"
        case "piplus": return "π+"
        default: return p
        }
    }

    /// The figure as a standalone SVG document.
    /// - Throws: `RenderError` when there is no point, or no AUC of the chosen variants.
    public func svg() throws -> String {
        let particles = results.particles
        guard !particles.isEmpty else { throw RenderError.invalidInput("the study results hold no point") }
        guard !variants.isEmpty else { throw RenderError.invalidInput("no classifier variant to plot") }
        let legendHeight = 96.0, top = 40.0
        // at least as wide as the legend; the panels share the width
        let width = Swift.max(panelWidth * Double(particles.count), 620), height = top + panelHeight + legendHeight
        let panel = width / Double(particles.count)
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 24, size: 17, anchor: "middle", weight: "bold")
        var anyPoint = false
        for (k, particle) in particles.enumerated() {
            let points = results.points.filter { $0.particle == particle }
            let hours = points.flatMap { [$0.teacher.trainingCpuHours, $0.student.trainingCpuHours] }
            let aucs = points.flatMap { p in variants.flatMap { v in [p.teacher.auc[v.rawValue], p.student.auc[v.rawValue]].compactMap { $0 } } }
            anyPoint = anyPoint || !aucs.isEmpty
            var xAxis = try PlotAxis.dataRange(hours, log: true, label: "training CPU time [core-hours]")
            xAxis.min = Swift.min(xAxis.min, (hours.min() ?? 1) / 2)
            let lowest = aucs.map { $0.mean - $0.std }.min() ?? 0.5
            let yAxis = try PlotAxis(min: Swift.min(0.5, (lowest * 20).rounded(.down) / 20), max: 1.0, label: "classifier AUC")
            let left = Double(k) * panel + 74
            let frame = PlotFrame(x: left, y: top + 30, width: panel - 96, height: panelHeight - 30 - 60,
                                  xAxis: xAxis, yAxis: yAxis)
            let clip = "plot\(k)"
            // a margin around the frame, so that markers at AUC 1 or at the ends of the x range stay whole
            svg.clipRect(id: clip, x: frame.x - 8, y: frame.y - 8, width: frame.width + 16, height: frame.height + 16)
            svg.text("\(Self.particleName(particle)) (\(points.count) point\(points.count == 1 ? "" : "s"))",
                     x: frame.x + frame.width / 2, y: top + 18, size: 15, anchor: "middle", weight: "bold")
            svg.line(x1: frame.x, y1: frame.py(0.5), x2: frame.x + frame.width, y2: frame.py(0.5), stroke: "#999", dash: "3,3")
            for (v, variant) in variants.enumerated() {
                let color = PlotStyle.palette[v % PlotStyle.palette.count]
                for (flow, dashed) in [("teacher", false), ("student", true)] {
                    let pairs = points.compactMap { p -> (x: Double, y: Double, std: Double)? in
                        let f = flow == "teacher" ? p.teacher : p.student
                        return f.auc[variant.rawValue].map { (f.trainingCpuHours, $0.mean, $0.std) }
                    }
                    let front = QualityStudyResults.front(pairs.map { ($0.x, $0.y) })
                    if front.count > 1 {
                        let d = front.enumerated().map { i, j in
                            (i == 0 ? "M" : "L") + SVGDocument.num(frame.px(pairs[j].x)) + "," + SVGDocument.num(frame.py(pairs[j].y))
                        }.joined(separator: " ")
                        svg.path(d, stroke: color, width: 1.8, dash: dashed ? "6,4" : nil, clipID: clip, cssClass: "front \(flow) \(variant.rawValue)")
                    }
                    for p in pairs {
                        let cx = frame.px(p.x), cy = frame.py(p.y)
                        if p.std > 0 {
                            svg.line(x1: cx, y1: frame.py(p.y + p.std), x2: cx, y2: frame.py(p.y - p.std), stroke: color, width: 1.3)
                        }
                        svg.path(Self.marker(flow, cx, cy), stroke: color, width: 1.5, fill: flow == "teacher" ? color : "#fff",
                                 clipID: clip, cssClass: "marker \(flow) \(variant.rawValue)")
                    }
                }
            }
            frame.drawAxes(into: &svg)
        }
        guard anyPoint else { throw RenderError.invalidInput("the study results hold no AUC of the variants " + variants.map(\.rawValue).joined(separator: ", ")) }
        drawLegend(&svg, y: top + panelHeight + 6, width: width)
        return svg.render()
    }

    /// Path of a marker at (x, y): a circle for teachers, a triangle for students.
    static func marker(_ flow: String, _ x: Double, _ y: Double) -> String {
        let n = SVGDocument.num
        if flow == "teacher" {
            let r = 4.5
            return "M\(n(x - r)),\(n(y)) a\(n(r)),\(n(r)) 0 1,0 \(n(2 * r)),0 a\(n(r)),\(n(r)) 0 1,0 \(n(-2 * r)),0 Z"
        }
        return "M\(n(x)),\(n(y - 6)) L\(n(x + 5.5)),\(n(y + 4)) L\(n(x - 5.5)),\(n(y + 4)) Z"
    }

    private func drawLegend(_ svg: inout SVGDocument, y: Double, width: Double) {
        var x = 20.0
        for (v, variant) in variants.enumerated() {
            let color = PlotStyle.palette[v % PlotStyle.palette.count]
            svg.line(x1: x, y1: y + 12, x2: x + 24, y2: y + 12, stroke: color, width: 2.5)
            svg.text(variant.title, x: x + 30, y: y + 17, size: 13)
            x += 44 + 7.6 * Double(variant.title.count)
        }
        svg.path(Self.marker("teacher", 30, y + 40), stroke: "#333", width: 1.5, fill: "#333")
        svg.text("teacher (Flow I + teacher)", x: 42, y: y + 45, size: 13)
        svg.path(Self.marker("student", 250, y + 40), stroke: "#333", width: 1.5, fill: "#fff")
        svg.text("student (+ distillation)", x: 262, y: y + 45, size: 13)
        svg.text("lines: lowest AUC reached within the CPU time (solid: teachers, dashed: students)", x: 20, y: y + 68, size: 11, fill: "#555")
        svg.text("bars: ± standard deviation over the classifier runs; dotted line: AUC 0.5", x: 20, y: y + 84, size: 11, fill: "#555")
    }
}
