import Foundation

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
        switch style.axes {
        case .cellIndex: return (style.plotSize, style.plotSize)
        case .millimetres:
            let ppm = Double(style.plotSize) / max(geometry.extentX, geometry.extentY)
            return (max(1, Int((geometry.extentY * ppm).rounded())), max(1, Int((geometry.extentX * ppm).rounded())))
        }
    }

    /// The bare heat map: cell (ix, iy) covers columns ⌊iy·W/ny⌋..<⌊(iy+1)·W/ny⌋ and rows counted
    /// from the bottom ⌊ix·H/nx⌋..<⌊(ix+1)·H/nx⌋. `color` maps a cell value to its colour.
    public static func heatmap(values: [Double], geometry g: LayerGeometry, width: Int, height: Int,
                               color: (Double) -> RGBColor) throws -> RGBImage {
        guard values.count == g.cellCount else {
            throw RenderError.invalidInput("\(g.name) has \(g.nx)x\(g.ny) = \(g.cellCount) cells, got \(values.count) values")
        }
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
        let width = max(left + w + max(barBlock, 4 * gap), left + w / 2 + titleW / 2 + gap)
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
}
