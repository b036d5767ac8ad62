import CaloData
import CaloRendering
import Foundation
import Testing

/// CaloChallenge layers are drawn as discs: every (alpha, r) bin at its place, equal-width rings.
@Suite("LayerImage, polar layers")
struct PolarLayerImageTests {
    /// 3 radial bins (edges 0, 2, 10, 50 mm) x 4 alpha bins over [-pi, pi).
    func binning() throws -> CalorimeterGeometry.PolarBinning {
        try CalorimeterGeometry.PolarBinning(radialEdges: [0, 2, 10, 50], alphaBins: 4)
    }

    @Test("a hot bin appears at its angle and ring, the rest of the disc is cold, outside the disc is white",
          arguments: [(0, 0), (1, 2), (2, 1), (3, 2)])
    func hotBin(alphaBin a: Int, radialBin r: Int) throws {
        let p = try binning()
        let g = LayerGeometry(polar: p, name: "layer 1")
        #expect(g.cellCount == 12)
        var values = [Double](repeating: 1e-2, count: g.cellCount)
        values[a * p.radialBins + r] = 1e3   // flat index a * nR + r, as in the challenge files
        let scale = try LogColorScale(min: 1e-2, max: 1e3)
        let size = 120
        let img = try LayerImage.heatmap(values: values, geometry: g, width: size, height: size, color: scale.color)
        // The pixel at the middle of the bin: radius (r + 1/2) rings, angle at the bin's centre.
        let ring = Double(size) / 2 / Double(p.radialBins)
        let rho = (Double(r) + 0.5) * ring, alpha = p.alphaCentre(a)
        let x = Int(Double(size) / 2 + rho * cos(alpha)), y = Int(Double(size) / 2 - rho * sin(alpha))   // y grows downwards
        #expect(img.pixel(x: x, y: y) == ColorMap.sequential.highest, "bin (\(a), \(r)) at pixel (\(x), \(y))")
        // The opposite bin (angle + pi, same ring) is cold.
        let xo = Int(Double(size) / 2 - rho * cos(alpha)), yo = Int(Double(size) / 2 + rho * sin(alpha))
        #expect(img.pixel(x: xo, y: yo) == ColorMap.sequential.lowest)
        // Corners lie outside the disc.
        #expect(img.pixel(x: 1, y: 1) == .white && img.pixel(x: size - 2, y: size - 2) == .white)
    }

    @Test("a layer with one alpha bin is drawn as rings")
    func rings() throws {
        let p = try CalorimeterGeometry.PolarBinning(radialEdges: [0, 5, 10, 30, 50], alphaBins: 1)
        let g = LayerGeometry(polar: p, name: "layer 0")
        let scale = try LogColorScale(min: 1e-2, max: 1e3)
        let img = try LayerImage.heatmap(values: [1e-2, 1e3, 1e-2, 1e-2], geometry: g, width: 100, height: 100, color: scale.color)
        // Ring 1 spans radii 12.5-25 px: hot in every direction.
        for (dx, dy) in [(18, 0), (-18, 0), (0, 18), (0, -18), (13, 13)] {
            #expect(img.pixel(x: 50 + dx, y: 50 + dy) == ColorMap.sequential.highest, "(\(dx), \(dy))")
        }
        #expect(img.pixel(x: 50, y: 50) == ColorMap.sequential.lowest)
    }

    @Test("every layer of every CaloChallenge geometry renders, with panels and radial ticks",
          arguments: ["ds1-photons", "ds1-pions", "ds2"])
    func everyGeometry(name: String) throws {
        let geometry = try #require(CalorimeterGeometry.named(name))
        let layers = LayerGeometry.layers(of: geometry)
        #expect(layers.count == geometry.layerCount)
        #expect(layers.map(\.cellCount) == geometry.layerSizes)
        #expect(layers.first?.name == "layer \(geometry.layers[0].id)")
        let values = layers.map { l in (0..<l.cellCount).map { Double($0 % 7) + 0.5 } }
        let figure = try LayerFigure.averageComparison(reference: values, generated: values.map { $0.map { $0 * 1.1 } },
                                                       geometries: layers, title: name)
        #expect(figure.width > 0 && figure.height > 0)
        let dir = try SampleFigures.outputDirectory()
        try PNGCodec.write(figure, to: dir + "/polar_\(name).png")
    }

    @Test("a wrong number of values is refused, naming the layer")
    func wrongCount() throws {
        let g = LayerGeometry(polar: try binning(), name: "layer 3")
        let scale = try LogColorScale(min: 1e-2, max: 1e3)
        let error = #expect(throws: RenderError.self) {
            try LayerImage.heatmap(values: [1, 2, 3], geometry: g, width: 50, height: 50, color: scale.color)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("layer 3"))
    }
}
