import Testing
import CaloBenchmarks
import CaloData
import CaloInference
import CaloPipeline

/// The embedding library generates CaloGAN showers only: a model of another geometry (dataset
/// 1) is refused with a message naming the geometry and the command that does generate it.
@Suite struct InferenceGeometryTests {
    @Test(arguments: ["ds1-photons", "ds1-pions"])
    func modelsOfOtherGeometriesAreRefused(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let generator = try GenerationBenchmark.generator(flowI: FlowArchitecture(blocks: 2, hiddenFeatures: 8, hiddenLayers: 2),
                                                          student: FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2),
                                                          geometry: g)
        #expect(generator.flowI.features == g.layerCount && generator.flowII.features == g.voxelCount)
        #expect {
            try InferenceModel(generator: generator)
        } throws: { error in
            let m = "\(error)"
            return m.contains(name) && m.contains("\(g.voxelCount) voxels") && m.contains("CaloGAN showers (504 cells) only")
                && m.contains("caloflow generate")
        }
    }
}
