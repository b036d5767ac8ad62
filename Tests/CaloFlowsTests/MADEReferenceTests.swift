import Testing
import CaloFlows
import CaloNN
import CaloTensor

/// A plain, dense MADE in Double written from the method description (section 9), independent
/// of the library's degree code and block-sparse products: the reference for forward values and
/// (through central differences) for every gradient.
struct DenseMADEReference {
    let d: Int, c: Int, h: Int, layers: Int, m: Int
    /// Parameter values in the MADE's `parameters` order (weights `[out, in]` row-major).
    var params: [[Double]]
    /// Masks for the weights (nil for biases and the context weight), from the degree formula.
    let masks: [[Double]?]

    init(_ made: MADE) {
        d = made.features; c = made.contextFeatures; h = made.hiddenFeatures
        layers = made.hiddenLayers; m = made.outputMultiplier
        params = made.parameters.map { $0.value.storage.map(Double.init) }
        let d = made.features, h = made.hiddenFeatures, m = made.outputMultiplier, c = made.contextFeatures
        let layers = made.hiddenLayers
        let period = max(1, d - 1), offset = min(1, d - 1)
        let hd = (0..<h).map { ($0 % period) + offset }
        let ind = (0..<d).map { $0 + 1 }
        let outd = (0..<(d * m)).map { $0 / m + 1 }
        func mask(_ o: [Int], _ i: [Int], strict: Bool) -> [Double] {
            o.flatMap { a in i.map { b in (strict ? a > b : a >= b) ? 1.0 : 0.0 } }
        }
        var ms: [[Double]?] = [mask(hd, ind, strict: false), nil]
        if c > 0 { ms += [nil, nil] }
        for _ in 1..<max(1, layers) { ms += [mask(hd, hd, strict: false), nil] }
        ms += [mask(outd, hd, strict: true), nil]
        masks = ms
    }

    private func weight(_ k: Int, _ o: Int, _ i: Int, _ n: Int) -> Double {
        params[k][o * n + i] * (masks[k]?[o * n + i] ?? 1)
    }

    /// Output `[D·M]` for one row; `dropout[k]` (k = 1..<layers) are per-unit multipliers.
    func forward(x: [Double], ctx: [Double], dropout: [[Double]]? = nil) -> [Double] {
        var p = 0
        let w0 = p, b0 = p + 1; p += 2
        var r = [Double](repeating: 0, count: h)
        if c > 0 {
            for j in 0..<h {
                var s = params[p + 1][j]
                for i in 0..<c { s += weight(p, j, i, c) * ctx[i] }
                r[j] = max(s, 0)
            }
            p += 2
        }
        var hid = (0..<h).map { j -> Double in
            var s = params[b0][j] + r[j]
            for i in 0..<d { s += weight(w0, j, i, d) * x[i] }
            return max(s, 0)
        }
        for k in 1..<max(1, layers) {
            let w = p, b = p + 1; p += 2
            hid = (0..<h).map { j -> Double in
                var s = params[b][j]
                for i in 0..<h { s += weight(w, j, i, h) * hid[i] }
                return max(s, 0) * (dropout?[k][j] ?? 1)
            }
        }
        return (0..<(d * m)).map { o -> Double in
            var s = params[p + 1][o]
            for i in 0..<h { s += weight(p, o, i, h) * hid[i] }
            return s
        }
    }

    /// Σ_b Σ_o G[b, o] · out[b, o] over a batch.
    func loss(x: Matrix, ctx: Matrix, g: Matrix, dropout: [[[Double]]]? = nil) -> Double {
        var total = 0.0
        for b in 0..<x.rows {
            let out = forward(x: x.row(b).map(Double.init), ctx: c > 0 ? ctx.row(b).map(Double.init) : [],
                              dropout: dropout?[b])
            for o in 0..<out.count { total += Double(g[b, o]) * out[o] }
        }
        return total
    }
}

/// Dropout multipliers per row and layer from a workspace, in the reference's layout.
func referenceDropout(_ ws: MADE.Workspace, layers: Int, batch: Int) -> [[[Double]]]? {
    guard ws.usedDropout else { return nil }
    let ms = (0..<layers).map { ws.dropoutMask(layer: $0) }
    return (0..<batch).map { b in ms.map { m in m.map { $0.row(b).map(Double.init) } ?? [] } }
}

@Suite struct MADEReferenceTests {
    @Test(arguments: [
        MADE.Configuration(features: 3, contextFeatures: 1, hiddenFeatures: 64, hiddenLayers: 3, outputMultiplier: 23),
        MADE.Configuration(features: 40, contextFeatures: 4, hiddenFeatures: 30, hiddenLayers: 2, outputMultiplier: 5),
        MADE.Configuration(features: 120, contextFeatures: 2, hiddenFeatures: 100, hiddenLayers: 2, outputMultiplier: 3),
        MADE.Configuration(features: 50, contextFeatures: 3, hiddenFeatures: 50, hiddenLayers: 3, outputMultiplier: 4),
        MADE.Configuration(features: 1, contextFeatures: 2, hiddenFeatures: 5, hiddenLayers: 2, outputMultiplier: 2),
        MADE.Configuration(features: 6, contextFeatures: 0, hiddenFeatures: 9, hiddenLayers: 1, outputMultiplier: 2),
    ])
    func blockSparseForwardEqualsDenseReference(_ config: MADE.Configuration) throws {
        var rng = Xoshiro256(seed: 11, stream: UInt64(config.features))
        let made = try MADE(config, rng: &rng)
        let bsz = 5
        let x = Matrix.randomNormal(bsz, config.features, rng: &rng)
        let ctx = Matrix.randomNormal(bsz, config.contextFeatures, rng: &rng)
        let out = try made(x, context: ctx)
        let ref = DenseMADEReference(made)
        #expect(out.rows == bsz && out.cols == config.features * config.outputMultiplier)
        var maxErr = 0.0, maxAbs = 0.0
        for b in 0..<bsz {
            let want = ref.forward(x: x.row(b).map(Double.init),
                                   ctx: ctx.row(b).map(Double.init))
            for o in 0..<want.count {
                maxErr = max(maxErr, abs(Double(out[b, o]) - want[o]))
                maxAbs = max(maxAbs, abs(want[o]))
            }
        }
        #expect(maxAbs > 0.05)
        #expect(maxErr < 1e-5 * max(1, maxAbs))
    }
}
