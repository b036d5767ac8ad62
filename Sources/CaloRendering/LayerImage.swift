import Foundation
import CaloData

// MARK: - LayerImageStyle

/// Sizes and labels of a layer panel.
public struct LayerImageStyle: Sendable {
    /// Font scale of the bitmap font (2: 12 px per character, 3: 18 px).
    public var textScale: Int = 2
    /// Longest side of the heat map in pixels.
    public var plotSize: Int = 288
    public var axes: LayerAxes = .millimetres
    /// Label of the energy colour bar.
    public var colorBarLabel: String = "E [MeV]"
    /// Width of a colour bar in pixels.
    public var colorBarWidth: Int = 18

    public init(textScale: Int = 2, plotSize: Int = 288, axes: LayerAxes = .millimetres) {
        self.textScale = max(1, textScale); self.plotSize = max(16, plotSize); self.axes = axes
    }
}

/// What the colour bar of a panel shows.
public enum LayerColorBar: Sendable {
    case none
    /// The energy scale, labelled with `LayerImageStyle.colorBarLabel`.
    case energy
    /// A ratio scale with the given label ("gen / ref").
    case ratio(String)
}

// MARK: - LayerPanel

/// A rendered panel and where its heat map sits inside it (pixels).
public struct LayerPanel: Sendable {
    public var image: RGBImage
    public var heatmapX: Int
    public var heatmapY: Int
    public var heatmapWidth: Int
    public var heatmapHeight: Int
}

// MARK: - LayerImage

/// Renders one calorimeter layer: a heat map of cell values on a log (or ratio) colour scale
/// with title, axis ticks and labels and a colour bar with tick labels.
public enum LayerImage {
    /// Pixel size (width, height) of the heat map of `geometry` under `style`.
    public static func heatmapSize(_ geometry: LayerGeometry, style: LayerImageStyle) -> (width: Int, height: Int) {
        if geometry.polar != nil { return (style.plotSize, style.plotSize) }
        switch style.axes {
        case .cellIndex: return (style.plotSize, style.plotSize)
        case .millimetres:
            let ppm = Double(style.plotSize) / max(geometry.extentX, geometry.extentY)
            return (max(1, Int((geometry.extentY * ppm).rounded())), max(1, Int((geometry.extentX * ppm).rounded())))
        }
    }

    /// The bare heat map: cell (ix, iy) covers columns ⌊iy·W/ny⌋..<⌊(iy+1)·W/ny⌋ and rows counted
    /// from the bottom ⌊ix·H/nx⌋..<⌊(ix+1)·H/nx⌋. `color` maps a cell value to its colour.
    /// A polar layer is drawn as a disc instead (see `polarHeatmap`).
    public static func heatmap(values: [Double], geometry g: LayerGeometry, width: Int, height: Int,
                               color: (Double) -> RGBColor) throws -> RGBImage {
        guard values.count == g.cellCount else {
            throw RenderError.invalidInput("\(g.name) has \(g.nx)x\(g.ny) = \(g.cellCount) cells, got \(values.count) values")
        }
        if let p = g.polar { return polarHeatmap(values: values, binning: p, width: width, height: height, color: color) }
        var img = RGBImage(width: width, height: height)
        for ix in 0..<g.nx {
            let r0 = ix * height / g.nx, r1 = (ix + 1) * height / g.nx
            for iy in 0..<g.ny {
                let c0 = iy * width / g.ny, c1 = (iy + 1) * width / g.ny
                img.fillRect(x: c0, y: height - r1, width: c1 - c0, height: r1 - r0, color(values[ix * g.ny + iy]))
            }
        }
        return img
    }

