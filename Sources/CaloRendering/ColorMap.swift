import Foundation

// MARK: - ColorMap

/// A colour map on t ∈ [0, 1], piecewise-linear in sRGB between a few control points.
///
/// - `sequential`: dark purple → blue → teal → green → yellow, in the spirit of viridis; chosen
///   here from eight hand-picked control points so that luminance rises monotonically (a darker
///   cell always means less energy, also in greyscale print and for colour-blind readers).
/// - `diverging`: blue → near-white → red for ratios, centred at t = 0.5 (ratio 1).
public struct ColorMap: Sendable {
    /// Control points (t, colour), t strictly increasing from 0 to 1.
    public let stops: [(t: Double, color: RGBColor)]

    /// A map through `stops`; throws unless t starts at 0, ends at 1 and strictly increases.
    public init(stops: [(t: Double, color: RGBColor)]) throws {
        guard stops.count >= 2, stops.first!.t == 0, stops.last!.t == 1,
              zip(stops, stops.dropFirst()).allSatisfy({ $0.t < $1.t }) else {
            throw RenderError.invalidInput("colour map stops must run strictly increasing from t = 0 to t = 1")
        }
        self.stops = stops
    }

    private init(checked stops: [(t: Double, color: RGBColor)]) { self.stops = stops }

    /// The colour at `t`, clamped to [0, 1]; NaN maps to t = 0.
    public func color(at t: Double) -> RGBColor {
        let u = t.isNaN ? 0 : Swift.min(1, Swift.max(0, t))
        var k = 1
        while k < stops.count - 1 && stops[k].t < u { k += 1 }
        let a = stops[k - 1], b = stops[k]
        let f = (u - a.t) / (b.t - a.t)
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * f).rounded()) }
        return RGBColor(mix(a.color.r, b.color.r), mix(a.color.g, b.color.g), mix(a.color.b, b.color.b))
    }

    /// Lowest colour (t = 0).
    public var lowest: RGBColor { stops[0].color }
    /// Highest colour (t = 1).
    public var highest: RGBColor { stops[stops.count - 1].color }

    // MARK: - Built-in maps

    /// Perceptually ordered sequential map (viridis-like): luminance rises strictly from stop to
    /// stop (0.019 → 0.78); after 8-bit rounding it is strictly increasing at 64 levels.
    public static let sequential = ColorMap(checked: [
        (0.000, RGBColor(68, 1, 84)),
        (0.140, RGBColor(71, 45, 123)),
        (0.280, RGBColor(59, 82, 139)),
        (0.420, RGBColor(44, 114, 142)),
        (0.560, RGBColor(33, 145, 140)),
        (0.700, RGBColor(53, 183, 121)),
        (0.850, RGBColor(144, 215, 67)),
        (1.000, RGBColor(253, 231, 37)),
    ])

    /// Diverging blue–white–red map for ratios (t = 0.5 is the neutral colour).
    public static let diverging = ColorMap(checked: [
        (0.00, RGBColor(33, 102, 172)),
        (0.25, RGBColor(146, 197, 222)),
        (0.50, RGBColor(247, 247, 247)),
        (0.75, RGBColor(244, 165, 130)),
        (1.00, RGBColor(178, 24, 43)),
    ])
}

// MARK: - LogColorScale

/// Maps energies to colours on a logarithmic scale between `min` and `max` (both > 0, MeV for
/// layer images): t = (log10 v − log10 min) / (log10 max − log10 min).
///
/// Edge cases (documented choice): values below `min`, zero, negative or NaN are shown as the
/// lowest colour of the map, as matplotlib's LogNorm with the CaloChallenge +1e-16 offset does;
/// set `emptyColor` to draw cells with exactly zero / negative / NaN energy in a distinct colour
/// instead (e.g. white, as CaloGAN's masked plots). Values above `max` saturate at the top colour.
public struct LogColorScale: Sendable {
    public let min: Double
    public let max: Double
    public var colorMap: ColorMap
    /// Colour of cells with value ≤ 0 or NaN; `nil` = the lowest colour.
    public var emptyColor: RGBColor?

    /// Throws unless 0 < min < max and both are finite.
    public init(min: Double, max: Double, colorMap: ColorMap = .sequential, emptyColor: RGBColor? = nil) throws {
        guard min > 0, max > min, min.isFinite, max.isFinite else {
            throw RenderError.invalidInput("log colour scale needs 0 < min < max, got min \(min), max \(max)")
        }
        self.min = min; self.max = max; self.colorMap = colorMap; self.emptyColor = emptyColor
    }

    /// Position of `v` on the scale in [0, 1]; `nil` for v ≤ 0 or NaN.
    public func position(_ v: Double) -> Double? {
        guard v > 0 else { return nil }
        let t = (log10(v) - log10(min)) / (log10(max) - log10(min))
        return Swift.min(1, Swift.max(0, t))
    }

    /// The colour of `v`.
    public func color(_ v: Double) -> RGBColor {
        guard let t = position(v) else { return emptyColor ?? colorMap.lowest }
        return colorMap.color(at: t)
    }

    /// Tick values for a colour bar: decades inside [min, max] (with 2 and 5 multiples when the
    /// range spans less than two decades).
    public var ticks: [Double] { NiceTicks.logarithmic(min: min, max: max) }
}

// MARK: - RatioColorScale

/// Maps ratios (generated / reference) to the diverging map, symmetric in log: 1/`range` → blue,
/// 1 → neutral, `range` → red. Ratios ≤ 0 or NaN (e.g. 0/0) use `emptyColor` (light grey).
public struct RatioColorScale: Sendable {
    public let range: Double
    public var colorMap: ColorMap = .diverging
    public var emptyColor: RGBColor = .lightGray

    /// Throws unless `range` > 1 and finite.
    public init(range: Double = 2) throws {
        guard range > 1, range.isFinite else {
            throw RenderError.invalidInput("ratio colour range must be > 1, got \(range)")
        }
        self.range = range
    }

    /// Position in [0, 1] of `ratio`, or nil for ratio ≤ 0 / NaN; +∞ saturates at 1.
    public func position(_ ratio: Double) -> Double? {
        guard ratio > 0 else { return nil }
        return Swift.min(1, Swift.max(0, 0.5 + 0.5 * log(ratio) / log(range)))
    }

    public func color(_ ratio: Double) -> RGBColor {
        guard let t = position(ratio) else { return emptyColor }
        return colorMap.color(at: t)
    }

    /// Tick ratios 1/range, …, 1, …, range (1-2-5 steps on the log axis).
    public var ticks: [Double] { NiceTicks.logarithmic(min: 1 / range, max: range) }
}
