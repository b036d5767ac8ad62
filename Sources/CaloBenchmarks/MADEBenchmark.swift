import CaloFlows
import CaloTensor

/// Throughput of one MADE (block-sparse forward, forward + backward, sequential evaluation)
/// against plain dense sgemm products of the same shapes measured in the same run. For
/// `caloflow bench` and for tuning; never used by tests as a pass/fail criterion.
public enum MADEBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var configuration: MADE.Configuration
        public var batch: Int
        public var blasThreads: Int
        public var coreName: String
        /// Seconds per call (median of the repeats).
        public var forwardSeconds: Double
        public var forwardBackwardSeconds: Double
        public var denseForwardSeconds: Double
        public var denseForwardBackwardSeconds: Double
        /// One full sequential evaluation (D outputs + D inputs) with the incremental evaluator.
        public var sequentialSeconds: Double
        /// Multiply-adds per batch row: mask connections, dense, and what the tiles perform.
        public var usefulMACsPerRow: Int
        public var denseMACsPerRow: Int
        public var tiledMACsPerRow: Int

        private func gflops(_ macsPerRow: Int, _ passes: Double, _ s: Double) -> Double {
            2 * Double(macsPerRow) * Double(batch) * passes / s / 1e9
        }
        /// Useful GFLOP/s (mask connections only) of the forward and forward + backward passes.
        public var forwardUsefulGFLOPS: Double { gflops(usefulMACsPerRow, 1, forwardSeconds) }
        public var forwardBackwardUsefulGFLOPS: Double { gflops(usefulMACsPerRow, 3, forwardBackwardSeconds) }
        /// Dense-equivalent GFLOP/s: the dense work divided by our time.
        public var forwardDenseEquivalentGFLOPS: Double { gflops(denseMACsPerRow, 1, forwardSeconds) }
        public var forwardBackwardDenseEquivalentGFLOPS: Double { gflops(denseMACsPerRow, 3, forwardBackwardSeconds) }
        /// Plain dense sgemm rate for the same shapes.
        public var denseForwardGFLOPS: Double { gflops(denseMACsPerRow, 1, denseForwardSeconds) }
        public var denseForwardBackwardGFLOPS: Double { gflops(denseMACsPerRow, 3, denseForwardBackwardSeconds) }

        public var description: String {
            func f(_ x: Double) -> String { String(Int((x * 10).rounded())).paddedTenths }
            let c = configuration
            return """
            MADE D=\(c.features) C=\(c.contextFeatures) H=\(c.hiddenFeatures) layers=\(c.hiddenLayers) M=\(c.outputMultiplier) \
            batch=\(batch) threads=\(blasThreads) core=\(coreName)
              work/row: useful \(usefulMACsPerRow) MAC, tiled \(tiledMACsPerRow), dense \(denseMACsPerRow) \
            (useful/dense \(f(100 * Double(usefulMACsPerRow) / Double(denseMACsPerRow)))%)
              forward      \(f(forwardSeconds * 1e3)) ms: useful \(f(forwardUsefulGFLOPS)) GFLOP/s, dense-equiv \
            \(f(forwardDenseEquivalentGFLOPS)) | dense sgemm \(f(denseForwardSeconds * 1e3)) ms = \(f(denseForwardGFLOPS)) GFLOP/s
              fwd+bwd      \(f(forwardBackwardSeconds * 1e3)) ms: useful \(f(forwardBackwardUsefulGFLOPS)) GFLOP/s, dense-equiv \
            \(f(forwardBackwardDenseEquivalentGFLOPS)) | dense sgemm \(f(denseForwardBackwardSeconds * 1e3)) ms = \(f(denseForwardBackwardGFLOPS)) GFLOP/s
              sequential   \(f(sequentialSeconds * 1e3)) ms (\(f(sequentialSeconds / forwardSeconds)) forward passes, \
            useful \(f(gflops(usefulMACsPerRow, 1, sequentialSeconds))) GFLOP/s)
            """
        }
    }

    private static func median(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()  // warm-up
        var t = [Double]()
        for _ in 0..<max(1, repeats) {
            let t0 = monotonicSeconds()
            try body()
            t.append(monotonicSeconds() - t0)
        }
        t.sort()
        return t[t.count / 2]
    }

    /// Measures `configuration` at `batch` rows with OpenBLAS on `threads` threads (restored after).
    public static func run(_ configuration: MADE.Configuration, batch: Int, threads: Int, repeats: Int = 5,
                           sequentialGroupSize: Int = 16, seed: UInt64 = 1) throws -> Report {
        let saved = BLASRuntime.threads
        BLASRuntime.threads = threads
        defer { BLASRuntime.threads = saved }
        var rng = Xoshiro256(seed: seed)
        let made = try MADE(configuration, rng: &rng)
        let d = configuration.features, c = configuration.contextFeatures, h = configuration.hiddenFeatures
        let o = made.outputWidth
        let x = Matrix.randomNormal(batch, d, rng: &rng), ctx = Matrix.randomNormal(batch, c, rng: &rng)
        let g = Matrix.randomNormal(batch, o, rng: &rng)
        let ws = MADE.Workspace()
        var out = Matrix(rows: batch, cols: o)
        var drng = Xoshiro256(seed: seed, stream: 1)

        let fwd = try median(repeats) { try made.forward(x, context: ctx, workspace: ws, into: &out) }
        let fwdBwd = try median(repeats) {
            try made.forward(x, context: ctx, workspace: ws, into: &out, dropoutRNG: &drng)
            try made.backward(outputGradient: g, workspace: ws)
        }

        // Dense reference: the same layer shapes as plain sgemm (forward: Y = X Wᵀ; backward:
        // dX = dY W and dW = dYᵀ X per layer).
        let layers: [(inp: Int, out: Int)] = [(d, h)] + Array(repeating: (h, h), count: configuration.hiddenLayers - 1) + [(h, o)]
        let maxWidth = max(d, h, o)
        var a = Matrix.randomNormal(batch, maxWidth, rng: &rng)
        var y = Matrix(rows: batch, cols: maxWidth)
        var w = Matrix.randomNormal(o, max(d, h), rng: &rng)
        var gw = Matrix(rows: o, cols: max(d, h))
        func denseForward() {
            a.withUnsafeMutableBufferPointer { ap in y.withUnsafeMutableBufferPointer { yp in w.withUnsafeMutableBufferPointer { wp in
                for l in layers {
                    BLAS.sgemm(transB: true, m: batch, n: l.out, k: l.inp, a: ap.baseAddress!, lda: maxWidth,
                               b: wp.baseAddress!, ldb: l.inp, c: yp.baseAddress!, ldc: maxWidth)
                }
            } } }
        }
        func denseBackward() {
            a.withUnsafeMutableBufferPointer { ap in y.withUnsafeMutableBufferPointer { yp in
                w.withUnsafeMutableBufferPointer { wp in gw.withUnsafeMutableBufferPointer { gp in
                    for l in layers.reversed() {
                        BLAS.sgemm(transA: true, m: l.out, n: l.inp, k: batch, a: yp.baseAddress!, lda: maxWidth,
                                   b: ap.baseAddress!, ldb: maxWidth, beta: 1, c: gp.baseAddress!, ldc: l.inp)
                        BLAS.sgemm(m: batch, n: l.inp, k: l.out, a: yp.baseAddress!, lda: maxWidth,
                                   b: wp.baseAddress!, ldb: l.inp, c: ap.baseAddress!, ldc: maxWidth)
                    }
                } }
            } }
        }
        let dense = median(repeats) { denseForward() }
        let denseFB = median(repeats) { denseForward(); denseBackward() }

        // Sequential evaluation (as in MAF sampling), inputs fed from x.
        let ev = try MADE.IncrementalEvaluator(made, groupSize: sequentialGroupSize)
        var theta = Matrix(rows: batch, cols: configuration.outputMultiplier)
        let column = (0..<d).map { i in (0..<batch).map { x[$0, i] } }
        let seq = try median(max(1, repeats / 2)) {
            try ev.begin(context: ctx)
            for i in 0..<d {
                try ev.outputs(forFeature: i, into: &theta)
                try ev.setInput(feature: i, values: column[i])
            }
        }

        return Report(configuration: configuration, batch: batch, blasThreads: threads, coreName: BLASRuntime.coreName,
                      forwardSeconds: fwd, forwardBackwardSeconds: fwdBwd,
                      denseForwardSeconds: dense, denseForwardBackwardSeconds: denseFB, sequentialSeconds: seq,
                      usefulMACsPerRow: made.usefulMultiplyAddsPerRow, denseMACsPerRow: made.denseMultiplyAddsPerRow,
                      tiledMACsPerRow: made.tiledMultiplyAddsPerRow)
    }
}

private extension String {
    /// "123" (tenths) → "12.3".
    var paddedTenths: String {
        let neg = hasPrefix("-")
        var digits = neg ? String(dropFirst()) : self
        while digits.count < 2 { digits = "0" + digits }
        return (neg ? "-" : "") + digits.dropLast() + "." + digits.suffix(1)
    }
}
