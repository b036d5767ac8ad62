import Testing
import Foundation
import CaloCLI
import CaloData
import CaloPipeline
import CaloTensor

/// End to end: `simulate` e+ → `train-teacher` (tiny Flow I and teacher) → `generate --flow
/// teacher`, then the generated showers are compared with the simulated reference in the
/// quantities Flow I and the inverse preprocessing control: the three layer energies and
/// E_tot/E_inc. The comparison uses medians, 1%-trimmed means and 16-84% half-widths (a
/// briefly trained flow puts a few samples far in its tails, which would dominate plain
/// moments of 2000 showers). The tolerance is derived from sampling noise, and the test shows
/// that it is tight enough: typical mistakes in the inverse preprocessing, applied to the same
/// generated showers, fail it.
@Suite("generate: a briefly trained model reproduces the reference layer energies")
struct GenerationFidelityTests {
    /// Per-shower quantities: E0, E1, E2 (MeV) and E_tot/E_inc.
    struct Showers {
        var layers: [[Double]]      // [3][N]
        var incidentMeV: [Double]   // [N]
        var quantities: [(name: String, values: [Double])] {
            let total = (0..<incidentMeV.count).map { layers[0][$0] + layers[1][$0] + layers[2][$0] }
            return [("E0", layers[0]), ("E1", layers[1]), ("E2", layers[2]),
                    ("Etot/Einc", zip(total, incidentMeV).map { $0 / $1 })]
        }
    }

    static func read(_ path: String) throws -> (Showers, ShowerBatch) {
        let b = try ShowerFileReader(path: path).readAll()  // validates layout, finiteness, non-negativity
        let e = Preprocessing.layerEnergies(voxelsMeV: b.voxels)
        return (Showers(layers: (0..<3).map { l in e.map { $0[l] } }, incidentMeV: b.incidentEnergy.map { Double($0) * 1e3 }), b)
    }

    /// Median, 1%-trimmed mean and half the 16-84% range.
    struct Location {
        var median: Double, trimmedMean: Double, width: Double
        init(_ x: [Double]) {
            let s = x.sorted()
            func q(_ p: Double) -> Double { s[min(s.count - 1, Int(p * Double(s.count - 1) + 0.5))] }
            median = q(0.5)
            width = (q(0.84) - q(0.16)) / 2
            let cut = s.count / 100
            let core = s[cut..<(s.count - cut)]
            trimmedMean = core.reduce(0, +) / Double(core.count)
        }
    }

    /// Relative tolerance on medians and means, in units of the reference width. The standard
    /// error of a median is about 1.25 sigma / sqrt(n): with 4000 reference and 2000 generated
    /// showers the difference of two medians has an error of 0.034 widths, so 0.15 is over 4
    /// standard errors: a model that learned the distribution passes without luck.
    static let locationTolerance = 0.15
    /// Allowed ratio of the generated to the reference width.
    static let widthRange = 0.8...1.25

    /// What disagrees between `reference` and `generated` (empty: they agree).
    static func disagreements(_ reference: Showers, _ generated: Showers) -> [String] {
        var out: [String] = []
        for (r, g) in zip(reference.quantities, generated.quantities) {
            let a = Location(r.values), b = Location(g.values)
            let scale = max(a.width, 1e-12)
            if abs(b.median - a.median) > locationTolerance * scale { out.append("\(r.name) median \(b.median) vs \(a.median) (width \(a.width))") }
            if abs(b.trimmedMean - a.trimmedMean) > locationTolerance * scale { out.append("\(r.name) mean \(b.trimmedMean) vs \(a.trimmedMean) (width \(a.width))") }
            if !widthRange.contains(b.width / scale) { out.append("\(r.name) width \(b.width) vs \(a.width)") }
        }
        return out
    }

    // MARK: - Deliberately broken inverses, applied to the generated layer energies

