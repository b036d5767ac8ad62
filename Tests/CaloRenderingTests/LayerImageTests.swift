import CaloData
import CaloRendering
import Foundation
import Testing

@Suite("LayerImage")
struct LayerImageTests {
    @Test("average comparison figure is written and reads back")
    func averageFigure() throws {
        let dir = try SampleFigures.outputDirectory()
        let ref = SampleFigures.gaussianShower()
        let gen = SampleFigures.gaussianShower(amplitude: 1.2, shift: 10)
        let img = try LayerFigure.averageComparison(reference: ref, generated: gen)
        let path = dir + "/average_layers.png"
        try PNGCodec.write(img, to: path)
        let back = try PNGCodec.read(path: path)
        #expect(back == img)
        let strip = try LayerFigure.singleShowers([ref, gen, SampleFigures.gaussianShower(amplitude: 0.3, shift: -40)],
                                                  titles: ["E 10 GeV", "E 50 GeV", "E 90 GeV"])
        try PNGCodec.write(strip, to: dir + "/single_showers.png")
        var cellStyle = LayerImageStyle(); cellStyle.axes = .cellIndex
        let cells = try LayerFigure.averageComparison(reference: ref, generated: gen, showRatio: false, style: cellStyle)
        try PNGCodec.write(cells, to: dir + "/average_layers_cells.png")
    }

    @Test("one hot cell appears in the hot colour at its pixel position", arguments: [0, 1, 2])
    func hotCell(layer: Int) throws {
        let g = LayerGeometry.caloGAN[layer]
        let scale = try LogColorScale(min: 1e-2, max: 1e3)
        let (ix, iy) = (g.nx - 1, g.ny / 3)   // top row, a third of the way across
        var values = [Double](repeating: 0, count: g.cellCount)
        values[ix * g.ny + iy] = 1e3
        let p = try LayerImage.panel(values: values, geometry: g, scale: scale, title: "hot")
        // Every CaloGAN layer is 480 x 480 mm, so the millimetre view is square.
        #expect(p.heatmapWidth == p.heatmapHeight)
        let cw = Double(p.heatmapWidth) / Double(g.ny), ch = Double(p.heatmapHeight) / Double(g.nx)
        let cx = p.heatmapX + Int((Double(iy) + 0.5) * cw)
        let cy = p.heatmapY + p.heatmapHeight - 1 - Int((Double(ix) + 0.5) * ch)   // row 0 at the bottom
        #expect(p.image.pixel(x: cx, y: cy) == ColorMap.sequential.highest)
        // The neighbouring cells and the opposite corner are empty (lowest colour).
        #expect(p.image.pixel(x: cx + Int(cw), y: cy) == ColorMap.sequential.lowest)
        #expect(p.image.pixel(x: cx, y: cy + Int(ch)) == ColorMap.sequential.lowest)
        #expect(p.image.pixel(x: p.heatmapX + 1, y: p.heatmapY + p.heatmapHeight - 2) == ColorMap.sequential.lowest)
        let hot = (0..<p.heatmapHeight).reduce(0) { n, y in
            n + (0..<p.heatmapWidth).filter { p.image.pixel(x: p.heatmapX + $0, y: p.heatmapY + y) == ColorMap.sequential.highest }.count
        }
        #expect(abs(Double(hot) - cw * ch) <= cw + ch + 1)   // exactly one cell's area, up to rounding
        #expect(throws: RenderError.self) { try LayerImage.panel(values: [1, 2], geometry: g, scale: scale, title: "bad") }
    }

    @Test("bitmap font covers printable ASCII and the physics symbols; text lands where measured")
    func font() {
        for u in 32...126 { #expect(BitmapFont.hasGlyph(Character(UnicodeScalar(u)!))) }
        for c in "ηφχσμ²±×Δ⟨⟩·−≤≥°" { #expect(BitmapFont.hasGlyph(c)) }
        #expect(BitmapFont.width("abc", scale: 2) == (3 * 6 - 1) * 2)
        var img = RGBImage(width: 100, height: 40)
        img.drawText("E", x: 10, y: 5, scale: 3)
        // "E" has a full top bar: its first row spans the glyph width.
        #expect(img.pixel(x: 10, y: 5) == .black && img.pixel(x: 10 + 14, y: 5) == .black)
        #expect(img.pixel(x: 9, y: 5) == .white && img.pixel(x: 10 + 15, y: 5) == .white)
    }
}
