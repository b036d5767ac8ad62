import Testing
import CaloFlows
import CaloNN
import CaloTensor

/// Every bijection against its inverse and a numerical Jacobian.
@Suite struct FlowTransformTests {
    // A small tail bound so that some inputs fall in the linear tails too.
    let spline = try! RationalQuadraticSpline(bins: 5, tailBound: 3)

    @Test(arguments: [AutoregressiveKind.maf, .iaf])
    func blockInverseAndLogDeterminant(_ kind: AutoregressiveKind) throws {
        var rng = Xoshiro256(seed: 11)
        let block = try FlowFixtures.block(kind, features: 5, context: 2, spline: spline, name: "b", rng: &rng)
        let x = Matrix.randomNormal(7, 5, std: 1.6, rng: &rng), c = Matrix.randomNormal(7, 2, rng: &rng)
        var none: Xoshiro256? = nil
        let (y, ldFast) = try block.fastPass(x, context: c, pass: BlockPass(), dropoutRNG: &none)
        let (back, ldSlow) = try block.slowPass(y, context: c)
        for i in 0..<x.count { #expect(abs(back.storage[i] - x.storage[i]) < 2e-4) }
        for r in 0..<7 {
            #expect(abs(ldFast[r] + ldSlow[r]) < 1e-3)
            let numeric = FlowFixtures.closestNumericalLogDet(x.row(r), analytic: ldFast[r]) { v in
                var none: Xoshiro256? = nil
                return try! block.fastPass(Matrix(rows: 1, cols: 5, storage: v), context: c.rows(r..<(r + 1)),
                                           pass: BlockPass(), dropoutRNG: &none).output.storage
            }
            #expect(abs(numeric - ldFast[r]) < 1e-2, "row \(r): numeric \(numeric) vs analytic \(ldFast[r])")
        }
        // The spline really is non-linear here (the test would be vacuous near the identity).
        #expect(ldFast.map { abs($0) }.max()! > 0.5)
    }

    @Test(arguments: [AutoregressiveKind.maf, .iaf])
    func flowInverseAndLogDeterminant(_ kind: AutoregressiveKind) throws {
        let flow = try FlowFixtures.flow(kind, features: 4, context: 3, spline: spline, seed: 3)
        var rng = Xoshiro256(seed: 4)
        let x = Matrix.randomNormal(6, 4, std: 1.5, rng: &rng), c = Matrix.randomNormal(6, 3, rng: &rng)
        var none: Xoshiro256? = nil
        let fwd = try flow.forward(x, context: c, dropoutRNG: &none)
        let inv = try flow.inverse(fwd.latent, context: c, dropoutRNG: &none)
        for i in 0..<x.count { #expect(abs(inv.data.storage[i] - x.storage[i]) < 5e-4) }
        for r in 0..<6 {
            #expect(abs(fwd.logDet[r] + inv.logDet[r]) < 2e-3)
            let numeric = FlowFixtures.closestNumericalLogDet(x.row(r), analytic: fwd.logDet[r]) { v in
                var none: Xoshiro256? = nil
                return try! flow.forward(Matrix(rows: 1, cols: 4, storage: v), context: c.rows(r..<(r + 1)), dropoutRNG: &none).latent.storage
            }
            #expect(abs(numeric - fwd.logDet[r]) < 1e-2, "row \(r): numeric \(numeric) vs analytic \(fwd.logDet[r])")
        }
        // States are recorded at every chain position, and permutations sit between blocks.
        #expect(fwd.states.count == flow.chainLength + 1 && flow.chainLength == 5)
        #expect(fwd.states[2] == Permutation.reverse(segments: [0..<4]).forward(fwd.states[1]))
    }

    @Test func logProbIsBasePlusLogDet() throws {
        let flow = try FlowFixtures.flow(.maf, features: 3, context: 1, spline: spline, seed: 5)
        var rng = Xoshiro256(seed: 6)
        let x = Matrix.randomNormal(4, 3, rng: &rng), c = Matrix.randomNormal(4, 1, rng: &rng)
        var none: Xoshiro256? = nil
        let t = try flow.forward(x, context: c, dropoutRNG: &none)
        let lp = try flow.logProb(x, context: c)
        let base = StandardNormal.logProb(t.latent)
        for r in 0..<4 { #expect(abs(lp[r] - (base[r] + t.logDet[r])) < 1e-9) }
    }

    @Test func samplingWithoutRecordsEqualsTheRecordedInverse() throws {
        let flow = try FlowFixtures.flow(.iaf, features: 5, context: 2, blocks: 4, spline: spline, seed: 8)
        var rng = Xoshiro256(seed: 9)
        let c = Matrix.randomNormal(6, 2, rng: &rng)
        var a = Xoshiro256(seed: 10), b = a
        let sampled = try flow.sample(context: c, rng: &a)
        let z = StandardNormal.sample(6, 5, width: 1, rng: &b)
        var none: Xoshiro256? = nil
        let recorded = try flow.inverse(z, context: c, dropoutRNG: &none)
        let shared = try flow.inverse(z, context: c, dropoutRNG: &none, keepPasses: false)
        // The unrecorded pass multiplies the MADE output a feature group at a time, which may
        // round differently in the last bit (see MADEFeatureGroupTests).
        #expect(sampled == shared.data)
        #expect(maxScaledDifference(shared.data.storage, recorded.data.storage) < 1e-5)
        #expect(maxScaledDifference(shared.logDet.map(Float.init), recorded.logDet.map(Float.init)) < 1e-5)
        #expect(recorded.passes.count == 4 && shared.passes.count == 1)
        // Without the per-block records there is nothing to backpropagate through.
        #expect(throws: FlowError.self) { try flow.backward(shared, endGradient: nil, logDetGradient: nil) }
        #expect(throws: Never.self) { try flow.backward(recorded, endGradient: nil, logDetGradient: nil) }
    }
}
