import Testing
import CaloTensor
import CaloData
import CaloEvaluation

@Suite struct FeatureComparisonTests {
    func randomBatch(_ n: Int, seed: UInt64, scale: Double = 1) -> ShowerBatch {
        var rng = Xoshiro256(seed: seed)
        var b = ShowerBatch(count: n)
        for r in 0..<n {
            b.incidentEnergy[r] = Float(rng.uniform(1, 100))
            for j in 0..<CaloGANGeometry.voxelCount where rng.uniform() < 0.3 { b.voxels[r, j] = Float(scale * rng.exponential(mean: 20)) }
        }
        return b
    }

    @Test func identicalSamplesHaveZeroSeparation() throws {
        let f = try HighLevelFeatures(randomBatch(200, seed: 1))
        let all = try FeatureComparison.compareAll(reference: f, generated: f)
        #expect(all.count == f.features.count && all.map(\.name) == HighLevelFeatures.featureNames)
        for c in all where c.separationPower != nil { #expect(c.separationPower == 0, "\(c.name)") }
        let scaled = try HighLevelFeatures(randomBatch(200, seed: 1, scale: 3))
        let e = try FeatureComparison.compareAll(reference: f, generated: scaled).first { $0.name == "E_tot" }!
        #expect(e.separationPower! > 0.5)
        #expect(throws: EvaluationError.self) {
            try FeatureComparison.compareAll(reference: f, generated: try HighLevelFeatures(randomBatch(3, seed: 2), thresholdMeV: 0))
        }
    }

    @Test func averageImagesAndSpectrum() throws {
        var b = ShowerBatch(count: 3)
        b.incidentEnergy = [10, 20, 90]
        b.voxels[0, 5] = 3; b.voxels[1, 5] = 6; b.voxels[2, 5] = 0.001; b.voxels[2, 500] = 2e5
        let m = AverageShower.mean(b)
        #expect(m[5] == 3 && abs(m[500] - 1e5 / 3) < 1e-9 && m.count == 504)
        let byE = AverageShower.meanByIncidentEnergy(b, binning: try Binning.linear(0, 100, count: 2))
        #expect(byE[0].count == 2 && byE[0].mean[5] == 4.5 && byE[1].count == 1 && byE[1].mean[5] == 0)
        let s = AverageShower.voxelSpectrum(b, binning: try Binning.log(1e-2, 1e4, count: 6))
        #expect(s.inRangeTotal == 2 && s.overflow == 1 && s.underflow == 0)
    }
}