    /// A polar layer as a disc seen along the beam: angle alpha counter-clockwise from the
    /// horizontal axis (x = r cos alpha is the challenge's η direction, horizontal as in the grid
    /// images; y = r sin alpha its φ, vertical), and every radial bin a ring of the SAME width
    /// (radius in bin index, not mm: the challenge's bins grow from 1 mm to 1 m, and rings true
    /// to scale would hide the core). Pixels outside the disc are white. Voxel `a * nR + r`.
    static func polarHeatmap(values: [Double], binning p: CalorimeterGeometry.PolarBinning, width: Int, height: Int,
                             color: (Double) -> RGBColor) -> RGBImage {
        var img = RGBImage(width: width, height: height)
        img.fillRect(x: 0, y: 0, width: width, height: height, .white)
        let nR = p.radialBins, nA = p.alphaBins
        let cx = Double(width) / 2, cy = Double(height) / 2, radius = min(cx, cy)
        let colors = values.map(color)
        for py in 0..<height {
            let dy = cy - (Double(py) + 0.5)
            for px in 0..<width {
                let dx = Double(px) + 0.5 - cx
                let rho = (dx * dx + dy * dy).squareRoot() / radius * Double(nR)
                guard rho < Double(nR) else { continue }
                let r = min(nR - 1, Int(rho))
                let alpha = atan2(dy, dx)   // (-pi, pi]
                let a = nA == 1 ? 0 : min(nA - 1, max(0, Int((alpha + Double.pi) / p.alphaWidth)))
                img.fillRect(x: px, y: py, width: 1, height: 1, colors[a * nR + r])
            }
        }
        return img
    }

    /// A full panel of one layer on the energy scale `scale`.
    public static func panel(values: [Double], geometry: LayerGeometry, scale: LogColorScale, title: String,
                             colorBar: Bool = true, style: LayerImageStyle = LayerImageStyle()) throws -> LayerPanel {
        try panel(values: values, geometry: geometry, title: title, style: style,
                  bar: colorBar ? .energy : .none, color: scale.color,
                  barPosition: { scale.position($0) ?? 0 }, barTicks: scale.ticks, barMap: scale.colorMap)
    }

    /// A panel of per-cell ratios (e.g. generated / reference average) on `scale`.
    public static func ratioPanel(ratios: [Double], geometry: LayerGeometry, scale: RatioColorScale, title: String,
                                  label: String = "gen / ref", style: LayerImageStyle = LayerImageStyle()) throws -> LayerPanel {
        try panel(values: ratios, geometry: geometry, title: title, style: style, bar: .ratio(label),
                  color: scale.color, barPosition: { scale.position($0) ?? 0.5 }, barTicks: scale.ticks,
                  barMap: scale.colorMap)
    }

    // MARK: - Layout

    private static func panel(values: [Double], geometry g: LayerGeometry, title: String, style: LayerImageStyle,
                              bar: LayerColorBar, color: (Double) -> RGBColor, barPosition: (Double) -> Double,
                              barTicks: [Double], barMap: ColorMap) throws -> LayerPanel {
        let s = style.textScale, lineH = 10 * s, capH = 7 * s, tick = 3 * s, gap = 2 * s
        let (w, h) = heatmapSize(g, style: style)
        let heat = try heatmap(values: values, geometry: g, width: w, height: h, color: color)

        // Axis ticks: (pixel offset along the axis, label).
        let (hTicks, vTicks, hLabel, vLabel) = axisTicks(g, style: style, width: w, height: h)
        let vLabelW = vTicks.map { BitmapFont.width($0.1, scale: s) }.max() ?? 0
        let left = gap + BitmapFont.height(scale: s) + 2 * gap + vLabelW + gap + tick
        let top = gap + lineH + gap
        let bottom = tick + gap + lineH + gap + lineH
        var barBlock = 0
        var barLabels: [(Double, String)] = []
        var barTitle = ""
        switch bar {
        case .none: break
        case .energy: barTitle = style.colorBarLabel
        case .ratio(let t): barTitle = t
        }
        if case .none = bar {} else {
            barLabels = barTicks.map { ($0, NiceTicks.logLabel($0)) }
            let lw = barLabels.map { BitmapFont.width($0.1, scale: s) }.max() ?? 0
            barBlock = 4 * gap + style.colorBarWidth + 1 + tick + gap + lw + 2 * gap + BitmapFont.height(scale: s) + 2 * gap
        }
        let titleW = BitmapFont.width(title, scale: s)
        // Room for tick labels and the axis label that reach past the heat map's right edge.
        let tickRight = hTicks.map { $0.0 + BitmapFont.width($0.1, scale: s) / 2 }.max() ?? 0
        let labelRight = w / 2 + BitmapFont.width(hLabel, scale: s) / 2
        let width = max(left + w + max(barBlock, 4 * gap), left + w / 2 + titleW / 2 + gap,
                        left + max(tickRight, labelRight) + gap)
        var img = RGBImage(width: width, height: top + h + bottom)

        img.drawText(title, x: left + w / 2, y: gap, scale: s, anchor: .middle)
        img.draw(heat, x: left, y: top)
        img.strokeRect(x: left - 1, y: top - 1, width: w + 2, height: h + 2, .black)
        for (off, label) in hTicks {
            img.fillRect(x: left + off, y: top + h + 1, width: 1, height: tick, .black)
            img.drawText(label, x: left + off, y: top + h + tick + gap, scale: s, anchor: .middle)
        }
        for (off, label) in vTicks {
            let yy = top + h - off
            img.fillRect(x: left - 1 - tick, y: yy, width: tick, height: 1, .black)
            img.drawText(label, x: left - 1 - tick - gap, y: yy - capH / 2, scale: s, anchor: .end)
        }
        img.drawText(hLabel, x: left + w / 2, y: top + h + tick + gap + lineH + gap, scale: s, anchor: .middle)
        img.drawTextVertical(vLabel, x: gap, y: top + h / 2, scale: s)

        if barBlock > 0 {
            let bx = left + w + 4 * gap, bw = style.colorBarWidth
            for row in 0..<h {
                let t = 1 - (Double(row) + 0.5) / Double(h)
                img.fillRect(x: bx, y: top + row, width: bw, height: 1, barMap.color(at: t))
            }
            img.strokeRect(x: bx - 1, y: top - 1, width: bw + 2, height: h + 2, .black)
            var maxLabelW = 0
            for (v, label) in barLabels {
                let yy = top + h - Int((barPosition(v) * Double(h)).rounded())
                img.fillRect(x: bx + bw + 1, y: min(yy, top + h - 1), width: tick, height: 1, .black)
                img.drawText(label, x: bx + bw + 1 + tick + gap, y: yy - capH / 2, scale: s)
                maxLabelW = max(maxLabelW, BitmapFont.width(label, scale: s))
            }
            img.drawTextVertical(barTitle, x: bx + bw + 1 + tick + gap + maxLabelW + 2 * gap, y: top + h / 2, scale: s)
        }
        return LayerPanel(image: img, heatmapX: left, heatmapY: top, heatmapWidth: w, heatmapHeight: h)
    }

