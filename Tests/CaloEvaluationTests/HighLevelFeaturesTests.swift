import Testing
import Glibc
import CaloTensor
import CaloData
import CaloEvaluation

@Suite struct HighLevelFeaturesTests {
    /// One shower with the given (layer, ix, iy, MeV) cells.
    func shower(_ cells: [(Int, Int, Int, Float)], incident: Float = 1) -> ShowerBatch {
        var b = ShowerBatch(count: 1)
        b.incidentEnergy[0] = incident
        for (l, ix, iy, e) in cells {
            b.voxels[0, CaloGANGeometry.layerOffsets[l] + ix * CaloGANGeometry.ny[l] + iy] = e
        }
        return b
    }

    func value(_ f: HighLevelFeatures, _ name: String, _ row: Int = 0) -> Double { f[name]!.values[row] }

    @Test func singleHotCellInLayerOne() throws {
        // Layer 1 has 40 mm cells: ix 3 → φ = −240 + 3.5·40 = −100, iy 7 → η = −240 + 7.5·40 = 60.
        let f = try HighLevelFeatures(shower([(1, 3, 7, 1000)], incident: 2))
        #expect(value(f, "E_0") == 0 && value(f, "E_1") == 1 && value(f, "E_2") == 0)
        #expect(value(f, "E_tot") == 1 && value(f, "E_tot_over_E_inc") == 0.5)
        #expect(value(f, "f_1") == 1 && value(f, "f_0") == 0)
        #expect(value(f, "sparsity_1") == 1.0 / 144 && value(f, "sparsity_0") == 0)
        #expect(abs(value(f, "E_ratio_1") - 1) < 1e-15)
        #expect(abs(value(f, "brightest_1_layer_1") - 1) < 1e-15 && value(f, "brightest_2_layer_1") == 0)
        // Centroids carry the method's +1e-8 MeV in the denominator: relative error 1e-11.
        #expect(abs(value(f, "eta_centroid_1") - 60) < 1e-8 && abs(value(f, "phi_centroid_1") + 100) < 1e-8)
        #expect(value(f, "eta_width_1") < 1e-4 && value(f, "phi_width_1") < 1e-4)
        #expect(value(f, "lateral_depth") == 1000 && value(f, "shower_depth") == 1)
        #expect(value(f, "shower_depth_width") == 0 && value(f, "max_depth") == 1)
        #expect(abs(value(f, "eta_centroid_diff_0_1") + 60) < 1e-8 && abs(value(f, "phi_centroid_diff_1_2") + 100) < 1e-8)
    }

    @Test func singleHotCellInLayerZero() throws {
        // Layer 0: φ cells 160 mm (ix 2 → 160), η cells 5 mm (iy 50 → −240 + 50.5·5 = 12.5).
        let f = try HighLevelFeatures(shower([(0, 2, 50, 30)]))
        #expect(value(f, "sparsity_0") == 1.0 / 288)
        #expect(abs(value(f, "phi_centroid_0") - 160) < 1e-7 && abs(value(f, "eta_centroid_0") - 12.5) < 1e-8)
        #expect(value(f, "phi_width_0") < 1e-4 && value(f, "max_depth") == 0 && value(f, "shower_depth") == 0)
    }

    @Test func twoEqualCellsHaveZeroRatioAndHalfDistanceWidth() throws {
        // Layer 2: φ cells 40 mm: ix 5, 6 → −20, +20; η cells 80 mm: iy 2 → −40.
        let f = try HighLevelFeatures(shower([(2, 5, 2, 500), (2, 6, 2, 500)]))
        #expect(value(f, "E_ratio_2") == 0)
        #expect(abs(value(f, "phi_width_2") - 20) < 1e-9 && value(f, "eta_width_2") < 1e-4)
        #expect(abs(value(f, "phi_centroid_2")) < 1e-9 && abs(value(f, "eta_centroid_2") + 40) < 1e-8)
        #expect(value(f, "brightest_1_layer_2") == value(f, "brightest_2_layer_2"))
        #expect(abs(value(f, "brightest_1_layer_2") - 0.5) < 1e-15 && value(f, "sparsity_2") == 2.0 / 72)
        #expect(value(f, "lateral_depth") == 2000 && value(f, "shower_depth") == 2 && value(f, "max_depth") == 2)
    }

    @Test func depthObservables() throws {
        let f = try HighLevelFeatures(shower([(0, 1, 40, 100), (1, 6, 6, 300), (2, 6, 3, 100)]))
        #expect(abs(value(f, "f_0") - 0.2) < 1e-15 && abs(value(f, "f_1") - 0.6) < 1e-15)
        #expect(value(f, "lateral_depth") == 500 && value(f, "shower_depth") == 1)
        // σ_sd = sqrt((300 + 400)/500 − 1²)
        #expect(abs(value(f, "shower_depth_width") - 0.4.squareRoot()) < 1e-14)
    }

    @Test func brightestVoxelsInOrder() throws {
        let energies: [Float] = [7, 30, 1, 12, 50, 3]
        let f = try HighLevelFeatures(shower(energies.enumerated().map { (0, 1, $0.offset * 10, $0.element) }))
        let total = 103.0
        for (n, e) in [50.0, 30, 12, 7, 3].enumerated() {
            #expect(abs(value(f, "brightest_\(n + 1)_layer_0") - e / total) < 1e-14)
        }
        #expect(abs(value(f, "E_ratio_0") - 20.0 / 80) < 1e-15)
    }

