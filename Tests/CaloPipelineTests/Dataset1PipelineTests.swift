import Testing
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Showers of a CaloChallenge dataset-1 geometry without the simulator: E_inc one of the
/// dataset's powers of two (256 MeV x 2^k, k = 4...9 here, GeV), 50-95 % deposited, split over
/// the layers by Gamma-distributed weights, each layer's energy over its voxels by
/// Gamma(0.7)-distributed weights (a third of the voxels exactly zero).
func syntheticDataset1Showers(_ n: Int, geometry g: CalorimeterGeometry, seed: UInt64) -> ShowerBatch {
    var rng = Xoshiro256(seed: seed, stream: 98)
    var b = ShowerBatch(count: n, geometry: g)
    for r in 0..<n {
        let einc = 0.256 * Double(1 << (4 + Int(rng.uniform(0, 6))))
        b.incidentEnergy[r] = Float(einc)
        let deposited = einc * 1e3 * rng.uniform(0.5, 0.95)
        let layerWeights = (0..<g.layerCount).map { l in rng.gamma(shape: 2 + Double(l % 3)) }
        let layerSum = layerWeights.reduce(0, +)
        for (l, range) in g.layerRanges.enumerated() {
            var w = range.map { _ in rng.uniform() > 0.33 ? rng.gamma(shape: 0.7) : 0 }
            if w.allSatisfy({ $0 == 0 }) { w[0] = 1 }
            let s = w.reduce(0, +)
            for (k, j) in range.enumerated() { b.voxels[r, j] = Float(deposited * layerWeights[l] / layerSum * w[k] / s) }
        }
    }
    return b
}

