import CaloFlows
import CaloNN
import CaloTensor

/// A MADE (`CaloFlows.MADE`, evaluation mode) with every layer prefix-packed.
///
/// The hidden units of every layer are reordered by degree (stable). Then a hidden unit of
/// degree d reads the inputs of degree ≤ d, a prefix of the inputs (whose degrees 1…D are
/// already in order) and of the reordered previous layer; an output of feature i (degree i + 1)
/// reads the reordered hidden units of degree ≤ i. The context layer is dense. Outputs keep
/// their order, feature i's M raw spline numbers at columns [i·M, (i+1)·M).
///
/// Forward pass (as `MADE.forward` without dropout):
/// `r = ReLU(W_c c + b_c)`, `h₀ = ReLU(M₀ x + b₀ + r)`, `h_k = ReLU(M_k h_{k−1} + b_k)`,
/// `θ = M_f h_last + b_f`.
public final class PackedMADE: @unchecked Sendable {
    let features: Int, contextFeatures: Int, hidden: Int, hiddenLayers: Int, multiplier: Int
    /// Row strides of the buffers: inputs, context, hidden activations (multiples of 8, zero-padded).
    let featureStride: Int, contextStride: Int, hiddenStride: Int
    let context: PackedLayer?
    let initial: PackedLayer
    let blocks: [PackedLayer]
    let final: PackedLayer

    public init(_ made: MADE, precision: WeightPrecision, name: String = "made") throws {
        let d = made.features, c = made.contextFeatures, h = made.hiddenFeatures, m = made.outputMultiplier
        features = d
        contextFeatures = c
        hidden = h
        hiddenLayers = made.hiddenLayers
        multiplier = m
        featureStride = paddedToEight(d)
        contextStride = paddedToEight(max(1, c))
        hiddenStride = paddedToEight(h)

        let inDeg = made.inputDegrees, hidDeg = made.hiddenDegrees, outDeg = made.outputDegrees
        guard zip(inDeg, inDeg.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw InferenceError.badModel("\(name): MADE input degrees are not in order")
        }
        let order = (0..<h).sorted { hidDeg[$0] != hidDeg[$1] ? hidDeg[$0] < hidDeg[$1] : $0 < $1 }
        let sortedDeg = order.map { hidDeg[$0] }
        /// Packed columns with degree ≤ limit (columns sorted by degree).
        func atMost(_ degrees: [Int], _ limit: Int) -> Int {
            var lo = 0, hi = degrees.count
            while lo < hi { let mid = (lo + hi) / 2; if degrees[mid] <= limit { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        func biasValues(_ p: Parameter) -> [Float] { p.value.storage }

        if let cw = made.contextWeight, let cb = made.contextBias {
            context = try PackedLayer(weight: cw.value, bias: biasValues(cb), rowOrder: order, columnOrder: Array(0..<c),
                                      prefix: [Int](repeating: c, count: h), precision: .float32, name: "\(name) context layer")
        } else {
            context = nil
        }
        initial = try PackedLayer(weight: made.initialWeight.value, bias: biasValues(made.initialBias), rowOrder: order,
                                  columnOrder: Array(0..<d), prefix: sortedDeg.map { atMost(inDeg, $0) },
                                  precision: precision, name: "\(name) initial layer")
        blocks = try (0..<made.blockWeights.count).map { k in
            try PackedLayer(weight: made.blockWeights[k].value, bias: biasValues(made.blockBiases[k]), rowOrder: order,
                            columnOrder: order, prefix: sortedDeg.map { atMost(sortedDeg, $0) },
                            precision: precision, name: "\(name) hidden layer \(k + 1)")
        }
        final = try PackedLayer(weight: made.finalWeight.value, bias: biasValues(made.finalBias), rowOrder: Array(0..<(d * m)),
                                columnOrder: order, prefix: outDeg.map { atMost(sortedDeg, $0 - 1) },
                                precision: precision, name: "\(name) output layer")
    }

    var layers: [PackedLayer] { (context.map { [$0] } ?? []) + [initial] + blocks + [final] }
    /// Bytes of packed weights (what one batch-1 pass reads).
    public var weightBytes: Int { layers.reduce(0) { $0 + $1.weightBytes } }
    /// Multiply-adds per row that the masks ask for (`MADE.usefulMultiplyAddsPerRow`).
    public var connections: Int { layers.reduce(0) { $0 + $1.connections } }

    /// θ `[B, D·M]` for inputs `[B, D]` and context `[B, C]`: the packed products with matrices
    /// in and out (allocates; for checks against `MADE.forward`, not for the hot path).
    public func callAsFunction(_ x: Matrix, context: Matrix) throws -> Matrix {
        let n = x.rows
        guard x.cols == features, context.cols == contextFeatures, context.rows == n || contextFeatures == 0 else {
            throw InferenceError.invalidArgument("inputs \(x.rows)x\(x.cols) and context \(context.rows)x\(context.cols) do not fit a MADE of \(features) features and \(contextFeatures) context inputs")
        }
        let hs = hiddenStride
        let xs = try AlignedBuffer<Float>(count: n * featureStride), cs = try AlignedBuffer<Float>(count: n * contextStride)
        let hidden = try AlignedBuffer<Float>(count: 3 * n * hs)
        for r in 0..<n {
            for j in 0..<features { xs.pointer[r * featureStride + j] = x[r, j] }
            for j in 0..<contextFeatures { cs.pointer[r * contextStride + j] = context[r, j] }
        }
        var add: UnsafePointer<Float>? = nil
        if let c = self.context {
            c.forward(x: cs.pointer, ldx: contextStride, batch: n, y: hidden.pointer + 2 * n * hs, ldy: hs, relu: true)
            add = UnsafePointer(hidden.pointer + 2 * n * hs)
        }
        var current = hidden.pointer, other = hidden.pointer + n * hs
        initial.forward(x: xs.pointer, ldx: featureStride, batch: n, add: add, ldadd: hs, y: current, ldy: hs, relu: true)
        for layer in blocks {
            layer.forward(x: current, ldx: hs, batch: n, y: other, ldy: hs, relu: true)
            swap(&current, &other)
        }
        let width = features * multiplier
        var out = Matrix(rows: n, cols: width)
        out.withUnsafeMutableBufferPointer { o in
            final.forward(x: current, ldx: hs, batch: n, y: o.baseAddress!, ldy: width, relu: false)
        }
        return out
    }

    /// The hidden layers for `batch` showers: inputs `x` (stride `featureStride`), context
    /// (stride `contextStride`); returns the last hidden activations (stride `hiddenStride`),
    /// one of the workspace's buffers.
    func hiddenPass(x: UnsafePointer<Float>, context c: UnsafePointer<Float>, batch: Int,
                    workspace ws: InferenceWorkspace) -> UnsafePointer<Float> {
        let hs = hiddenStride
        var add: UnsafePointer<Float>? = nil
        if let context {
            context.forward(x: c, ldx: contextStride, batch: batch, y: ws.contextHidden, ldy: hs, relu: true)
            add = UnsafePointer(ws.contextHidden)
        }
        var current = ws.hiddenA, other = ws.hiddenB
        initial.forward(x: x, ldx: featureStride, batch: batch, add: add, ldadd: hs, y: current, ldy: hs, relu: true)
        for layer in blocks {
            layer.forward(x: current, ldx: hs, batch: batch, y: other, ldy: hs, relu: true)
            swap(&current, &other)
        }
        return UnsafePointer(current)
    }
}
