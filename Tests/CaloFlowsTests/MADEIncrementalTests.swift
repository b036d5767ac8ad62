import Testing
import Glibc
import CaloFlows
import CaloTensor

/// The incremental (one feature at a time) evaluator reproduces the full forward pass.
@Suite struct MADEIncrementalTests {
    struct Case: Sendable, CustomStringConvertible {
        var d: Int, c: Int, h: Int, layers: Int, m: Int, group: Int
        var description: String { "D\(d) C\(c) H\(h) L\(layers) M\(m) group \(group)" }
    }

    @Test(arguments: [
        Case(d: 3, c: 1, h: 64, layers: 3, m: 23, group: 16),
        Case(d: 3, c: 1, h: 64, layers: 3, m: 23, group: 1),
        Case(d: 20, c: 4, h: 15, layers: 2, m: 5, group: 4),
        Case(d: 20, c: 4, h: 20, layers: 2, m: 5, group: 3),   // H = D: last unit has degree 1
        Case(d: 33, c: 2, h: 70, layers: 3, m: 3, group: 8),   // H > D: degrees wrap around
        Case(d: 12, c: 0, h: 9, layers: 1, m: 2, group: 5),
        Case(d: 1, c: 2, h: 4, layers: 2, m: 3, group: 16),    // degree-0 hidden units
    ])
    func incrementalOutputsEqualFullForward(_ tc: Case) throws {
        var rng = Xoshiro256(seed: 31, stream: UInt64(tc.d * 100 + tc.h))
        let made = try MADE(.init(features: tc.d, contextFeatures: tc.c, hiddenFeatures: tc.h,
                                  hiddenLayers: tc.layers, outputMultiplier: tc.m, dropout: 0.2), rng: &rng)
        let bsz = 6
        let x = Matrix.randomNormal(bsz, tc.d, rng: &rng), ctx = Matrix.randomNormal(bsz, tc.c, rng: &rng)
        let full = try made(x, context: ctx)
        let ev = try MADE.IncrementalEvaluator(made, groupSize: tc.group)
        try ev.begin(context: ctx)
        var theta = Matrix(rows: 0, cols: 0)
        var maxErr: Float = 0, maxAbs: Float = 0
        for i in 0..<tc.d {
            try ev.outputs(forFeature: i, into: &theta)
            #expect(theta.rows == bsz && theta.cols == tc.m)
            for b in 0..<bsz {
                for k in 0..<tc.m {
                    maxErr = max(maxErr, abs(theta[b, k] - full[b, i * tc.m + k]))
                    maxAbs = max(maxAbs, abs(full[b, i * tc.m + k]))
                }
            }
            try ev.setInput(feature: i, values: (0..<bsz).map { x[$0, i] })
        }
        #expect(maxAbs > 0.05)
        #expect(maxErr <= 1e-5 * max(1, maxAbs))
        #expect(ev.inputs == x)
    }

    /// Used as in sampling: each feature's input is a function of its own outputs, as an
    /// autoregressive inverse would produce it; the final inputs must be a fixed point.
    @Test func sequentialInversionIsSelfConsistent() throws {
        var rng = Xoshiro256(seed: 41)
        let made = try MADE(.init(features: 25, contextFeatures: 3, hiddenFeatures: 19, hiddenLayers: 2, outputMultiplier: 4), rng: &rng)
        let bsz = 7
        let z = Matrix.randomNormal(bsz, 25, rng: &rng), ctx = Matrix.randomNormal(bsz, 3, rng: &rng)
        let ev = try MADE.IncrementalEvaluator(made, groupSize: 6)
        try ev.begin(context: ctx)
        for i in 0..<25 {
            let t = try ev.outputs(forFeature: i)
            // x_i = z_i · exp(θ_i0) + θ_i1 (an affine MAF step).
            try ev.setInput(feature: i, values: (0..<bsz).map { z[$0, i] * expf(t[$0, 0] * 0.1) + t[$0, 1] })
        }
        let x = ev.inputs
        let full = try made(x, context: ctx)
        for b in 0..<bsz {
            for i in 0..<25 {
                let want = z[b, i] * expf(full[b, i * 4] * 0.1) + full[b, i * 4 + 1]
                #expect(abs(x[b, i] - want) <= 1e-5 * (1 + abs(want)))
            }
        }
    }

    @Test func outOfOrderUseThrows() throws {
        var rng = Xoshiro256(seed: 5)
        let made = try MADE(.init(features: 4, contextFeatures: 1, hiddenFeatures: 5, hiddenLayers: 2, outputMultiplier: 2), rng: &rng)
        let ev = try MADE.IncrementalEvaluator(made)
        try ev.begin(context: Matrix(rows: 2, cols: 1))
        #expect(throws: MADEError.self) { try ev.outputs(forFeature: 1) }
        #expect(throws: MADEError.self) { try ev.setInput(feature: 1, values: [0, 0]) }
        #expect(throws: MADEError.self) { try ev.setInput(feature: 0, values: [0]) }
        #expect(throws: MADEError.self) { try ev.begin(context: Matrix(rows: 2, cols: 3)) }
        _ = try ev.outputs(forFeature: 0)
        try ev.setInput(feature: 0, values: [1, 2])
        #expect(ev.inputsSet == 1)
    }
}