/// CaloFlow on dataset-1 geometries: the preprocessing, Flow I over L layer energies and Flow II
/// over D voxels are generic, CaloGAN's numbers are the same as before, and a tiny
/// train -> distil -> generate chain runs on synthetic ds1-photon showers.
@Suite("CaloFlow on CaloChallenge dataset 1 (L layers, D voxels)")
struct Dataset1PipelineTests {
    @Test(arguments: ["ds1-photons", "ds1-pions"])
    func preprocessingRoundTripsLayerEnergiesAndVoxels(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let p = Preprocessing(thresholdMeV: 0)
        let showers = syntheticDataset1Showers(20, geometry: g, seed: 3)
        let e = Preprocessing.layerEnergies(voxelsMeV: showers.voxels, geometry: g)
        #expect(e.count == 20 && e.allSatisfy { $0.count == g.layerCount })

        // Flow I: L features, and its inverse gives the layer energies back.
        let (t, c1) = p.flowIInputs(layerEnergiesMeV: e, incidentGeV: showers.incidentEnergy)
        #expect(t.cols == g.layerCount && c1.cols == 1)
        let back = p.layerEnergies(fromFlowI: t, incidentGeV: showers.incidentEnergy)
        for r in 0..<20 {
            for l in 0..<g.layerCount {
                #expect(abs(back[r][l] - e[r][l]) <= 1e-3 * e[r].reduce(0, +) + 1e-6, "shower \(r) layer \(l): \(back[r][l]) vs \(e[r][l])")
            }
        }

        // Flow II: D features, 1 + L context inputs; the inverse gives the voxels back.
        let (x, c2, _) = p.flowIIInputs(voxelsMeV: showers.voxels, incidentGeV: showers.incidentEnergy, geometry: g)
        #expect(x.cols == g.voxelCount && c2.cols == 1 + g.layerCount)
        #expect(c2[0, 1] == Float(Preprocessing.layerEnergyContext(mev: e[0][0])))
        let v = p.voxels(fromFlowII: x, layerEnergiesMeV: e, geometry: g)
        var worst = 0.0
        for r in 0..<20 {
            for j in 0..<g.voxelCount {
                worst = max(worst, abs(Double(v[r, j]) - Double(showers.voxels[r, j])) / (Double(showers.incidentEnergy[r]) * 1e3))
            }
        }
        #expect(worst < 1e-5, "largest voxel error \(worst) of E_inc")
        // Layer sums equal the given layer energies exactly up to rounding.
        let sums = Preprocessing.layerEnergies(voxelsMeV: v, geometry: g)
        for r in 0..<20 { for l in 0..<g.layerCount { #expect(abs(sums[r][l] - e[r][l]) <= 1e-4 * max(1, e[r][l])) } }
    }

    @Test func generatedVoxelsAboveCaloGANsCapAreKeptForDataset1() throws {
        // A 4 TeV photon can leave more than 100 GeV in one voxel: CaloGAN's 1e5 MeV clamp must not apply.
        let g = CalorimeterGeometry.ds1Photons
        var x = Matrix(rows: 1, cols: g.voxelCount)
        for j in 0..<g.voxelCount { x[0, j] = -13 }
        x[0, 0] = 13
        let layers = [[2e6, 1e3, 1e3, 1e3, 1e3]]
        let v = Preprocessing().voxels(fromFlowII: x, layerEnergiesMeV: layers, geometry: g)
        #expect(v[0, 0] > 1.9e6 && v[0, 0].isFinite)
        let caloGAN = Preprocessing.voxelCapMeV(.calogan)
        #expect(caloGAN == 1e5)
    }

    @Test func caloGANNumbersAreUnchangedByTheGenericCode() throws {
        // The generic per-shower inverse equals CaloGAN's three-layer one bit for bit.
        let p = Preprocessing()
        var rng = Xoshiro256(seed: 5)
        let ranges = CaloGANGeometry.layerRanges
        for _ in 0..<20 {
            var x = [Float](repeating: 0, count: 504)
            for j in 0..<504 { x[j] = Float(rng.normal() * 6) }
            let t = (0..<3).map { _ in Float(rng.normal() * 4) }
            let einc = Float(rng.uniform(1, 100))
            let tuple = p.layerEnergies(fromFlowI: t[0], t[1], t[2], incidentGeV: einc)
            let generic = t.withUnsafeBufferPointer { p.layerEnergies(fromFlowI: $0.baseAddress!, layers: 3, incidentGeV: einc) }
            #expect(generic == [tuple.0, tuple.1, tuple.2])
            var a = [Float](repeating: 0, count: 504), b = a
            var scratch = [Double](repeating: 0, count: 504)
            x.withUnsafeBufferPointer { xs in
                scratch.withUnsafeMutableBufferPointer { s in
                    a.withUnsafeMutableBufferPointer { p.voxels(fromFlowII: xs.baseAddress!, layerEnergiesMeV: tuple, into: $0.baseAddress!, scratch: s.baseAddress!) }
                    b.withUnsafeMutableBufferPointer {
                        p.voxels(fromFlowII: xs.baseAddress!, layerEnergiesMeV: generic, layerRanges: ranges, capMeV: 1e5,
                                 into: $0.baseAddress!, scratch: s.baseAddress!)
                    }
                }
            }
            #expect(a == b)
        }
        // The CaloGAN flows keep their shapes (and draw the same permutations from the same seed).
        let a = try architecture(blocks: 2, hidden: 8)
        var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
        let f1 = try CaloFlowModels.flowII(kind: .maf, a, name: "teacher", rng: &r1)
        let f2 = try CaloFlowModels.flowII(kind: .maf, a, geometry: .calogan, name: "teacher", rng: &r2)
        #expect(f1.features == 504 && f1.contextFeatures == 4)
        #expect(f1.permutations.map(\.indices) == f2.permutations.map(\.indices))
        #expect(bitDifferences(f1, f2).isEmpty)
    }

    @Test(arguments: ["ds1-photons", "ds1-pions"])
    func flowsHaveTheGeometrysShapeAndPermuteInsideLayers(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let a = try architecture(blocks: 4, hidden: 8)
        var rng = Xoshiro256(seed: 2)
        let flowI = try CaloFlowModels.flowI(a, geometry: g, rng: &rng)
        #expect(flowI.features == g.layerCount && flowI.contextFeatures == 1)
        let teacher = try CaloFlowModels.flowII(kind: .maf, a, geometry: g, name: "teacher", rng: &rng)
        #expect(teacher.features == g.voxelCount && teacher.contextFeatures == 1 + g.layerCount)
        for p in teacher.permutations {
            for (j, source) in p.indices.enumerated() { #expect(g.layerIndex(ofVoxel: j) == g.layerIndex(ofVoxel: source)) }
        }
        // The checkpoint rebuilds the same flows (geometry, shapes, permutations, weights).
        let data = TrainingDataSummary(file: "x", particle: "gamma", events: 1, trainingEvents: 1, validationEvents: 0,
                                       minimumEnergyGeV: 1, maximumEnergyGeV: 2, splitSeed: 1)
        for (flow, stage) in [(flowI, FlowStage.flow1), (teacher, .teacher)] {
            let info = FlowModelInfo(stage: stage, kind: .maf, architecture: a, preprocessing: Preprocessing(), trainingData: data, geometry: g)
            let checkpoint = try ModelCheckpoint.make(flow: flow, info: info, seed: 3, appVersion: "test")
            let (rebuilt, rebuiltInfo) = try ModelCheckpoint.flow(from: checkpoint)
            #expect(rebuiltInfo.geometry == g)
            #expect(rebuilt.features == flow.features && rebuilt.permutations.map(\.indices) == flow.permutations.map(\.indices))
            #expect(bitDifferences(rebuilt, flow).isEmpty)
        }
    }

    @Test func tinyTrainDistilGenerateChainOnDataset1Photons() throws {
        try withTrainingLock {
            let g = CalorimeterGeometry.ds1Photons
            let data = try TrainingData(batch: syntheticDataset1Showers(200, geometry: g, seed: 4), file: "ds1.h5", particle: "gamma",
                                        validationFraction: 0.2, seed: 7)
            #expect(data.geometry == g)
            let dir = TemporaryDirectory()
            let t = try trainTinyPipeline(data, run: RunDirectory(path: dir.path), batchSize: 80, validationLimit: 40)
            let (flowI, flowIInfo, teacher, teacherInfo, student, info) = (t.flowI, t.flowIInfo, t.teacher, t.teacherInfo, t.student, t.studentInfo)

            // Generation: ds1 showers, finite, non-negative, each layer carrying Flow I's energy;
            // the same showers from the checkpoints on disk, whatever the batch split.
            for (flow2, info2) in [(student, info), (teacher, teacherInfo)] {
                let generator = try ShowerGenerator(flowI: flowI, flowIInfo: flowIInfo, flowII: flow2, flowIIInfo: info2)
                let energies: [Float] = [0.512, 4.096, 65.536, 131.072, 16.384]
                let showers = try generator.generate(incidentGeV: energies, seed: 3, workers: 1, singleThreadedBLAS: false)
                #expect(showers.geometry == g && showers.voxels.cols == 368 && showers.count == 5)
                showers.voxels.withUnsafeBufferPointer { p in #expect(p.allSatisfy { $0.isFinite && $0 >= 0 }) }
                let layers = Preprocessing.layerEnergies(voxelsMeV: showers.voxels, geometry: g)
                for r in 0..<5 { #expect(layers[r].reduce(0, +) <= Double(energies[r]) * 1e3 * 1.0001) }
                generator.flowBatch = 2
                let split = try generator.generate(incidentGeV: energies, seed: 3, workers: 1, singleThreadedBLAS: false)
                #expect(split.incidentEnergy == showers.incidentEnergy)
                var most = Float(0)
                for r in 0..<5 { for j in 0..<368 { most = max(most, abs(split.voxels[r, j] - showers.voxels[r, j])) } }
                #expect(most <= 1e-3 * 131_072, "batch split changed a voxel by \(most) MeV")
            }
        }
    }
}
