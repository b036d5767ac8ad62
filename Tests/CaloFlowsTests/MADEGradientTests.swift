import Testing
import CaloFlows
import CaloNN
import CaloTensor

/// Every analytic gradient (Float, block-sparse) against central differences of the dense
/// Double reference, for the loss L = Σ G ⊙ MADE(x, c) with a random fixed G.
@Suite struct MADEGradientTests {
    struct Case: Sendable, CustomStringConvertible {
        var config: MADE.Configuration
        var training: Bool
        var description: String { "D\(config.features) C\(config.contextFeatures) H\(config.hiddenFeatures) L\(config.hiddenLayers) M\(config.outputMultiplier) p\(config.dropout) train \(training)" }
    }

    static let cases: [Case] = [
        Case(config: .init(features: 4, contextFeatures: 2, hiddenFeatures: 6, hiddenLayers: 3, outputMultiplier: 3), training: false),
        Case(config: .init(features: 5, contextFeatures: 3, hiddenFeatures: 5, hiddenLayers: 2, outputMultiplier: 2, dropout: 0.3), training: true),
        Case(config: .init(features: 3, contextFeatures: 1, hiddenFeatures: 8, hiddenLayers: 3, outputMultiplier: 4, dropout: 0.25), training: true),
        Case(config: .init(features: 3, contextFeatures: 1, hiddenFeatures: 8, hiddenLayers: 3, outputMultiplier: 4, dropout: 0.25), training: false),
        Case(config: .init(features: 4, contextFeatures: 0, hiddenFeatures: 7, hiddenLayers: 1, outputMultiplier: 2), training: false),
    ]

