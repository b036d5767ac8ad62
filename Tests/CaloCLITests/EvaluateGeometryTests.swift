import Foundation
import Testing
import CaloData
import CaloCLI
import CaloTestSupport

/// `caloflow evaluate` on showers of the CaloChallenge geometries: the challenge's threshold,
/// its high-level features as histograms and DNN-high input, (r, alpha) images, every file.
@Suite("evaluate: CaloChallenge geometries")
struct EvaluateGeometryTests {
    /// Synthetic dataset-1 showers: E_inc from the dataset's powers of two, per layer a share of
    /// the energy spread over the radial bins as exp(-r / width) (bins counted from the axis),
    /// equal in alpha, with 20 % multiplicative noise; `width` in radial bins.
    static func syntheticFile(_ path: String, geometry g: CalorimeterGeometry, events n: Int, seed: UInt64, width: Double) throws {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var showers = [Double](repeating: 0, count: n * g.voxelCount)
        var energies = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let e = 256.0 * Double(1 << Int(uniform() * 8))   // 256 MeV - 32 GeV
            energies[i] = e
            for (l, layer) in g.layers.enumerated() {
                guard let p = layer.polar else { continue }
                let share = e * [0.02, 0.3, 0.55, 0.1, 0.03, 0.01, 0.01][min(l, 6)]
                var weights = [Double](repeating: 0, count: p.radialBins)
                for r in 0..<p.radialBins { weights[r] = exp(-Double(r) / width) }
                let norm = weights.reduce(0, +) * Double(p.alphaBins)
                for a in 0..<p.alphaBins {
                    for r in 0..<p.radialBins {
                        let v = share * weights[r] / norm * (0.8 + 0.4 * uniform())
                        showers[i * g.voxelCount + layer.firstVoxel + a * p.radialBins + r] = v
                    }
                }
            }
        }
        let f = try HDF5File(path: path, mode: .create(overwrite: false))
        try f.createDataset("incident_energies", values: energies, shape: [n, 1])
        try f.createDataset("showers", values: showers, shape: [n, g.voxelCount])
        try f.close()
    }

    static func report(_ dir: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as! [String: Any]
    }

    static func auc(_ json: [String: Any], _ variant: String) -> Double? {
        let c = (json["classifiers"] as? [[String: Any]])?.first { $0["variant"] as? String == variant }
        return (c?["auc"] as? [String: Any])?["mean"] as? Double
    }

    static let quick = ["--epochs", "4", "--patience", "0", "--batch-size", "200", "--fpd-batches", "1", "--kpd-batches", "1", "-q"]

    @Test func datasetOneShowersAreEvaluatedWithTheChallengeFeatures() throws {
        let dir = TemporaryDirectory()
        let g = CalorimeterGeometry.ds1Photons
        let ref = dir.file("ref.h5"), same = dir.file("same.h5"), wide = dir.file("wide.h5")
        try Self.syntheticFile(ref, geometry: g, events: 600, seed: 1, width: 2)
        try Self.syntheticFile(same, geometry: g, events: 600, seed: 2, width: 2)
        try Self.syntheticFile(wide, geometry: g, events: 600, seed: 3, width: 4)

        let r1 = CLIRun(["evaluate", "-r", ref, "-g", same, "-o", dir.file("same"), "--classifier", "low,high"] + Self.quick)
        #expect(r1.code == 0, "\(r1.summary)")
        let r2 = CLIRun(["evaluate", "-r", ref, "-g", wide, "-o", dir.file("wide"), "--classifier", "low,high"] + Self.quick)
        #expect(r2.code == 0, "\(r2.summary)")
        let a = try Self.report(dir.file("same")), b = try Self.report(dir.file("wide"))
        #expect(a["complete"] as? Bool == true && b["complete"] as? Bool == true)

        // The dataset's threshold (1 MeV) applies without --threshold; the geometry is recorded.
        #expect((a["configuration"] as? [String: Any])?["thresholdMeV"] as? Double == 1)
        #expect((a["provenance"] as? [String: Any])?["geometry"] as? String == "ds1-photons")
        // Histograms of the challenge's high-level features (no CaloGAN observables).
        let names = (a["features"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        for n in ["E_tot_over_E_inc", "E_layer_0", "E_layer_12", "centre_eta_layer_1", "width_phi_layer_2", "sparsity_layer_3"] {
            #expect(names.contains(n), "\(n) missing from \(names)")
        }
        #expect(!names.contains("shower_depth"))
        #expect(a["challengeMetrics"] != nil)
        let fpdOptions = ((a["configuration"] as? [String: Any])?["challenge"] as? [String: Any])?["fpd"] as? [String: Any]
        #expect(fpdOptions?["batchesPerPoint"] as? Int == 1, "the FPD settings are recorded")

        // Broader showers are easier to tell apart than another sample of the same model.
        for v in ["low", "high"] {
            let sameAUC = try #require(Self.auc(a, v)), wideAUC = try #require(Self.auc(b, v))
            #expect(wideAUC > sameAUC, "\(v): AUC wide \(wideAUC) vs same \(sameAUC)")
        }

        // Images: every layer drawn as a disc; the HTML names the challenge features.
        let png = try Data(contentsOf: URL(fileURLWithPath: dir.file("same") + "/images/average_shower.png"))
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        let html = try String(contentsOfFile: dir.file("same") + "/report.html", encoding: .utf8)
        #expect(html.contains("CaloChallenge high-level feature histograms") && html.contains("a ring of the same width"))
        #expect(!html.contains("Layers drawn"), "all five layers are drawn")
    }

    @Test func datasetTwoShowersFromTheSimulatorDrawNineOfTheirLayers() throws {
        let dir = TemporaryDirectory()
        let a = dir.file("a.h5"), b = dir.file("b.h5")
        for (path, seed) in [(a, "1"), (b, "2")] {
            let s = CLIRun(["simulate", "--geometry", "ds2", "-n", "200", "--seed", seed, "-o", path, "-q"])
            #expect(s.code == 0, "\(s.summary)")
        }
        let r = CLIRun(["evaluate", "-r", a, "-g", b, "-o", dir.file("report"), "--classifier", "low"] + Self.quick)
        #expect(r.code == 0, "\(r.summary)")
        let json = try Self.report(dir.file("report"))
        #expect((json["configuration"] as? [String: Any])?["thresholdMeV"] as? Double == 0.0005)
        #expect((json["provenance"] as? [String: Any])?["geometry"] as? String == "ds2")
        let html = try String(contentsOfFile: dir.file("report") + "/report.html", encoding: .utf8)
        #expect(html.contains("Layers drawn (9 of 45): 0, 6, 11, 17, 22, 28, 33, 39, 44"), "\(html.prefix(200))")
        // An explicit --threshold wins over the dataset's.
        let t = CLIRun(["evaluate", "-r", a, "-g", b, "-o", dir.file("t"), "--classifier", "none", "--threshold", "0.01",
                        "--fpd-batches", "1", "--kpd-batches", "1", "-q"])
        #expect(t.code == 0, "\(t.summary)")
        #expect((try Self.report(dir.file("t"))["configuration"] as? [String: Any])?["thresholdMeV"] as? Double == 0.01)
    }
}
