import Testing
import Foundation
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline

/// Generation for a geometry modelled layer by layer (`LayerFlowLayout`, CaloChallenge dataset
/// 2: 45 layers of 144 voxels) with tiny random flows: the L conditional steps give the showers
/// the layer flow gives run one layer at a time, and the showers do not depend on how many
/// workers run the passes (bit for bit).
@Suite("ShowerGenerator: layer-by-layer generation (dataset 2)")
struct LayerFlowGenerationTests {
    /// Flow I (45 layer energies) and a 2-block layer-flow student (144 features, 192 context
    /// inputs) of width 16, random weights.
    static func generator() throws -> ShowerGenerator {
        let g = CalorimeterGeometry.ds2
        var rng = Xoshiro256(seed: 21)
        let a1 = FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2)
        let a2 = FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2)
        let f1 = try CaloFlowModels.flowI(a1, geometry: g, rng: &rng)
        let f2 = try CaloFlowModels.flowII(kind: .iaf, a2, geometry: g, name: "student", rng: &rng)
        let data = TrainingDataSummary(file: "(test)", particle: "e-", events: 0, trainingEvents: 0, validationEvents: 0,
                                       minimumEnergyGeV: 1, maximumEnergyGeV: 1000, splitSeed: 1)
        return try ShowerGenerator(
            flowI: f1, flowIInfo: FlowModelInfo(stage: .flow1, kind: .maf, architecture: a1, preprocessing: Preprocessing(),
                                                trainingData: data, geometry: g),
            flowII: f2, flowIIInfo: FlowModelInfo(stage: .student, kind: .iaf, architecture: a2, preprocessing: Preprocessing(),
                                                  trainingData: data, geometry: g))
    }

    static func energies(_ n: Int) -> [Float] {
        var rng = Xoshiro256(seed: 5)
        return (0..<n).map { _ in Float(pow(10, rng.uniform(0, 3))) }
    }

    @Test("the showers are the layer flow's, run one layer at a time from the previous layer's logits")
    func matchesLayerAtATime() throws {
        let gen = try Self.generator()
        let g = gen.geometry, layout = try #require(LayerFlowLayout(g))
        let e = Self.energies(6)
        gen.flowBatch = e.count
        let got = try gen.generate(incidentGeV: e, seed: 3, firstShower: 7, workers: 1, singleThreadedBLAS: false)
        #expect(got.geometry == g && got.voxels.rows == 6 && got.voxels.cols == 6480)

        // The same pass spelled out: Flow I, then layer n given layer n - 1 for n = 0 ..< 45.
        let m = e.count, v = layout.voxelsPerLayer, width = layout.contextFeatures
        let (z1, z2) = ShowerLatents.matrices(seed: 3, firstShower: 7, count: m, flowIFeatures: gen.flowI.features,
                                              flowIIFeatures: g.voxelCount)
        var c1 = Matrix(rows: m, cols: 1)
        for r in 0..<m { c1[r, 0] = Float(Preprocessing.flowIContext(incidentGeV: Double(e[r]))) }
        var none: Xoshiro256? = nil
        let t = try gen.flowI.inverse(z1, context: c1, dropoutRNG: &none, keepPasses: false).data
        let layers = gen.flowIInfo.preprocessing.layerEnergies(fromFlowI: t, incidentGeV: e)
        var x = Matrix(rows: m, cols: g.voxelCount)
        var previous = Matrix(rows: m, cols: v)
        for n in 0..<layout.layers {
            let start = g.layerRanges[n].lowerBound
            var zn = Matrix(rows: m, cols: v), context = Matrix(rows: m, cols: width)
            for r in 0..<m {
                for j in 0..<v { zn[r, j] = z2[r, start + j] }
                let row = (0..<v).map { previous[r, $0] }
                var c = [Float](repeating: .nan, count: width)
                row.withUnsafeBufferPointer { p in
                    layout.writeContext(layer: n, incidentGeV: e[r], energyMeV: layers[r][n],
                                        previousEnergyMeV: n > 0 ? layers[r][n - 1] : 0,
                                        previous: n > 0 ? p.baseAddress! : nil, into: &c)
                }
                for j in 0..<width { context[r, j] = c[j] }
            }
            previous = try gen.flowII.inverse(zn, context: context, dropoutRNG: &none, keepPasses: false).data
            for r in 0..<m { for j in 0..<v { x[r, start + j] = previous[r, j] } }
        }
        let expected = gen.preprocessing.voxels(fromFlowII: x, layerEnergiesMeV: layers, geometry: g)
        #expect(got.voxels == expected)
        got.voxels.withUnsafeBufferPointer { p in #expect(p.allSatisfy { $0.isFinite && $0 >= 0 }) }
        let deposited = Preprocessing.layerEnergies(voxelsMeV: got.voxels, geometry: g)
        for r in 0..<m { #expect(deposited[r].reduce(0, +) <= Double(e[r]) * 1e3 * 1.0001) }
    }

    @Test("dataset-2 showers do not depend on how many workers run the passes")
    func independentOfWorkers() throws {
        let gen = try Self.generator()
        gen.flowBatch = 4
        let e = Self.energies(10)
        // OpenBLAS keeps its thread count here: other tests use it concurrently in this process.
        let one = try gen.generate(incidentGeV: e, seed: 4, workers: 1, singleThreadedBLAS: false)
        for w in [2, 3] {
            let many = try gen.generate(incidentGeV: e, seed: 4, workers: w, singleThreadedBLAS: false)
            #expect(many == one, "\(w) workers")
        }
        // And through a stream of batches of 6 (passes 4 + 2, 4), as generate --batch-size runs it.
        let source: @Sendable (Range<Int>) throws -> [Float] = { Array(e[$0]) }
        let streamed = try gen.stream(count: 10, batch: 6, seed: 4, workers: 2, singleThreadedBLAS: false, energies: source) { s in
            var rows = [Matrix]()
            while let b = try s.next() { rows.append(b.voxels) }
            return Matrix.vstack(rows)
        }
        let batched = Matrix.vstack([try gen.generate(incidentGeV: Array(e[0..<6]), seed: 4, workers: 1, singleThreadedBLAS: false).voxels,
                                     try gen.generate(incidentGeV: Array(e[6...]), seed: 4, firstShower: 6, workers: 1,
                                                      singleThreadedBLAS: false).voxels])
        #expect(streamed == batched)
    }
}
