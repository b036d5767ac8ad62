import CaloTensor

extension MADE {
    /// Evaluates a MADE one feature at a time for autoregressive inversion (MAF sampling, IAF
    /// density), computing every hidden unit exactly once per batch instead of 504 full passes.
    ///
    /// A hidden unit of degree d depends only on inputs 0..<d, so it is final as soon as those are
    /// set. Use, for a batch of B rows that advance together:
    /// ```
    /// try ev.begin(context: c)                         // [B, C]
    /// for i in 0..<D {
    ///     try ev.outputs(forFeature: i, into: &theta)  // [B, M]: needs inputs 0..<i
    ///     ... invert feature i from theta ...
    ///     try ev.setInput(feature: i, values: xi)      // B values
    /// }
    /// ```
    /// Features are processed in groups of `groupSize`: at a group's start one sgemm per layer
    /// brings the pre-activations of the group's hidden units (and the group's output block) up to
    /// date with everything already known; inside the group only small rank-few updates remain.
    /// Evaluation mode (no dropout). Weights are copied (hidden units sorted by degree) at `init`,
    /// so later parameter updates need a new evaluator.
    public final class IncrementalEvaluator: @unchecked Sendable {
        public let features: Int
        public let contextFeatures: Int
        public let hiddenFeatures: Int
        public let hiddenLayers: Int
        public let outputMultiplier: Int
        /// Features per group (one set of sgemm calls per group).
        public let groupSize: Int
        /// Rows of the current batch.
        public private(set) var batch = 0
        /// Inputs set so far; `outputs(forFeature: inputsSet)` is the next allowed query.
        public private(set) var inputsSet = 0

        // MARK: Weights, hidden units sorted by degree (stable)
        /// count[d] = hidden units with degree ≤ d, d = 0...D.
        let count: [Int]
        let w0: [Float], b0: [Float]              // [H, D], [H]
        let wk: [[Float]], bk: [[Float]]          // [H, H], [H] per block
        let wfT: [Float], bf: [Float]             // final weight transposed [H, D·M], [D·M]
        let cw: [Float], cb: [Float]              // [H, C], [H]

        // MARK: State
        let x = MADEBuffer(), r = MADEBuffer(), ob = MADEBuffer(), column = MADEBuffer()
        var act = [MADEBuffer]()                  // [B, H] per layer: pre-, then post-activation

        /// Snapshots the weights of `made` (degree-sorted copies).
        public init(_ made: MADE, groupSize: Int = 16) throws {
            guard groupSize >= 1 else { throw MADEError.invalidConfiguration("groupSize must be ≥ 1, got \(groupSize)") }
            let d = made.features, h = made.hiddenFeatures, c = made.contextFeatures, m = made.outputMultiplier
            features = d; hiddenFeatures = h; contextFeatures = c; outputMultiplier = m
            hiddenLayers = made.hiddenLayers
            self.groupSize = groupSize
            let perm = (0..<h).sorted { (made.hiddenDegrees[$0], $0) < (made.hiddenDegrees[$1], $1) }
            var cnt = [Int](repeating: 0, count: d + 1)
            for deg in made.hiddenDegrees { cnt[deg] += 1 }
            for k in 1..<cnt.count { cnt[k] += cnt[k - 1] }
            count = cnt

            let iw = made.initialWeight.value.storage, ib = made.initialBias.value.storage
            w0 = (0..<(h * d)).map { iw[perm[$0 / d] * d + $0 % d] }
            b0 = perm.map { ib[$0] }
            wk = made.blockWeights.map { p in (0..<(h * h)).map { p.value.storage[perm[$0 / h] * h + perm[$0 % h]] } }
            bk = made.blockBiases.map { p in perm.map { p.value.storage[$0] } }
            let fw = made.finalWeight.value.storage
            let dm = d * m
            wfT = (0..<(h * dm)).map { fw[($0 % dm) * h + perm[$0 / dm]] }
            bf = made.finalBias.value.storage
            if let w = made.contextWeight, let b = made.contextBias {
                cw = (0..<(h * c)).map { w.value.storage[perm[$0 / c] * c + $0 % c] }
                cb = perm.map { b.value.storage[$0] }
            } else {
                cw = []; cb = []
            }
            for _ in 0..<hiddenLayers { act.append(MADEBuffer()) }
        }

        // MARK: - Public use

