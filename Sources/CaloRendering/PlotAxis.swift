import Foundation

// MARK: - PlotAxis

/// A data range mapped onto a pixel interval, linear or logarithmic.
public struct PlotAxis: Sendable {
    public var min: Double
    public var max: Double
    public var log: Bool
    public var label: String

    /// Throws for an empty or non-finite range, or a log axis reaching ≤ 0.
    public init(min: Double, max: Double, log: Bool = false, label: String = "") throws {
        guard min.isFinite, max.isFinite, max > min, !log || min > 0 else {
            throw RenderError.invalidInput("axis \"\(label)\" needs finite min < max (and min > 0 when logarithmic), got \(min)…\(max)")
        }
        self.min = min; self.max = max; self.log = log; self.label = label
    }

    /// Position of `v` in [0, 1] along the axis (outside for values beyond the range; −∞ for
    /// v ≤ 0 on a log axis).
    public func fraction(_ v: Double) -> Double {
        if log { return v > 0 ? (log10(v) - log10(min)) / (log10(max) - log10(min)) : -.infinity }
        return (v - min) / (max - min)
    }

    /// Major tick values inside the range.
    public var ticks: [Double] {
        log ? NiceTicks.logarithmic(min: min, max: max) : NiceTicks.linear(min: min, max: max, target: 5)
    }

    /// Unlabelled minor ticks of a log axis (2…9 × 10^k), empty on linear axes or when the
    /// major ticks already include 2 and 5 multiples.
    public var minorTicks: [Double] {
        guard log, ticks.allSatisfy({ NiceTicks.decadeExponent($0) != nil }),
              log10(max) - log10(min) <= 12 else { return [] }
        var out: [Double] = []
        for k in Int(floor(log10(min)))...Int(ceil(log10(max))) {
            for m in 2...9 {
                let v = Double(m) * pow(10, Double(k))
                if v > min && v < max { out.append(v) }
            }
        }
        return out
    }

    /// The range padded for data: linear from 0 (or the data minimum if negative) to 10% above the
    /// maximum; logarithmic from the decade below the smallest positive value to the decade above
    /// the maximum (at most `maxDecades` decades). Non-finite values are ignored.
    public static func dataRange(_ values: [Double], log: Bool, includeZero: Bool = true, maxDecades: Double = 8,
                                 label: String = "") throws -> PlotAxis {
        let finite = values.filter { $0.isFinite && (!log || $0 > 0) }
        guard let lo = finite.min(), let hi = finite.max() else {
            throw RenderError.invalidInput("no finite\(log ? " positive" : "") values to plot on axis \"\(label)\"")
        }
        if log {
            let top = pow(10, ceil(log10(hi) + 1e-9))
            let bottom = Swift.max(pow(10, floor(log10(lo))), top / pow(10, maxDecades))
            return try PlotAxis(min: bottom, max: Swift.max(top, bottom * 10), log: true, label: label)
        }
        let a = includeZero ? Swift.min(0, lo) : lo
        var b = hi + 0.1 * (hi - a)
        if b <= a { b = a + (a == 0 ? 1 : abs(a) * 0.1) }
        return try PlotAxis(min: a, max: b, log: false, label: label)
    }
}

// MARK: - PlotFrame

/// A plotting rectangle in an SVG with its two axes: maps data to pixels and draws the frame,
/// ticks, tick labels and axis labels.
public struct PlotFrame: Sendable {
    public var x: Double, y: Double, width: Double, height: Double
    public var xAxis: PlotAxis
    public var yAxis: PlotAxis

    public init(x: Double, y: Double, width: Double, height: Double, xAxis: PlotAxis, yAxis: PlotAxis) {
        self.x = x; self.y = y; self.width = width; self.height = height; self.xAxis = xAxis; self.yAxis = yAxis
    }

    /// Pixel x of data value `v` (unclamped).
    public func px(_ v: Double) -> Double { x + xAxis.fraction(v) * width }
    /// Pixel y of data value `v`, clamped to a band just outside the frame so that clipped
    /// paths of huge or −∞ values stay finite.
    public func py(_ v: Double) -> Double {
        let f = yAxis.fraction(v)
        let p = y + height - (f.isFinite ? f : (f > 0 ? 2 : -1)) * height
        return Swift.min(y + 2 * height, Swift.max(y - height, p))
    }

    /// Draws frame, ticks and labels. `xTickLabels: false` leaves the x labels to a panel below.
    public func drawAxes(into svg: inout SVGDocument, xTickLabels: Bool = true, xLabel: Bool = true, fontSize: Double = 13) {
        let tl = 6.0
        for (axis, isX) in [(xAxis, true), (yAxis, false)] {
            for v in axis.minorTicks {
                if isX { let p = px(v); svg.line(x1: p, y1: y + height, x2: p, y2: y + height - tl / 2, stroke: "#000") }
                else { let p = py(v); svg.line(x1: x, y1: p, x2: x + tl / 2, y2: p, stroke: "#000") }
            }
            let ticks = axis.ticks
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            for v in ticks {
                if isX {
                    let p = px(v)
                    svg.line(x1: p, y1: y + height, x2: p, y2: y + height - tl, stroke: "#000")
                    if xTickLabels { tickLabel(v, axis: axis, step: step, x: p, y: y + height + fontSize + 4, anchor: "middle", svg: &svg, size: fontSize) }
                } else {
                    let p = py(v)
                    svg.line(x1: x, y1: p, x2: x + tl, y2: p, stroke: "#000")
                    tickLabel(v, axis: axis, step: step, x: x - 5, y: p + fontSize * 0.35, anchor: "end", svg: &svg, size: fontSize)
                }
            }
        }
        svg.rect(x: x, y: y, width: width, height: height, stroke: "#000", strokeWidth: 1)
        if xLabel && !xAxis.label.isEmpty {
            svg.text(xAxis.label, x: x + width / 2, y: y + height + 2 * fontSize + 14, size: fontSize + 1, anchor: "middle")
        }
        if !yAxis.label.isEmpty {
            let lx = x - 58
            svg.text(yAxis.label, x: lx, y: y + height / 2, size: fontSize + 1, anchor: "middle", rotate: -90)
        }
    }

    /// Decades on log axes as 10 with a superscript exponent; other values as plain decimals.
    private func tickLabel(_ v: Double, axis: PlotAxis, step: Double, x: Double, y: Double, anchor: String,
                           svg: inout SVGDocument, size: Double) {
        // Superscript decades for the whole axis as soon as one decade label would be long.
        let superscript = axis.log && axis.ticks.contains { NiceTicks.decadeExponent($0).map { $0 < -2 || $0 > 3 } ?? false }
        if superscript, let k = NiceTicks.decadeExponent(v) {
            svg.richText([("10", false), ((k < 0 ? "\u{2212}" : "") + String(abs(k)), true)], x: x, y: y, size: size, anchor: anchor)
        } else {
            let s = axis.log ? NiceTicks.logLabel(v) : NiceTicks.label(v, step: step)
            svg.text(s.replacingOccurrences(of: "-", with: "\u{2212}"), x: x, y: y, size: size, anchor: anchor)
        }
    }
}
