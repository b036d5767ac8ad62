import CaloNN
import CaloTensor

// MARK: - Small kernels on raw rows

/// Writes `bias` (length n) into each of `rows` rows of `y` (row stride ldy), plus `add` rows if given.
@inline(__always)
func madeBroadcastRows(_ y: UnsafeMutablePointer<Float>, rows: Int, n: Int, ldy: Int,
                       bias: UnsafePointer<Float>, add: UnsafePointer<Float>? = nil, ldadd: Int = 0) {
    for b in 0..<rows {
        let row = y + b * ldy
        if let add {
            let a = add + b * ldadd
            for j in 0..<n { row[j] = bias[j] + a[j] }
        } else {
            row.update(from: bias, count: n)
        }
    }
}

@inline(__always)
func madeReLU(_ p: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { p[i] = max(p[i], 0) }
}

/// `g[i] = h[i] > 0 ? g[i] * scale : 0`: backward through ReLU (and inverted dropout, whose kept
/// units are exactly those with positive output).
@inline(__always)
func madeReLUBackward(_ g: UnsafeMutablePointer<Float>, _ h: UnsafePointer<Float>, count: Int, scale: Float) {
    for i in 0..<count { g[i] = h[i] > 0 ? g[i] * scale : 0 }
}

extension MADE {
    // MARK: - Forward

    /// Evaluation-mode forward pass (no dropout) into `output` `[B, D·M]` (resized if needed),
    /// keeping activations in `workspace` for a later `backward`.
    public func forward(_ x: Matrix, context: Matrix, workspace: Workspace, into output: inout Matrix) throws {
        try run(x, context, workspace, &output, rng: nil)
    }

    /// Training-mode forward pass: dropout (probability `configuration.dropout`) in the blocks
    /// after the first hidden layer, masks drawn from `dropoutRNG` (row-major, two 24-bit
    /// uniforms per draw), inverted scaling 1/(1−p). Identical to evaluation mode when p = 0.
    public func forward(_ x: Matrix, context: Matrix, workspace: Workspace, into output: inout Matrix,
                        dropoutRNG: inout Xoshiro256) throws {
        try withUnsafeMutablePointer(to: &dropoutRNG) { try run(x, context, workspace, &output, rng: $0) }
    }

    /// Evaluation-mode forward pass returning a new `[B, D·M]` matrix (uses a private workspace).
    public func callAsFunction(_ x: Matrix, context: Matrix) throws -> Matrix {
        var out = Matrix(rows: 0, cols: 0)
        try forward(x, context: context, workspace: Workspace(), into: &out)
        return out
    }

    private func checkInputs(_ x: Matrix, _ context: Matrix) throws {
        if x.cols != features {
            throw MADEError.shapeMismatch("input has \(x.cols) columns, \(name) expects \(features) features")
        }
        if context.cols != contextFeatures || (contextFeatures > 0 && context.rows != x.rows) {
            throw MADEError.shapeMismatch("context is \(context.rows)x\(context.cols), expected \(x.rows)x\(contextFeatures)")
        }
    }

    private func run(_ x: Matrix, _ context: Matrix, _ ws: Workspace, _ output: inout Matrix,
                     rng: UnsafeMutablePointer<Xoshiro256>?) throws {
        try checkInputs(x, context)
        let bsz = x.rows, h = hiddenFeatures, o = outputWidth
        if output.rows != bsz || output.cols != o { output = Matrix(rows: bsz, cols: o) }
        runHidden(x, context, ws, rng: rng)
        if bsz == 0 { return }

        // Output layer.
        let hl = ws.hidden[hiddenLayers - 1].pointer
        output.withUnsafeMutableBufferPointer { out in
            let y = out.baseAddress!
            finalBias.value.withUnsafeBufferPointer { madeBroadcastRows(y, rows: bsz, n: o, ldy: o, bias: $0.baseAddress!) }
            finalWeight.value.withUnsafeBufferPointer { w in
                finalTiling.forward(batch: bsz, x: hl, ldx: h, weight: w.baseAddress!, y: y, ldy: o)
            }
        }
    }

