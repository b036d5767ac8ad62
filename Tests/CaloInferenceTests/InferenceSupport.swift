import Testing
import CaloBenchmarks
import CaloData
import CaloFlows
import CaloInference
import CaloPipeline
import CaloTensor

/// Small random-weight models (Flow I + student) and helpers shared by the suites of this target.
enum InferenceFixture {
    /// Flow I with 2 blocks of 2x16 and a student of `blocks` IAF blocks with MADEs 2 x `hidden`,
    /// random weights from `seed` (training range 1-100 GeV).
    static func generator(blocks: Int = 2, hidden: Int = 48, seed: UInt64 = 3) throws -> ShowerGenerator {
        let f1 = FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 3)
        let st = FlowArchitecture(blocks: blocks, hiddenFeatures: hidden, hiddenLayers: 2)
        return try GenerationBenchmark.generator(flowI: f1, student: st, seed: seed)
    }

    /// Incident energies in MeV, uniform in 1-100 GeV.
    static func energiesMeV(_ n: Int, seed: UInt64 = 5) -> [Double] {
        var rng = Xoshiro256(seed: seed)
        return (0..<n).map { _ in Double(Float(rng.uniform(1, 100))) * 1000 }
    }

    /// `count` showers from a context, [count, 504].
    static func showers(_ context: InferenceContext, _ energiesMeV: [Double], seed: UInt64, first: UInt64) throws -> Matrix {
        var out = Matrix(rows: energiesMeV.count, cols: 504)
        try energiesMeV.withUnsafeBufferPointer { e in
            try out.withUnsafeMutableBufferPointer { o in
                try context.generate(incidentEnergiesMeV: e.baseAddress!, count: e.count, seed: seed, firstShower: first,
                                     output: o.baseAddress!, capacity: o.count)
            }
        }
        return out
    }
}

/// How two sets of showers from the same latent codes compare.
struct ShowerAgreement: CustomStringConvertible {
    /// Largest relative difference of a voxel non-zero in both.
    var worstRelative: Float = 0
    /// Voxels zero in one and not in the other, and the largest of their non-zero values.
    var switched = 0
    var largestSwitched: Float = 0
    /// Largest relative difference of a shower's total energy.
    var worstTotal: Double = 0

    init(_ a: Matrix, _ b: Matrix) {
        precondition(a.rows == b.rows && a.cols == b.cols)
        for r in 0..<a.rows {
            var ta = 0.0, tb = 0.0
            for j in 0..<a.cols {
                let x = a[r, j], y = b[r, j]
                ta += Double(x); tb += Double(y)
                if (x == 0) != (y == 0) {
                    switched += 1
                    largestSwitched = max(largestSwitched, max(x, y))
                } else if x != y {
                    worstRelative = max(worstRelative, abs(x - y) / max(abs(x), abs(y)))
                }
            }
            if max(ta, tb) > 0 { worstTotal = max(worstTotal, abs(ta - tb) / max(ta, tb)) }
        }
    }

    var description: String {
        "worst relative voxel difference \(worstRelative), \(switched) voxels switched to or from zero (largest \(largestSwitched) MeV), "
            + "worst relative total-energy difference \(worstTotal)"
    }
}