    @Test func thresholdAndClamp() throws {
        let b = shower([(0, 1, 0, 0.0099), (0, 1, 1, 0.01), (0, 1, 2, 2e5), (0, 1, 3, .nan), (0, 1, 4, -5)])
        let cut = try HighLevelFeatures(b)
        // 0.0099 is cut; Float(0.01) survives the 0.01 MeV cut; 2e5 clamps to 1e5; NaN and −5 → 0.
        #expect(value(cut, "sparsity_0") == 2.0 / 288)
        #expect(abs(value(cut, "E_0") - (1e5 + Double(Float(0.01))) / 1e3) < 1e-9)
        let none = try HighLevelFeatures(b, thresholdMeV: 0)
        #expect(value(none, "sparsity_0") == 3.0 / 288)
        let high = try HighLevelFeatures(b, thresholdMeV: 1)
        #expect(value(high, "sparsity_0") == 1.0 / 288 && value(high, "E_ratio_0") == 1)
        #expect(throws: EvaluationError.self) { try HighLevelFeatures(b, thresholdMeV: -1) }
    }

    @Test func emptyBatchGivesEmptyFeatures() throws {
        let f = try HighLevelFeatures(ShowerBatch(count: 0))
        #expect(f.count == 0 && f.features.count == 51 && f.features.allSatisfy { $0.values.isEmpty })
        #expect(try ClassifierInputs.highLevel(f).rows == 0)
        #expect(try ClassifierInputs.lowLevel(ShowerBatch(count: 0)).rows == 0)
    }

    @Test func emptyShowerIsFinite() throws {
        let f = try HighLevelFeatures(shower([]))
        for feature in f.features { #expect(feature.values[0].isFinite, "\(feature.name)") }
        #expect(value(f, "max_depth") == 0 && value(f, "E_ratio_0") == 0)
    }

    /// Straightforward per-shower reference for the layer features, [features].
    func reference(_ b: ShowerBatch, row r: Int, layer l: Int, threshold: Double) -> [String: Double] {
        let nx = CaloGANGeometry.nx[l], ny = CaloGANGeometry.ny[l]
        var e = 0.0, cells = [(Double, Double, Double)]()
        for ix in 0..<nx { for iy in 0..<ny {
            let v = Double(b.voxels[r, CaloGANGeometry.layerOffsets[l] + ix * ny + iy])
            guard v >= threshold, v > 0 else { continue }
            cells.append((v, -240 + (Double(iy) + 0.5) * 480 / Double(ny), -240 + (Double(ix) + 0.5) * 480 / Double(nx)))
            e += v
        } }
        let etaMean = cells.reduce(0) { $0 + $1.0 * $1.1 } / e, phiMean = cells.reduce(0) { $0 + $1.0 * $1.2 } / e
        let phiVar = cells.reduce(0) { $0 + $1.0 * ($1.2 - phiMean) * ($1.2 - phiMean) } / e
        let etaVar = cells.reduce(0) { $0 + $1.0 * ($1.1 - etaMean) * ($1.1 - etaMean) } / e
        let sorted = cells.map(\.0).sorted(by: >) + [0, 0, 0, 0, 0]
        var out = ["E_\(l)": e / 1e3, "sparsity_\(l)": Double(cells.count) / Double(nx * ny),
                   "eta_centroid_\(l)": etaMean, "phi_centroid_\(l)": phiMean,
                   "eta_width_\(l)": etaVar.squareRoot(), "phi_width_\(l)": phiVar.squareRoot(),
                   "E_ratio_\(l)": (sorted[0] - sorted[1]) / (sorted[0] + sorted[1])]
        for n in 1...5 { out["brightest_\(n)_layer_\(l)"] = sorted[n - 1] / e }
        return out
    }

    @Test func randomShowersMatchDirectComputation() throws {
        var rng = Xoshiro256(seed: 21)
        var b = ShowerBatch(count: 40)
        for r in 0..<40 {
            b.incidentEnergy[r] = Float(rng.uniform(1, 100))
            for j in 0..<CaloGANGeometry.voxelCount where rng.uniform() < 0.5 { b.voxels[r, j] = Float(rng.exponential(mean: 20)) }
        }
        let f = try HighLevelFeatures(b)
        for r in 0..<40 {
            for l in 0..<3 {
                for (name, want) in reference(b, row: r, layer: l, threshold: Double(Float(0.01))) {
                    let got = value(f, name, r)
                    #expect(abs(got - want) <= 1e-9 * max(1, abs(want)), "\(name) row \(r): \(got) vs \(want)")
                }
            }
            let e = (0..<3).map { value(f, "E_\($0)", r) }
            #expect(abs(value(f, "E_tot", r) - e.reduce(0, +)) < 1e-12)
            #expect(abs((0..<3).reduce(0) { $0 + value(f, "f_\($1)", r) } - 1) < 1e-12)
            #expect(abs(value(f, "phi_centroid_diff_0_2", r) - (value(f, "phi_centroid_0", r) - value(f, "phi_centroid_2", r))) < 1e-12)
        }
        // Every value lands in a bin or a well-defined under/overflow; names are unique.
        #expect(Set(HighLevelFeatures.featureNames).count == f.features.count)
        #expect(f.features.count == 51 && f.features.allSatisfy { $0.values.count == 40 })
    }

    @Test func resultDoesNotDependOnChunking() throws {
        var rng = Xoshiro256(seed: 3)
        var b = ShowerBatch(count: 9000)
        b.voxels.withUnsafeMutableBufferPointer { p in for j in 0..<p.count where rng.uniform() < 0.1 { p[j] = Float(rng.uniform(0, 50)) } }
        for r in 0..<9000 { b.incidentEnergy[r] = 50 }
        let whole = try HighLevelFeatures(b)
        let part = try HighLevelFeatures(b.slice(4500..<9000))
        for (a, c) in zip(whole.features, part.features) { #expect(Array(a.values[4500...]) == c.values) }
    }
}
