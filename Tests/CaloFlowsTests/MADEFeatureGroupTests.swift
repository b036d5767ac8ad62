import Testing
import CaloFlows
import CaloTensor

/// The grouped output pass (`MADE.forwardInFeatureGroups`, and the sampling-only block pass
/// built on it) gives the full forward pass's values. Not always bit for bit: where the full
/// pass multiplies one tile spanning several groups, the grouped pass splits it, and OpenBLAS
/// then handles the edge columns with kernels that round differently (a few parts in 10⁷).
@Suite struct MADEFeatureGroupTests {
    struct Case: Sendable, CustomStringConvertible {
        var d: Int, c: Int, h: Int, layers: Int, m: Int, batch: Int
        var description: String { "D\(d) C\(c) H\(h) L\(layers) M\(m) B\(batch)" }
    }

    static let cases = [
        Case(d: 504, c: 4, h: 96, layers: 2, m: 23, batch: 40),  // paper width: 16 groups of 32 features
        Case(d: 70, c: 2, h: 50, layers: 3, m: 5, batch: 65),    // 14 groups of 5 features
        Case(d: 3, c: 1, h: 64, layers: 3, m: 23, batch: 7),     // Flow I: one feature per group
        Case(d: 12, c: 0, h: 9, layers: 1, m: 2, batch: 3),      // no context, no hidden blocks
        Case(d: 17, c: 2, h: 20, layers: 2, m: 3, batch: 0),     // empty batch: no groups delivered
    ]

    @Test(arguments: cases)
    func groupsTileTheOutputAndEqualTheFullPass(_ tc: Case) throws {
        var rng = Xoshiro256(seed: 71, stream: UInt64(tc.d))
        let made = try MADE(.init(features: tc.d, contextFeatures: tc.c, hiddenFeatures: tc.h,
                                  hiddenLayers: tc.layers, outputMultiplier: tc.m, dropout: 0.1), rng: &rng)
        let x = Matrix.randomNormal(tc.batch, tc.d, rng: &rng), ctx = Matrix.randomNormal(tc.batch, tc.c, rng: &rng)
        let full = try made(x, context: ctx)
        var grouped = Matrix(rows: tc.batch, cols: made.outputWidth, repeating: .nan)
        var next = 0, groups = 0
        try made.forwardInFeatureGroups(x, context: ctx, workspace: MADE.Workspace()) { features, p in
            // Groups arrive in order, hold whole features and cover every feature once.
            #expect(features.lowerBound == next && !features.isEmpty)
            next = features.upperBound
            groups += 1
            let w = features.count * tc.m
            for b in 0..<tc.batch {
                for j in 0..<w { grouped[b, features.lowerBound * tc.m + j] = p[b * w + j] }
            }
        }
        if tc.batch > 0 {
            #expect(next == tc.d)
            #expect(maxScaledDifference(grouped.storage, full.storage) < 1e-6)
        } else {
            #expect(groups == 0)
        }
    }

    /// The sampling-only block pass (no record) against the recorded one, for both kinds, on a
    /// shape where the 8-lane spline kernel and several feature groups are used.
    @Test(arguments: [AutoregressiveKind.maf, .iaf])
    func blockPassWithoutRecordEqualsTheRecordedPass(_ kind: AutoregressiveKind) throws {
        var rng = Xoshiro256(seed: 72)
        let spline = try RationalQuadraticSpline(bins: 8, tailBound: 4)
        let block = try FlowFixtures.block(kind, features: 96, context: 3, hidden: 64, spline: spline, name: "g", rng: &rng)
        let x = Matrix.randomNormal(45, 96, std: 1.5, rng: &rng), c = Matrix.randomNormal(45, 3, rng: &rng)
        var none: Xoshiro256? = nil
        let recorded = try block.fastPass(x, context: c, pass: BlockPass(), dropoutRNG: &none)
        let unrecorded = try block.fastPass(x, context: c, workspace: MADE.Workspace())
        #expect(maxScaledDifference(unrecorded.output.storage, recorded.output.storage) < 1e-5)
        #expect(maxScaledDifference(unrecorded.logDet.map(Float.init), recorded.logDet.map(Float.init)) < 1e-5)
        // Both tails and the spline's interior are exercised.
        #expect(x.storage.contains { abs($0) > 4 } && x.storage.contains { abs($0) < 1 })
    }
}

/// max |a − b| / (1 + max |b|): differences against the scale of the values (NaN counts as ∞).
func maxScaledDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    let scale = 1 + (b.map { abs($0) }.max() ?? 0)
    var worst: Float = 0
    for i in a.indices {
        let d = abs(a[i] - b[i])
        worst = d.isNaN ? .infinity : max(worst, d)
    }
    return worst / scale
}