        /// Starts a new batch: context `[B, C]` (for C = 0 pass a `[B, 0]` matrix). All inputs
        /// unset; computes the first group.
        public func begin(context: Matrix) throws {
            guard context.cols == contextFeatures else {
                throw MADEError.shapeMismatch("context has \(context.cols) columns, expected \(contextFeatures)")
            }
            let bsz = context.rows, h = hiddenFeatures, c = contextFeatures
            batch = bsz
            inputsSet = 0
            x.reserve(bsz * features); x.pointer.update(repeating: 0, count: bsz * features)
            r.reserve(bsz * h); r.pointer.update(repeating: 0, count: bsz * h)
            ob.reserve(bsz * groupSize * outputMultiplier)
            column.reserve(max(bsz, h))
            for a in act { a.reserve(bsz * h) }
            if c > 0 && bsz > 0 {
                cb.withUnsafeBufferPointer { madeBroadcastRows(r.pointer, rows: bsz, n: h, ldy: h, bias: $0.baseAddress!) }
                context.withUnsafeBufferPointer { cp in
                    cw.withUnsafeBufferPointer { w in
                        BLAS.sgemm(transB: true, m: bsz, n: h, k: c, a: cp.baseAddress!, lda: c, b: w.baseAddress!, ldb: c,
                                   beta: 1, c: r.pointer, ldc: h)
                    }
                }
                madeReLU(r.pointer, count: bsz * h)
            }
            startGroup(0)
        }

        /// The `M` raw outputs of feature `i` for the whole batch, `[B, M]` (resized if needed).
        /// Requires `i == inputsSet` (inputs 0..<i set, in order).
        public func outputs(forFeature i: Int, into out: inout Matrix) throws {
            guard i == inputsSet, i < features else {
                throw MADEError.outOfOrder("outputs(forFeature: \(i)) with \(inputsSet) of \(features) inputs set")
            }
            let bsz = batch, m = outputMultiplier, h = hiddenFeatures
            if out.rows != bsz || out.cols != m { out = Matrix(rows: bsz, cols: m) }
            if bsz == 0 { return }
            let s = (i / groupSize) * groupSize
            let lo = count[s], hi = count[i]
            let hl = act[hiddenLayers - 1].pointer
            out.withUnsafeMutableBufferPointer { op in
                let o = op.baseAddress!
                let ldob = groupSize * m
                for b in 0..<bsz { (o + b * m).update(from: ob.pointer + b * ldob + (i - s) * m, count: m) }
                // Units of degree (s, i]: a few rank-1 updates, kept out of BLAS (tiny, and no
                // thread hand-off per feature).
                if hi > lo {
                    let dm = features * m
                    wfT.withUnsafeBufferPointer { w in
                        for b in 0..<bsz {
                            let orow = o + b * m, hrow = hl + b * h
                            for j in lo..<hi {
                                let v = hrow[j]
                                if v == 0 { continue }
                                let wrow = w.baseAddress! + j * dm + i * m
                                for k in 0..<m { orow[k] += v * wrow[k] }
                            }
                        }
                    }
                }
            }
        }

        /// Convenience: `outputs(forFeature:into:)` into a new matrix.
        public func outputs(forFeature i: Int) throws -> Matrix {
            var out = Matrix(rows: 0, cols: 0)
            try outputs(forFeature: i, into: &out)
            return out
        }

        /// Sets input feature `i` (requires `i == inputsSet`) to `values[b · stride]` for each row b,
        /// and finalises the hidden units that now depend only on known inputs.
        public func setInput(feature i: Int, values: UnsafeBufferPointer<Float>, stride: Int = 1) throws {
            guard i == inputsSet, i < features else {
                throw MADEError.outOfOrder("setInput(feature: \(i)) with \(inputsSet) of \(features) inputs set")
            }
            guard stride >= 1, values.count >= (batch - 1) * stride + 1 || batch == 0 else {
                throw MADEError.shapeMismatch("setInput needs \(batch) values with stride \(stride), got \(values.count)")
            }
            let bsz = batch, d = features, h = hiddenFeatures
            for b in 0..<bsz { x.pointer[b * d + i] = values[b * stride] }
            advance(feature: i, bsz: bsz, d: d, h: h)
            inputsSet = i + 1
            if inputsSet % groupSize == 0 && inputsSet < features { startGroup(inputsSet / groupSize) }
        }

        /// Convenience: `setInput` from an array of B values.
        public func setInput(feature i: Int, values: [Float]) throws {
            guard values.count == batch else {
                throw MADEError.shapeMismatch("setInput needs \(batch) values, got \(values.count)")
            }
            try values.withUnsafeBufferPointer { try setInput(feature: i, values: $0) }
        }

