import Testing
import Glibc
import CaloTensor
import CaloData
import CaloPipeline

@Suite struct PreprocessingTests {
    /// A random batch with exact zeros, tiny and large voxels, like real showers.
    func randomBatch(_ n: Int, seed: UInt64) -> ShowerBatch {
        var rng = Xoshiro256(seed: seed)
        var b = ShowerBatch(count: n)
        for r in 0..<n {
            b.incidentEnergy[r] = Float(rng.uniform(1, 100))
            for j in 0..<CaloGANGeometry.voxelCount where rng.uniform() < 0.4 {
                b.voxels[r, j] = Float(rng.exponential(mean: 50) + 0.02)
            }
            // Physical showers deposit less than they bring: scale to 20-95% of E_inc.
            let total = (0..<CaloGANGeometry.voxelCount).reduce(0.0) { $0 + Double(b.voxels[r, $1]) }
            let scale = Float(rng.uniform(0.2, 0.95) * Double(b.incidentEnergy[r]) * 1e3 / total)
            for j in 0..<CaloGANGeometry.voxelCount { b.voxels[r, j] *= scale }
        }
        return b
    }

    @Test func logitRoundTripAndRange() {
        let p = Preprocessing()
        for u in [0.0, 1e-9, 1e-6, 0.3, 0.999999, 1.0] {
            #expect(abs(p.inverseLogitTransform(p.logitTransform(u)) - u) < 1e-12)
        }
        #expect(abs(p.logitTransform(0) + 13.8155) < 1e-3)
        #expect(abs(p.logitTransform(1) - 13.8155) < 1e-3)
    }

    @Test func flowIRoundTripRecoversLayerEnergies() {
        let p = Preprocessing()
        let b = randomBatch(50, seed: 1)
        let e = Preprocessing.layerEnergies(voxelsMeV: b.voxels)
        let (t, ctx) = p.flowIInputs(layerEnergiesMeV: e, incidentGeV: b.incidentEnergy)
        #expect(t.isFinite && ctx.isFinite)
        let back = p.layerEnergies(fromFlowI: t, incidentGeV: b.incidentEnergy)
        for r in 0..<50 { for l in 0..<3 {
            // Float storage of t costs ~1e-7 relative; a broken inverse would be off by O(1).
            #expect(abs(back[r][l] - e[r][l]) <= 1e-4 * max(1, e[r][l]))
        } }
        #expect(abs(Double(ctx[0, 0]) - log10(Double(b.incidentEnergy[0]) / 10)) < 1e-6)
    }

    @Test func flowIIRoundTripRecoversVoxels() {
        let p = Preprocessing()
        let b = randomBatch(20, seed: 2)
        let (x, ctx, e) = p.flowIIInputs(voxelsMeV: b.voxels, incidentGeV: b.incidentEnergy)
        #expect(x.isFinite && ctx.isFinite)
        #expect(ctx.cols == 4 && x.cols == 504)
        let v = p.voxels(fromFlowII: x, layerEnergiesMeV: e)
        for i in 0..<v.count {
            let want = b.voxels.storage[i]
            #expect(abs(v.storage[i] - want) <= 2e-3 * max(1, want))
        }
        // Layer sums are exactly the requested layer energies (up to the threshold cut).
        let back = Preprocessing.layerEnergies(voxelsMeV: v)
        for r in 0..<20 { for l in 0..<3 { #expect(abs(back[r][l] - e[r][l]) <= 1e-3 * max(1, e[r][l])) } }
    }

    @Test func generatedVoxelsAreNeverNegativeOrNaN() {
        let p = Preprocessing()
        var x = Matrix(rows: 3, cols: CaloGANGeometry.voxelCount, repeating: -20) // below the logit floor: v slightly negative
        x[1, 5] = .nan
        x[2, 7] = 40
        let v = p.voxels(fromFlowII: x, layerEnergiesMeV: [[100, 200, 3], [1, 1, 1], [5e6, 0, 0]])
        #expect(v.storage.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1e5 })
    }

    @Test func noiseIsUniformInTheDocumentedRange() {
        let p = Preprocessing()
        var m = Matrix(rows: 100, cols: CaloGANGeometry.voxelCount)
        var rng = Xoshiro256(seed: 3)
        p.addNoise(toVoxelsMeV: &m, rng: &rng)
        // 1e-8 in units of 100 GeV is 1e-3 MeV (1 keV).
        #expect(m.storage.allSatisfy { $0 >= 0 && $0 < 1e-3 })
        #expect(abs(m.mean() - 5e-4) < 1e-5)
    }
}
