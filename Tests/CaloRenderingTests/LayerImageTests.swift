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
}