    /// Evaluation-mode forward pass that never holds the whole `[B, D·M]` output: the output
    /// units are computed one row group of the output tiling at a time (about 32 whole features,
    /// a `[B, 32·M]` buffer of 2.9 MB at B = 1000 and M = 23, which stays in cache) and handed
    /// to `body` before the next group overwrites them.
    ///
    /// The values are `forward`'s up to rounding: where `forward` multiplies one tile that spans
    /// several groups (a narrow MADE, whose high-degree outputs all see every hidden unit), this
    /// pass splits it, and OpenBLAS rounds the edge columns of a product differently (a few
    /// parts in 10⁷). What changes is memory traffic. The full output
    /// (46 MB for the paper's student at B = 1000) is written by the products and read back by
    /// the spline from main memory, and a pass through it costs more than the spline itself.
    ///
    /// - Parameter body: `(features, output)`: the features of the group and their outputs,
    ///   row-major `[B, features.count · M]` (row stride `features.count · M`), valid only
    ///   during the call.
    public func forwardInFeatureGroups(_ x: Matrix, context: Matrix, workspace ws: Workspace,
                                       _ body: (_ features: Range<Int>, _ output: UnsafePointer<Float>) throws -> Void) throws {
        try checkInputs(x, context)
        let bsz = x.rows, h = hiddenFeatures, m = outputMultiplier
        runHidden(x, context, ws, rng: nil)
        if bsz == 0 { return }
        let widest = finalTiling.rowGroups.map(\.count).max() ?? 0
        ws.groupOutput.reserve(bsz * widest)
        let y = ws.groupOutput.pointer
        let hl = UnsafePointer(ws.hidden[hiddenLayers - 1].pointer)
        try finalBias.value.withUnsafeBufferPointer { bias in
            try finalWeight.value.withUnsafeBufferPointer { w in
                for units in finalTiling.rowGroups {
                    // Output groups hold whole features (the group size is a multiple of M).
                    let n = units.count
                    madeBroadcastRows(y, rows: bsz, n: n, ldy: n, bias: bias.baseAddress! + units.lowerBound)
                    finalTiling.forward(rows: units, batch: bsz, x: hl, ldx: h, weight: w.baseAddress!, y: y, ldy: n)
                    try body(units.lowerBound / m..<units.upperBound / m, y)
                }
            }
        }
    }

    /// Input and context copies and every hidden layer into `ws` (training mode when `rng` is
    /// given and dropout is on).
    private func runHidden(_ x: Matrix, _ context: Matrix, _ ws: Workspace, rng: UnsafeMutablePointer<Xoshiro256>?) {
        let bsz = x.rows, d = features, c = contextFeatures, h = hiddenFeatures
        ws.prepare(batch: bsz, made: self)
        let p = configuration.dropout
        let dropping = rng != nil && p > 0
        ws.usedDropout = dropping
        x.withUnsafeBufferPointer { ws.x.pointer.update(from: $0.baseAddress!, count: bsz * d) }
        if bsz == 0 { return }

        // Context branch r = ReLU(W_c c + b_c), then h0 = ReLU(M0 x + b0 + r).
        if c > 0, let cw = contextWeight, let cb = contextBias {
            context.withUnsafeBufferPointer { ws.c.pointer.update(from: $0.baseAddress!, count: bsz * c) }
            cb.value.withUnsafeBufferPointer { madeBroadcastRows(ws.r.pointer, rows: bsz, n: h, ldy: h, bias: $0.baseAddress!) }
            cw.value.withUnsafeBufferPointer { w in
                BLAS.sgemm(transB: true, m: bsz, n: h, k: c, a: ws.c.pointer, lda: c, b: w.baseAddress!, ldb: c,
                           beta: 1, c: ws.r.pointer, ldc: h)
            }
            madeReLU(ws.r.pointer, count: bsz * h)
        }
        let h0 = ws.hidden[0].pointer
        initialBias.value.withUnsafeBufferPointer { b in
            madeBroadcastRows(h0, rows: bsz, n: h, ldy: h, bias: b.baseAddress!,
                              add: c > 0 ? UnsafePointer(ws.r.pointer) : nil, ldadd: h)
        }
        initialWeight.value.withUnsafeBufferPointer { w in
            initialTiling.forward(batch: bsz, x: ws.x.pointer, ldx: d, weight: w.baseAddress!, y: h0, ldy: h)
        }
        madeReLU(h0, count: bsz * h)

        // Blocks: h_k = Dropout(ReLU(M_k h_{k−1} + b_k)).
        for k in 1..<max(1, hiddenLayers) {
            let hk = ws.hidden[k].pointer, prev = ws.hidden[k - 1].pointer
            blockBiases[k - 1].value.withUnsafeBufferPointer { madeBroadcastRows(hk, rows: bsz, n: h, ldy: h, bias: $0.baseAddress!) }
            blockWeights[k - 1].value.withUnsafeBufferPointer { w in
                blockTiling.forward(batch: bsz, x: prev, ldx: h, weight: w.baseAddress!, y: hk, ldy: h)
            }
            madeReLU(hk, count: bsz * h)
            if dropping, let rng {
                ws.dropoutMasks[k].reserve(bsz * h)
                let m = ws.dropoutMasks[k].pointer
                let scale = 1 / (1 - p)
                let n = bsz * h
                var i = 0
                while i < n {
                    let bits = rng.pointee.next()
                    let u0 = Float(bits >> 40) * 0x1.0p-24
                    let u1 = Float((bits >> 8) & 0xFF_FFFF) * 0x1.0p-24
                    m[i] = u0 < p ? 0 : scale
                    if i + 1 < n { m[i + 1] = u1 < p ? 0 : scale }
                    i += 2
                }
                for j in 0..<n { hk[j] *= m[j] }
            }
        }
    }