        /// The inputs set so far, `[B, D]` (unset features are 0).
        public var inputs: Matrix { x.matrix(rows: batch, cols: features) }

        // MARK: - Internals

        /// Group g covers features [s, e) and hidden degrees (s, e]: bring those units' pre-activations
        /// (and the group's output block) up to date with all inputs of degree ≤ s.
        private func startGroup(_ g: Int) {
            let bsz = batch, d = features, h = hiddenFeatures, m = outputMultiplier
            if bsz == 0 { return }
            let s = g * groupSize, e = min(features, s + groupSize)
            let lo = s == 0 ? 0 : count[s], hi = count[e]
            for k in 0..<hiddenLayers {
                let a = act[k].pointer
                if hi > lo {
                    let bias = k == 0 ? b0 : bk[k - 1]
                    bias.withUnsafeBufferPointer { bp in
                        madeBroadcastRows(a + lo, rows: bsz, n: hi - lo, ldy: h, bias: bp.baseAddress! + lo,
                                          add: k == 0 && contextFeatures > 0 ? UnsafePointer(r.pointer + lo) : nil, ldadd: h)
                    }
                    let w = k == 0 ? w0 : wk[k - 1]
                    let known = k == 0 ? s : count[s]
                    let ld = k == 0 ? d : h
                    let src = k == 0 ? x.pointer : act[k - 1].pointer
                    w.withUnsafeBufferPointer { wp in
                        BLAS.sgemm(transB: true, m: bsz, n: hi - lo, k: known, a: src, lda: ld,
                                   b: wp.baseAddress! + lo * ld, ldb: ld, beta: 1, c: a + lo, ldc: h)
                    }
                }
                // Units of degree ≤ s in the window (only degree-0 units, at s = 0) are final now.
                if count[s] > lo { for b in 0..<bsz { madeReLU(a + b * h + lo, count: count[s] - lo) } }
            }
            // Output block of features [s, e) from the last layer's units of degree ≤ s.
            let ldob = groupSize * m, n = (e - s) * m, known = count[s]
            bf.withUnsafeBufferPointer { bp in
                madeBroadcastRows(ob.pointer, rows: bsz, n: n, ldy: ldob, bias: bp.baseAddress! + s * m)
            }
            wfT.withUnsafeBufferPointer { wp in
                BLAS.sgemm(m: bsz, n: n, k: known, a: act[hiddenLayers - 1].pointer, lda: h,
                           b: wp.baseAddress! + s * m, ldb: d * m, beta: 1, c: ob.pointer, ldc: ldob)
            }
        }

        /// Input i (degree i+1) is known: add it to the group's layer-0 units of degree ≥ i+1, then
        /// finalise the units of degree i+1 layer by layer, each feeding the next layer's window.
        private func advance(feature i: Int, bsz: Int, d: Int, h: Int) {
            let deg = i + 1
            let e = min(features, (i / groupSize + 1) * groupSize)
            let f0 = count[deg - 1], f1 = count[deg], hi = count[e]
            if hi <= f0 || bsz == 0 { return }
            let a0 = act[0].pointer, wcol = column.pointer
            for u in f0..<hi { wcol[u - f0] = w0[u * d + i] }
            for b in 0..<bsz {
                let xb = x.pointer[b * d + i]
                let row = a0 + b * h + f0
                for u in 0..<(hi - f0) { row[u] += xb * wcol[u] }
            }
            if f1 == f0 { return }
            for b in 0..<bsz { madeReLU(a0 + b * h + f0, count: f1 - f0) }
            for k in 1..<max(1, hiddenLayers) {
                let a = act[k].pointer, prev = act[k - 1].pointer
                // Newly final units f0..<f1 of layer k−1 feed layer k's units f0..<hi.
                wk[k - 1].withUnsafeBufferPointer { wp in
                    for j in f0..<f1 {
                        for u in f0..<hi { wcol[u - f0] = wp[u * h + j] }
                        for b in 0..<bsz {
                            let v = prev[b * h + j]
                            if v == 0 { continue }
                            let row = a + b * h + f0
                            for u in 0..<(hi - f0) { row[u] += v * wcol[u] }
                        }
                    }
                }
                for b in 0..<bsz { madeReLU(a + b * h + f0, count: f1 - f0) }
            }
        }
    }
}
