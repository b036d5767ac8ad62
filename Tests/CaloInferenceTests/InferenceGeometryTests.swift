import Testing
import CaloBenchmarks
import CaloData
import CaloInference
import CaloPipeline
import CaloTensor

/// The Swift inference engine generates showers of dataset-1 models (L layers, D cells) as
/// `ShowerGenerator` does, from the same latent codes (the C library serves them too:
/// CAPIDataset1Tests).
@Suite struct InferenceGeometryTests {
    @Test(arguments: ["ds1-photons", "ds1-pions"])
    func dataset1ModelsGenerateTheShowersOfGenerate(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let generator = try GenerationBenchmark.generator(flowI: FlowArchitecture(blocks: 2, hiddenFeatures: 8, hiddenLayers: 2),
                                                          student: FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2),
                                                          geometry: g)
        let model = try InferenceModel(generator: generator)
        #expect(model.geometry == g && model.flowILatentSize == g.layerCount && model.flowIILatentSize == g.voxelCount)
        let context = try InferenceContext(model: model, maxBatch: 4)
        #expect(context.cells == g.voxelCount)
        let energiesGeV: [Float] = [0.512, 8.192, 65.536, 1048.576, 4.096, 262.144]
        let reference = try generator.generate(incidentGeV: energiesGeV, seed: 21, workers: 1, singleThreadedBLAS: false)
        var library = [Float](repeating: -1, count: energiesGeV.count * g.voxelCount)
        let energiesMeV = energiesGeV.map { Double($0) * 1000 }
        try energiesMeV.withUnsafeBufferPointer { e in
            try library.withUnsafeMutableBufferPointer { o in
                try context.generate(incidentEnergiesMeV: e.baseAddress!, count: e.count, seed: 21, firstShower: 0,
                                     output: o.baseAddress!, capacity: o.count)
            }
        }
        #expect(library.allSatisfy { $0.isFinite && $0 >= 0 })
        // Per layer the energies agree to float rounding (the products are summed in another order).
        for r in 0..<energiesGeV.count {
            for range in g.layerRanges {
                var a = 0.0, b = 0.0
                for j in range { a += Double(library[r * g.voxelCount + j]); b += Double(reference.voxels[r, j]) }
                #expect(abs(a - b) <= 1e-3 * max(a, b) + 0.05, "shower \(r) layer \(range): library \(a) MeV, generate \(b) MeV")
            }
        }
        // Too small an output buffer names the geometry's cell count.
        #expect {
            try energiesMeV.withUnsafeBufferPointer { e in
                try library.withUnsafeMutableBufferPointer { o in
                    try context.generate(incidentEnergiesMeV: e.baseAddress!, count: e.count, seed: 21, firstShower: 0,
                                         output: o.baseAddress!, capacity: 10)
                }
            }
        } throws: { "\($0)".contains("\(g.voxelCount) cells each") }
    }
}
