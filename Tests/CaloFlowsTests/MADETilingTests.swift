import Testing
import CaloFlows
import CaloTensor

/// The block-sparse plan covers every connection once and its products equal dense masked ones.
@Suite struct MADETilingTests {
    @Test(arguments: 0..<12)
    func tiledProductsEqualDenseMaskedProducts(_ trial: Int) {
        var rng = Xoshiro256(seed: 21, stream: UInt64(trial))
        let outs = 1 + Int(rng.next() % 60), ins = 1 + Int(rng.next() % 50)
        let maxDeg = 1 + Int(rng.next() % 12)
        let sorted = trial % 3 == 0
        var outDeg = (0..<outs).map { _ in Int(rng.next() % UInt64(maxDeg + 1)) }
        var inDeg = (0..<ins).map { _ in 1 + Int(rng.next() % UInt64(maxDeg)) }
        if sorted { outDeg.sort(); inDeg.sort() }
        let strict = trial % 2 == 1
        let tiling = MADEMaskedTiling(outDegrees: outDeg, inDegrees: inDeg, strict: strict,
                                      rowGroupSize: 1 + Int(rng.next() % 16), mergeGap: Int(rng.next() % 6))
        let mask = MADEDegrees.mask(outDegrees: outDeg, inDegrees: inDeg, strict: strict)

        // Coverage: every connection in exactly one tile, tiles disjoint and in range.
        var cover = [Int](repeating: 0, count: outs * ins)
        for t in tiling.tiles {
            #expect(t.rows.lowerBound >= 0 && t.rows.upperBound <= outs && t.columns.upperBound <= ins)
            for r in t.rows { for c in t.columns { cover[r * ins + c] += 1 } }
        }
        #expect(cover.allSatisfy { $0 <= 1 })
        #expect((0..<(outs * ins)).allSatisfy { mask.storage[$0] == 0 || cover[$0] == 1 })
        #expect(tiling.connections == Int(mask.storage.reduce(0, +)))

        // Products against dense masked references (Double).
        let bsz = 5
        var w = Matrix.randomNormal(outs, ins, rng: &rng)
        for i in 0..<w.count { w.storage[i] *= mask.storage[i] }
        let x = Matrix.randomNormal(bsz, ins, rng: &rng), dy = Matrix.randomNormal(bsz, outs, rng: &rng)
        var y = Matrix(rows: bsz, cols: outs, repeating: 0.5)
        var dx = Matrix(rows: bsz, cols: ins, repeating: -0.25)
        var gw = Matrix(rows: outs, cols: ins)
        for i in 0..<gw.count where mask.storage[i] != 0 { gw.storage[i] = 1 }
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in dy.withUnsafeBufferPointer { dp in
            y.withUnsafeMutableBufferPointer { yp in
                tiling.forward(batch: bsz, x: xp.baseAddress!, ldx: ins, weight: wp.baseAddress!, y: yp.baseAddress!, ldy: outs)
            }
            dx.withUnsafeMutableBufferPointer { p in
                tiling.backwardInput(batch: bsz, dy: dp.baseAddress!, lddy: outs, weight: wp.baseAddress!, dx: p.baseAddress!, lddx: ins)
            }
            gw.withUnsafeMutableBufferPointer { p in
                tiling.backwardWeight(batch: bsz, dy: dp.baseAddress!, lddy: outs, x: xp.baseAddress!, ldx: ins, gradient: p.baseAddress!)
            }
        } } }
        for b in 0..<bsz {
            for o in 0..<outs {
                var s = 0.5
                for i in 0..<ins { s += Double(x[b, i]) * Double(w[o, i]) }
                #expect(abs(Double(y[b, o]) - s) < 1e-5 * (1 + abs(s)))
            }
            for i in 0..<ins {
                var s = -0.25
                for o in 0..<outs { s += Double(dy[b, o]) * Double(w[o, i]) }
                #expect(abs(Double(dx[b, i]) - s) < 1e-5 * (1 + abs(s)))
            }
        }
        for o in 0..<outs {
            for i in 0..<ins {
                if mask[o, i] == 0 { #expect(gw[o, i] == 0); continue }
                var s = 1.0
                for b in 0..<bsz { s += Double(dy[b, o]) * Double(x[b, i]) }
                #expect(abs(Double(gw[o, i]) - s) < 1e-5 * (1 + abs(s)))
            }
        }
    }

    /// The plan's extra work over the useful connections stays small for the paper's shapes.
    @Test func paperShapesSkipMostMaskedWork() throws {
        for h in [378, 504] {
            let hd = MADEDegrees.hidden(features: 504, hidden: h)
            let out = MADEDegrees.output(features: 504, multiplier: 23)
            let final = MADEMaskedTiling(outDegrees: out, inDegrees: hd, strict: true, rowGroupSize: 32 * 23)
            #expect(Double(final.tiledEntries) < 1.08 * Double(final.connections))
            #expect(Double(final.tiledEntries) < 0.75 * Double(out.count * h))
            let block = MADEMaskedTiling(outDegrees: hd, inDegrees: hd, strict: false, rowGroupSize: max(32, h / 8))
            #expect(Double(block.tiledEntries) < 1.2 * Double(block.connections))
        }
    }
}
