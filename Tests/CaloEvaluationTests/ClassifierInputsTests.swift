import Testing
import Glibc
import CaloTensor
import CaloData
import CaloEvaluation

@Suite struct ClassifierInputsTests {
    func batch() -> ShowerBatch {
        var b = ShowerBatch(count: 2)
        b.incidentEnergy = [20, 80]
        b.voxels[0, 10] = 1000; b.voxels[0, 11] = 0.005; b.voxels[0, 300] = 3000; b.voxels[0, 450] = 50
        b.voxels[1, 100] = 40_000; b.voxels[1, 433] = 20_000
        return b
    }

    @Test func lowLevelLayoutAndUnits() throws {
        let m = try ClassifierInputs.lowLevel(batch())
        #expect(m.rows == 2 && m.cols == 508)
        #expect(m[0, 10] == Float(1000.0 / 1e5) && m[0, 11] == Float(0.005 / 1e5))
        #expect(abs(m[0, 504] - Float(log10(2.0))) < 1e-6)           // log10(10 · 20 GeV / 100 GeV)
        #expect(abs(m[0, 505] - Float(log10(1000.005e-5 + 1e-8) + 2)) < 1e-6)
        #expect(abs(m[0, 506] - Float(log10(3000e-5 + 1e-8) + 2)) < 1e-6)
        #expect(abs(m[1, 506] - Float(log10(1e-8) + 2)) < 1e-6)       // empty layer 1
        let cut = try ClassifierInputs.lowLevel(batch(), options: LowLevelInputOptions(threshold: true))
        #expect(cut[0, 11] == 0 && cut[0, 10] == m[0, 10])
    }

    @Test func normalizeAndLogit() throws {
        let norm = try ClassifierInputs.lowLevel(batch(), options: LowLevelInputOptions(normalize: true))
        for l in [0, 2] {
            let s = CaloGANGeometry.layerRange(l).reduce(0.0) { $0 + Double(norm[1, $1]) }
            #expect(abs(s - 1) < 1e-6)
        }
        let lg = try ClassifierInputs.lowLevel(batch(), options: LowLevelInputOptions(normalize: true, useLogit: true))
        // Inverse: v = (sigmoid(10 o) − α) / (1 − 2α).
        for j in [10, 100, 300, 5] {
            let u = 1 / (1 + exp(-10 * Double(lg[1, j])))
            #expect(abs((u - 1e-6) / (1 - 2e-6) - Double(norm[1, j])) < 1e-5)
        }
        #expect(lg[1, 504] == norm[1, 504])
    }

    @Test func highLevelColumns() throws {
        let f = try HighLevelFeatures(batch())
        let m = try ClassifierInputs.highLevel(f)
        #expect(m.cols == 41 && ClassifierInputs.highLevelNames.count == 41)
        let e0 = f["E_0"]!.values[0], ld = f["lateral_depth"]!.values[0]
        #expect(abs(m[0, 0] - Float(log10(e0 + 1e-8))) < 1e-6)
        #expect(abs(m[0, 7] - Float(log10(ld + 1e-8))) < 1e-6)
        #expect(abs(m[0, 13] - Float(10 * f["brightest_1_layer_0"]!.values[0])) < 1e-6)
        #expect(m[0, 34] == Float(f["phi_centroid_0"]!.values[0] / 100))
        #expect(m[0, 39] == Float(f["eta_centroid_2"]!.values[0] / 100))
        #expect(abs(m[1, 40] - Float(log10(8.0))) < 1e-6)
        #expect(m.isFinite)
    }

    @Test func nonPositiveIncidentEnergyThrows() throws {
        var b = batch()
        b.incidentEnergy[1] = 0
        #expect(throws: EvaluationError.self) { try ClassifierInputs.lowLevel(b) }
        #expect(throws: EvaluationError.self) { try ClassifierInputs.highLevel(try HighLevelFeatures(b)) }
    }
}

/// The classifier inputs of showers of other geometries: the same recipe over D voxels and L layers.
@Suite struct ClassifierInputsGeometryTests {
    @Test(arguments: ["ds1-photons", "ds1-pions", "ds2"])
    func lowLevelOverEveryLayer(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        var b = ShowerBatch(count: 2, geometry: g)
        b.incidentEnergy = [4, 512]
        for (l, r) in g.layerRanges.enumerated() { b.voxels[1, r.lowerBound] = Float(100 * (l + 1)) }
        b.voxels[0, g.voxelCount - 1] = 2500
        let m = try ClassifierInputs.lowLevel(b)
        let d = g.voxelCount
        #expect(m.cols == d + 1 + g.layerCount && ClassifierInputs.lowLevelWidth(g) == m.cols)
        #expect(m[1, g.layerRanges[0].lowerBound] == Float(100.0 / 1e5))
        #expect(abs(m[1, d] - Float(log10(10 * 512.0 / 100))) < 1e-6)
        for l in 0..<g.layerCount {
            #expect(abs(m[1, d + 1 + l] - Float(log10(Double(100 * (l + 1)) * 1e-5 + 1e-8) + 2)) < 1e-5, "layer \(l)")
        }
        #expect(abs(m[0, d + g.layerCount] - Float(log10(2500e-5 + 1e-8) + 2)) < 1e-5)   // last layer of shower 0
        let normalized = try ClassifierInputs.lowLevel(b, options: LowLevelInputOptions(normalize: true))
        #expect(abs(normalized[0, d - 1] - 1) < 1e-6, "a voxel alone in its layer normalizes to 1")
    }

    @Test func highLevelTakesTheChallengeInputOnChallengeGeometries() throws {
        let g = CalorimeterGeometry.ds1Photons
        var b = ShowerBatch(count: 3, geometry: g)
        b.incidentEnergy = [1, 2, 4]
        for i in 0..<3 { for j in stride(from: 0, to: g.voxelCount, by: 5) { b.voxels[i, j] = Float(10 * (i + 1)) } }
        let features = try SampleFeatures(b, thresholdMeV: 1)
        #expect(features.caloFlow == nil)
        let x = try ClassifierVariant.high.inputs(b, features: features)
        let expected = try features.challenge.challengeInputs()
        #expect(x.rows == 3 && x.cols == expected.cols && x.cols == 14)   // 1 + 5 layers + 4 x 2 layers binned in alpha
        for i in 0..<3 { for j in 0..<x.cols { #expect(x[i, j] == Float(expected[i, j])) } }
        // CaloGAN showers keep the CaloFlow observables.
        let caloGAN = try SampleFeatures(ShowerBatch(count: 2), thresholdMeV: 0.01)
        #expect(caloGAN.caloFlow != nil)
    }
}
