import Foundation

// MARK: - LayerFigure

/// Multi-panel layer figures assembled from `LayerImage` panels.
public enum LayerFigure {
    /// Default lower end of the energy colour scale, MeV (CaloChallenge average-shower plots
    /// use LogNorm with vmin = 1e-2 MeV).
    public static let defaultMinimumMeV = 1e-2

    /// Average showers: one row per layer, reference and generated side by side on a SHARED
    /// log colour range per layer (vmin = `minimumMeV`, vmax = the larger maximum of the two),
    /// plus, if `showRatio`, a third panel of generated / reference per cell on a diverging
    /// scale from 1/`ratioRange` to `ratioRange` (cells where both are zero are grey).
    ///
    /// - Parameters:
    ///   - reference, generated: per-layer grids in MeV, `[layer][ix * ny + iy]`, one per geometry.
    ///   - geometries: the layers (default the three CaloGAN layers).
    public static func averageComparison(reference: [[Double]], generated: [[Double]],
                                         geometries: [LayerGeometry] = LayerGeometry.caloGAN,
                                         title: String = "Average shower",
                                         referenceLabel: String = "reference", generatedLabel: String = "generated",
                                         minimumMeV: Double = defaultMinimumMeV, showRatio: Bool = true,
                                         ratioRange: Double = 2, style: LayerImageStyle = LayerImageStyle()) throws -> RGBImage {
        try averageComparison(reference: reference, samples: [generated], labels: [generatedLabel], geometries: geometries,
                              title: title, referenceLabel: referenceLabel, minimumMeV: minimumMeV, showRatio: showRatio,
                              ratioRange: ratioRange, style: style)
    }

    /// Average showers of several generated samples side by side: per layer row the reference,
    /// then every sample on the row's SHARED log colour range, then (if `showRatio`) one ratio
    /// panel sample / reference per sample, in the order of `samples`. With one sample this is
    /// `averageComparison(reference:generated:...)`.
    ///
    /// - Parameters:
    ///   - samples: per sample, per-layer grids in MeV, `[sample][layer][ix * ny + iy]`.
    ///   - labels: one panel title per sample.
    public static func averageComparison(reference: [[Double]], samples: [[[Double]]], labels: [String],
                                         geometries: [LayerGeometry] = LayerGeometry.caloGAN,
                                         title: String = "Average shower", referenceLabel: String = "reference",
                                         minimumMeV: Double = defaultMinimumMeV, showRatio: Bool = true,
                                         ratioRange: Double = 2, style: LayerImageStyle = LayerImageStyle()) throws -> RGBImage {
        guard !samples.isEmpty, labels.count == samples.count else {
            throw RenderError.invalidInput("need at least one generated sample and one label per sample, got \(samples.count) samples and \(labels.count) labels")
        }
        guard reference.count == geometries.count, samples.allSatisfy({ $0.count == geometries.count }) else {
            throw RenderError.invalidInput("need one grid per layer (\(geometries.count)), got \(reference.count) reference and "
                                           + samples.map { String($0.count) }.joined(separator: ", ") + " generated")
        }
        var rows: [[RGBImage]] = []
        for (l, g) in geometries.enumerated() {
            let scale = try sharedScale([reference[l]] + samples.map { $0[l] }, minimum: minimumMeV)
            var row = [try LayerImage.panel(values: reference[l], geometry: g, scale: scale,
                                            title: "\(referenceLabel), \(g.name)", colorBar: false, style: style).image]
            for (k, sample) in samples.enumerated() {
                row.append(try LayerImage.panel(values: sample[l], geometry: g, scale: scale, title: "\(labels[k]), \(g.name)",
                                                colorBar: k == samples.count - 1, style: style).image)
            }
            if showRatio {
                for (k, sample) in samples.enumerated() {
                    let ratios = zip(sample[l], reference[l]).map { gen, ref -> Double in
                        if ref > 0 { return gen / ref }
                        return gen > 0 ? .infinity : .nan
                    }
                    let name = samples.count == 1 ? "ratio, \(g.name)" : "\(labels[k]) / ref., \(g.name)"
                    row.append(try LayerImage.ratioPanel(ratios: ratios, geometry: g, scale: try RatioColorScale(range: ratioRange),
                                                         title: name, style: style).image)
                }
            }
            rows.append(row)
        }
        return compose(rows: rows, title: title, scale: style.textScale)
    }

    /// Single showers: one column per shower, one row per layer, each layer row on one shared
    /// log scale (vmin = `minimumMeV`, vmax = the row's maximum) with a colour bar at its end.
    ///
    /// - Parameters:
    ///   - showers: `[shower][layer][cell]` in MeV.
    ///   - titles: one caption per shower (e.g. "E_inc 42.0 GeV"); indices are used when empty.
    public static func singleShowers(_ showers: [[[Double]]], titles: [String] = [],
                                     geometries: [LayerGeometry] = LayerGeometry.caloGAN,
                                     title: String = "Single showers", minimumMeV: Double = defaultMinimumMeV,
                                     style: LayerImageStyle = LayerImageStyle()) throws -> RGBImage {
        guard !showers.isEmpty else { throw RenderError.invalidInput("no showers to draw") }
        guard titles.isEmpty || titles.count == showers.count else {
            throw RenderError.invalidInput("\(showers.count) showers but \(titles.count) titles")
        }
        guard showers.allSatisfy({ $0.count == geometries.count }) else {
            throw RenderError.invalidInput("every shower needs \(geometries.count) layers")
        }
        var rows: [[RGBImage]] = []
        for (l, g) in geometries.enumerated() {
            let scale = try sharedScale(showers.map { $0[l] }, minimum: minimumMeV)
            var row: [RGBImage] = []
            for (i, shower) in showers.enumerated() {
                let name = titles.isEmpty ? "shower \(i)" : titles[i]
                row.append(try LayerImage.panel(values: shower[l], geometry: g, scale: scale, title: "\(name), \(g.name)",
                                                colorBar: i == showers.count - 1, style: style).image)
            }
            rows.append(row)
        }
        return compose(rows: rows, title: title, scale: style.textScale)
    }

    /// A log scale from `minimum` to the largest value among `grids` (at least 10 × minimum, so
    /// an all-empty layer still gets a valid scale).
    public static func sharedScale(_ grids: [[Double]], minimum: Double) throws -> LogColorScale {
        var top = 0.0
        for g in grids { for v in g where v.isFinite && v > top { top = v } }
        return try LogColorScale(min: minimum, max: max(top, 10 * minimum))
    }

    /// Stacks rows of panels (left-aligned, each row as tall as its tallest panel) under a title.
    public static func compose(rows: [[RGBImage]], title: String, scale s: Int) -> RGBImage {
        let pad = 4 * s, titleH = title.isEmpty ? 0 : 10 * s + 2 * pad
        let rowW = rows.map { $0.reduce(0) { $0 + $1.width } + pad * max(0, $0.count - 1) }
        let rowH = rows.map { $0.map(\.height).max() ?? 0 }
        let width = (rowW.max() ?? 0) + 2 * pad
        var img = RGBImage(width: width, height: titleH + rowH.reduce(0, +) + pad * (rows.count + 1))
        if titleH > 0 { img.drawText(title, x: width / 2, y: pad, scale: s, anchor: .middle) }
        var y = titleH + pad
        for (r, row) in rows.enumerated() {
            var x = pad
            for panel in row { img.draw(panel, x: x, y: y); x += panel.width + pad }
            y += rowH[r] + pad
        }
        return img
    }
}
