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