    @Test(arguments: cases)
    func gradientsMatchCentralDifferences(_ tc: Case) throws {
        var rng = Xoshiro256(seed: 5, stream: UInt64(tc.config.hiddenFeatures))
        let made = try MADE(tc.config, rng: &rng)
        let bsz = 4
        let x = Matrix.randomNormal(bsz, tc.config.features, rng: &rng)
        let ctx = Matrix.randomNormal(bsz, tc.config.contextFeatures, rng: &rng)
        let g = Matrix.randomNormal(bsz, made.outputWidth, rng: &rng)
        let ws = MADE.Workspace()
        var out = Matrix(rows: 0, cols: 0)
        if tc.training {
            var drng = Xoshiro256(seed: 99, stream: 3)
            try made.forward(x, context: ctx, workspace: ws, into: &out, dropoutRNG: &drng)
        } else {
            try made.forward(x, context: ctx, workspace: ws, into: &out)
        }
        #expect(ws.usedDropout == (tc.training && tc.config.dropout > 0))
        for p in made.parameters { p.zeroGradient() }
        try made.backward(outputGradient: g, workspace: ws)
        let dropout = referenceDropout(ws, layers: made.hiddenLayers, batch: bsz)
        if ws.usedDropout {
            // The masks really drop something and scale the rest by 1/(1−p).
            let m = try #require(ws.dropoutMask(layer: 1))
            let scale = 1 / (1 - tc.config.dropout)
            #expect(m.storage.allSatisfy { $0 == 0 || $0 == scale })
            #expect(m.storage.contains(0) && m.storage.contains(scale))
        }

        var ref = DenseMADEReference(made)
        let eps = 1e-6
        func check(_ analytic: Float, _ numeric: Double, _ what: String) {
            let err = abs(Double(analytic) - numeric)
            #expect(err <= 2e-5 + 2e-4 * abs(numeric), "\(what): analytic \(analytic), numeric \(numeric)")
        }

        // Parameters (every entry; masked-out ones must be exactly 0 in both).
        var nonzero = 0
        for (k, p) in made.parameters.enumerated() {
            for i in 0..<p.count {
                let saved = ref.params[k][i]
                ref.params[k][i] = saved + eps
                let lp = ref.loss(x: x, ctx: ctx, g: g, dropout: dropout)
                ref.params[k][i] = saved - eps
                let lm = ref.loss(x: x, ctx: ctx, g: g, dropout: dropout)
                ref.params[k][i] = saved
                let numeric = (lp - lm) / (2 * eps)
                check(p.gradient.storage[i], numeric, "\(p.name)[\(i)]")
                if let mask = p.mask, mask.storage[i] == 0 { #expect(p.gradient.storage[i] == 0) }
                if abs(numeric) > 1e-3 { nonzero += 1 }
            }
        }
        #expect(nonzero > 20)

        // Input and context.
        let dx = try #require(ws.inputGradient)
        for b in 0..<bsz {
            for i in 0..<tc.config.features {
                let row = x.row(b).map(Double.init)
                var rp = row, rm = row
                rp[i] += eps; rm[i] -= eps
                let cr = tc.config.contextFeatures > 0 ? ctx.row(b).map(Double.init) : []
                let op = ref.forward(x: rp, ctx: cr, dropout: dropout?[b])
                let om = ref.forward(x: rm, ctx: cr, dropout: dropout?[b])
                var numeric = 0.0
                for o in 0..<op.count { numeric += Double(g[b, o]) * (op[o] - om[o]) / (2 * eps) }
                check(dx[b, i], numeric, "dx[\(b),\(i)]")
            }
            if tc.config.contextFeatures > 0 {
                let dc = try #require(ws.contextGradient)
                for j in 0..<tc.config.contextFeatures {
                    let row = x.row(b).map(Double.init)
                    var cp = ctx.row(b).map(Double.init), cm = cp
                    cp[j] += eps; cm[j] -= eps
                    let op = ref.forward(x: row, ctx: cp, dropout: dropout?[b])
                    let om = ref.forward(x: row, ctx: cm, dropout: dropout?[b])
                    var numeric = 0.0
                    for o in 0..<op.count { numeric += Double(g[b, o]) * (op[o] - om[o]) / (2 * eps) }
                    check(dc[b, j], numeric, "dc[\(b),\(j)]")
                }
            }
        }
        // The last input (degree D) reaches no output: its gradient is exactly 0.
        for b in 0..<bsz { #expect(dx[b, tc.config.features - 1] == 0) }
    }

    @Test func backwardAddsIntoGradients() throws {
        var rng = Xoshiro256(seed: 8)
        let made = try MADE(.init(features: 5, contextFeatures: 2, hiddenFeatures: 6, hiddenLayers: 2, outputMultiplier: 3), rng: &rng)
        let x = Matrix.randomNormal(3, 5, rng: &rng), ctx = Matrix.randomNormal(3, 2, rng: &rng)
        let g = Matrix.randomNormal(3, made.outputWidth, rng: &rng)
        let ws = MADE.Workspace()
        var out = Matrix(rows: 0, cols: 0)
        try made.forward(x, context: ctx, workspace: ws, into: &out)
        try made.backward(outputGradient: g, workspace: ws, inputGradient: false, contextGradient: false)
        let once = made.parameters.map { $0.gradient }
        #expect(ws.inputGradient == nil && ws.contextGradient == nil)
        try made.backward(outputGradient: g, workspace: ws)
        for (p, g1) in zip(made.parameters, once) {
            for i in 0..<p.count { #expect(abs(p.gradient.storage[i] - 2 * g1.storage[i]) <= 1e-6 * (1 + abs(g1.storage[i]))) }
        }
    }

    @Test func sameDropoutSeedGivesSameOutputAndEvaluationModeIgnoresDropout() throws {
        var rng = Xoshiro256(seed: 9)
        let made = try MADE(.init(features: 6, contextFeatures: 2, hiddenFeatures: 12, hiddenLayers: 3, outputMultiplier: 3, dropout: 0.5), rng: &rng)
        let x = Matrix.randomNormal(8, 6, rng: &rng), ctx = Matrix.randomNormal(8, 2, rng: &rng)
        let ws = MADE.Workspace()
        var a = Matrix(rows: 0, cols: 0), b = a, e = a
        var r1 = Xoshiro256(seed: 1, stream: 7), r2 = Xoshiro256(seed: 1, stream: 7), r3 = Xoshiro256(seed: 2)
        try made.forward(x, context: ctx, workspace: ws, into: &a, dropoutRNG: &r1)
        try made.forward(x, context: ctx, workspace: ws, into: &b, dropoutRNG: &r2)
        #expect(a == b)
        try made.forward(x, context: ctx, workspace: ws, into: &e, dropoutRNG: &r3)
        #expect(a != e)
        let eval1 = try made(x, context: ctx), eval2 = try made(x, context: ctx)
        #expect(eval1 == eval2 && eval1 != a)
    }

    @Test func shapeErrorsAreThrown() throws {
        var rng = Xoshiro256(seed: 3)
        let made = try MADE(.init(features: 4, contextFeatures: 2, hiddenFeatures: 5, hiddenLayers: 2, outputMultiplier: 3), rng: &rng)
        #expect(throws: MADEError.self) { try made(Matrix(rows: 2, cols: 3), context: Matrix(rows: 2, cols: 2)) }
        #expect(throws: MADEError.self) { try made(Matrix(rows: 2, cols: 4), context: Matrix(rows: 2, cols: 1)) }
        #expect(throws: MADEError.self) { try MADE(.init(features: 4, contextFeatures: 2, hiddenFeatures: 5, hiddenLayers: 0, outputMultiplier: 3), rng: &rng) }
        #expect(throws: MADEError.self) { try MADE(.init(features: 4, contextFeatures: 2, hiddenFeatures: 5, hiddenLayers: 2, outputMultiplier: 3, dropout: 1), rng: &rng) }
        let ws = MADE.Workspace()
        var out = Matrix(rows: 0, cols: 0)
        try made.forward(Matrix(rows: 2, cols: 4), context: Matrix(rows: 2, cols: 2), workspace: ws, into: &out)
        #expect(throws: MADEError.self) { try made.backward(outputGradient: Matrix(rows: 3, cols: 12), workspace: ws) }
    }
}