    /// Re-derives (u1, u2) and E_tot from correct layer energies and applies a wrong inverse.
    static func rebuild(_ s: Showers, _ f: (_ tot: Double, _ u1: Double, _ u2: Double) -> [Double]) -> Showers {
        var out = s
        for i in 0..<s.incidentMeV.count {
            let e = (0..<3).map { s.layers[$0][i] }
            let tot = e[0] + e[1] + e[2]
            let u1 = tot > 0 ? e[0] / tot : 0, u2 = e[1] + e[2] > 0 ? e[1] / (e[1] + e[2]) : 0
            let wrong = f(tot, u1, u2)
            for l in 0..<3 { out.layers[l][i] = wrong[l] }
        }
        return out
    }

    static var brokenInverses: [(String, (Showers) -> Showers)] { [
        ("layers 0 and 1 swapped", { s in var t = s; t.layers.swapAt(0, 1); return t }),
        ("x1e5 unit factor forgotten (energies left in 100 GeV)", { s in var t = s; t.layers = t.layers.map { $0.map { $0 / 1e5 } }; return t }),
        ("E_inc used in GeV instead of MeV", { s in var t = s; t.layers = t.layers.map { $0.map { $0 / 1e3 } }; return t }),
        ("E1 = u2 E_tot instead of u2 (E_tot - E0)", { s in rebuild(s) { tot, u1, u2 in
            let e0 = u1 * tot, e1 = u2 * tot; return [e0, e1, max(0, tot - e0 - e1)] } }),
        ("u1 and u2 exchanged", { s in rebuild(s) { tot, u1, u2 in
            let e0 = u2 * tot, e1 = u1 * (tot - e0); return [e0, e1, max(0, tot - e0 - e1)] } }),
        ("layers 1 and 2 swapped", { s in var t = s; t.layers.swapAt(1, 2); return t }),
    ] }

    @Test("generated showers match the reference; broken inverse preprocessings do not")
    func fidelity() throws {
        let fixture = try TrainedPipeline.get()
        let (reference, _) = try Self.read(fixture.dataPath)
        let (generated, batch) = try Self.read(fixture.generatedPath)
        #expect(batch.count == TrainedPipeline.generatedEvents)

        let problems = Self.disagreements(reference, generated)
        #expect(problems.isEmpty, "generated vs reference: \(problems.joined(separator: "; "))")

        // The comparison is not vacuous: every broken inverse fails it on the same showers.
        for (name, broken) in Self.brokenInverses {
            #expect(!Self.disagreements(reference, broken(generated)).isEmpty, "the tolerance does not catch: \(name)")
        }
        // The u-space round trip used by `rebuild` is itself exact when the inverse is right.
        let identity = Self.rebuild(generated) { tot, u1, u2 in
            let e0 = u1 * tot, e1 = u2 * (tot - e0); return [e0, e1, max(0, tot - e0 - e1)]
        }
        #expect(Self.disagreements(generated, identity).isEmpty)
    }

    @Test("generated files pass reader validation, hold no voxel below the threshold, and never exceed E_inc")
    func generatedFileGuarantees() throws {
        let fixture = try TrainedPipeline.get()
        let reader = try ShowerFileReader(path: fixture.generatedPath)
        #expect(reader.metadata.particle == "eplus")
        let b = try reader.readAll()
        let v = b.voxels.storage
        #expect(v.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(!v.contains { $0 > 0 && $0 < 0.01 }, "a voxel between 0 and the 0.01 MeV threshold")
        #expect(b.overflow.storage.allSatisfy { $0 == 0 })
        let range = b.incidentEnergy.min()!...b.incidentEnergy.max()!
        let training = try ShowerFileReader(path: fixture.dataPath).readAll().incidentEnergy
        #expect(range.lowerBound >= training.min()! && range.upperBound <= training.max()!,
                "default energies lie in the training range")
        for r in 0..<b.count {
            let total = CaloGANGeometry.layerRange(0).lowerBound..<CaloGANGeometry.layerRange(2).upperBound
            let sum = total.reduce(0.0) { $0 + Double(b.voxels[r, $1]) }
            #expect(sum <= Double(b.incidentEnergy[r]) * 1e3 * (1 + 1e-5))
        }
    }
}