    // MARK: - Backward

    /// Backward pass of the last `forward` run with `workspace`: adds dL/dθ into every
    /// parameter's `gradient` (masked entries stay exactly 0) and, when asked, stores dL/dx
    /// `[B, D]` and dL/dc `[B, C]` in the workspace (`inputGradient`, `contextGradient`).
    ///
    /// - Parameters:
    ///   - outputGradient: dL/d(output), `[B, D·M]`.
    ///   - parameterGradients: false skips every weight and bias gradient (a frozen network that
    ///     only passes gradients through, like the teacher during distillation): about a third
    ///     of the backward products.
    ///   - gradients: where the parameter gradients are added: a buffer whose layout holds this
    ///     MADE's parameters (one per data-parallel worker), or nil for the parameters' own
    ///     `gradient` matrices.
    public func backward(outputGradient: Matrix, workspace ws: Workspace,
                         inputGradient: Bool = true, contextGradient: Bool = true,
                         parameterGradients: Bool = true, gradients: GradientBuffer? = nil) throws {
        let bsz = ws.batch, d = features, c = contextFeatures, h = hiddenFeatures, o = outputWidth
        guard ws.shape == (d, c, h) else {
            throw MADEError.outOfOrder("workspace was last used by a MADE of another shape; run forward first")
        }
        if let gradients, parameterGradients, let missing = parameters.first(where: { gradients.layout.index(of: $0) == nil }) {
            throw MADEError.shapeMismatch("the gradient buffer has no room for \(missing.name)")
        }
        /// The gradient storage of `p`: in `gradients` when given, else its own matrix.
        func withGradient(_ p: Parameter, _ body: (UnsafeMutablePointer<Float>) -> Void) {
            if let gradients { body(gradients.pointer(for: p)!) } else { p.gradient.withUnsafeMutableBufferPointer { body($0.baseAddress!) } }
        }
        if outputGradient.rows != bsz || outputGradient.cols != o {
            throw MADEError.shapeMismatch("output gradient is \(outputGradient.rows)x\(outputGradient.cols), expected \(bsz)x\(o)")
        }
        ws.inputGradientValid = false
        ws.contextGradientValid = false
        if bsz == 0 { return }
        let ones = UnsafePointer(ws.ones.pointer)
        let scale: Float = ws.usedDropout ? 1 / (1 - configuration.dropout) : 1

        /// Adds the column sums of `dy` `[B, n]` into a bias gradient `[1, n]`.
        func addBiasGradient(_ p: Parameter, _ dy: UnsafePointer<Float>, _ n: Int) {
            guard parameterGradients else { return }
            withGradient(p) { g in
                BLAS.sgemm(m: 1, n: n, k: bsz, a: ones, lda: bsz, b: dy, ldb: n, beta: 1, c: g, ldc: n)
            }
        }

        // Output layer: dW_f, db_f, dh_last (into g0).
        var dh = ws.g0.pointer, spare = ws.g1.pointer
        let hl = UnsafePointer(ws.hidden[hiddenLayers - 1].pointer)
        outputGradient.withUnsafeBufferPointer { gp in
            let dy = gp.baseAddress!
            if parameterGradients {
                withGradient(finalWeight) { g in
                    finalTiling.backwardWeight(batch: bsz, dy: dy, lddy: o, x: hl, ldx: h, gradient: g)
                }
            }
            addBiasGradient(finalBias, dy, o)
            dh.update(repeating: 0, count: bsz * h)
            finalWeight.value.withUnsafeBufferPointer { w in
                finalTiling.backwardInput(batch: bsz, dy: dy, lddy: o, weight: w.baseAddress!, dx: dh, lddx: h)
            }
        }

        // Blocks, last to first: through dropout and ReLU, then the masked product.
        for k in stride(from: hiddenLayers - 1, through: 1, by: -1) {
            madeReLUBackward(dh, ws.hidden[k].pointer, count: bsz * h, scale: scale)
            let prev = UnsafePointer(ws.hidden[k - 1].pointer)
            if parameterGradients {
                withGradient(blockWeights[k - 1]) { g in
                    blockTiling.backwardWeight(batch: bsz, dy: dh, lddy: h, x: prev, ldx: h, gradient: g)
                }
            }
            addBiasGradient(blockBiases[k - 1], dh, h)
            spare.update(repeating: 0, count: bsz * h)
            blockWeights[k - 1].value.withUnsafeBufferPointer { w in
                blockTiling.backwardInput(batch: bsz, dy: dh, lddy: h, weight: w.baseAddress!, dx: spare, lddx: h)
            }
            swap(&dh, &spare)
        }

        // Initial layer: dh now holds dL/dh0; da0 = dh0 · [h0 > 0].
        madeReLUBackward(dh, ws.hidden[0].pointer, count: bsz * h, scale: 1)
        if parameterGradients {
            withGradient(initialWeight) { g in
                initialTiling.backwardWeight(batch: bsz, dy: dh, lddy: h, x: ws.x.pointer, ldx: d, gradient: g)
            }
        }
        addBiasGradient(initialBias, dh, h)
        if inputGradient {
            ws.dx.reserve(bsz * d)
            ws.dx.pointer.update(repeating: 0, count: bsz * d)
            initialWeight.value.withUnsafeBufferPointer { w in
                initialTiling.backwardInput(batch: bsz, dy: dh, lddy: h, weight: w.baseAddress!, dx: ws.dx.pointer, lddx: d)
            }
            ws.inputGradientValid = true
        }

        // Context branch: the same da0 flows into ReLU(W_c c + b_c).
        if c > 0, let cw = contextWeight, let cb = contextBias {
            madeReLUBackward(dh, ws.r.pointer, count: bsz * h, scale: 1)
            if parameterGradients {
                withGradient(cw) { g in
                    BLAS.sgemm(transA: true, m: h, n: c, k: bsz, a: dh, lda: h, b: ws.c.pointer, ldb: c,
                               beta: 1, c: g, ldc: c)
                }
            }
            addBiasGradient(cb, dh, h)
            if contextGradient {
                ws.dc.reserve(bsz * c)
                cw.value.withUnsafeBufferPointer { w in
                    BLAS.sgemm(m: bsz, n: c, k: h, a: dh, lda: h, b: w.baseAddress!, ldb: c,
                               beta: 0, c: ws.dc.pointer, ldc: c)
                }
                ws.contextGradientValid = true
            }
        } else if contextGradient {
            ws.contextGradientValid = true
        }
    }
}