    /// Tick offsets (pixels from the left / bottom of the heat map) and labels for both axes.
    private static func axisTicks(_ g: LayerGeometry, style: LayerImageStyle, width w: Int, height h: Int)
        -> ([(Int, String)], [(Int, String)], String, String) {
        if let p = g.polar { return (polarTicks(p, width: w, scale: style.textScale), [], "r [mm]", "") }
        switch style.axes {
        case .millimetres:
            func mm(_ extent: Double, _ px: Int) -> [(Int, String)] {
                let half = extent / 2
                let ticks = NiceTicks.linear(min: -half, max: half, target: 4)
                let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
                return ticks.map { (Int(((($0 + half) / extent) * Double(px)).rounded()), NiceTicks.label($0, step: step)) }
            }
            return (mm(g.extentY, w), mm(g.extentX, h), "y [mm] (η)", "x [mm] (φ)")
        case .cellIndex:
            func cells(_ n: Int, _ px: Int) -> [(Int, String)] {
                let ticks = NiceTicks.linear(min: 0, max: Double(n - 1), target: min(6, max(1, n - 1)))
                    .filter { $0 == $0.rounded() }
                return ticks.map { (Int((($0 + 0.5) / Double(n)) * Double(px)), String(Int($0))) }
            }
            return (cells(g.ny, w), cells(g.nx, h), "η cell", "φ cell")
        }
    }

    /// Ticks along the horizontal diameter's right half: the radial bin edges in mm at their ring
    /// boundaries, the outermost edge and the centre always, others only where a label fits.
    private static func polarTicks(_ p: CalorimeterGeometry.PolarBinning, width w: Int, scale s: Int) -> [(Int, String)] {
        let nR = p.radialBins, half = Double(w) / 2
        func offset(_ k: Int) -> Int { Int((half + half * Double(k) / Double(nR)).rounded()) }
        func label(_ k: Int) -> String { String(format: "%g", p.radialEdges[k]) }
        func extent(_ k: Int) -> ClosedRange<Int> {
            let lw = BitmapFont.width(label(k), scale: s)
            return (offset(k) - lw / 2 - 2 * s)...(offset(k) + lw / 2 + 2 * s)
        }
        var chosen = [nR, 0]
        for k in stride(from: nR - 1, through: 1, by: -1) where chosen.allSatisfy({ !extent($0).overlaps(extent(k)) }) {
            chosen.append(k)
        }
        return chosen.sorted().map { (offset($0), label($0)) }
    }
}
