import CaloTensor

/// A fixed-size Float buffer with a stable address (the activations a MADE keeps between its
/// forward and backward pass). Reallocated only when the needed size grows.
final class MADEBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(_ count: Int = 0) {
        capacity = max(1, count)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` floats (contents undefined after growing).
    func reserve(_ count: Int) {
        if count <= capacity { return }
        pointer.deallocate()
        capacity = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    /// Copies the first `rows · cols` floats into a new matrix.
    func matrix(rows: Int, cols: Int) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: Array(UnsafeBufferPointer(start: pointer, count: rows * cols)))
    }
}

extension MADE {
    /// Activations of one forward pass, kept for the backward pass, plus the input and context
    /// gradients the backward pass produces. One workspace per concurrent use of a MADE; reuse
    /// it across steps (buffers are only reallocated when the batch grows).
    public final class Workspace: @unchecked Sendable {
        /// Rows of the last forward pass (0 before the first).
        public internal(set) var batch = 0
        /// Whether the last forward pass ran in training mode with dropout.
        public internal(set) var usedDropout = false

        // [B, D] input copy, [B, C] context copy, [B, H] context branch after its ReLU.
        let x = MADEBuffer(), c = MADEBuffer(), r = MADEBuffer()
        // [B, H] post-activation of every hidden layer; [B, H] dropout multipliers (0 or 1/(1−p))
        // of blocks 1..<hiddenLayers.
        var hidden = [MADEBuffer]()
        var dropoutMasks = [MADEBuffer]()
        // [B, H] gradient scratch; [B] ones for bias gradients (column sums as a product).
        let g0 = MADEBuffer(), g1 = MADEBuffer(), ones = MADEBuffer()
        let dx = MADEBuffer(), dc = MADEBuffer()
        // [B, one output group] for `forwardInFeatureGroups`.
        let groupOutput = MADEBuffer()
        var shape = (d: 0, c: 0, h: 0)
        var inputGradientValid = false, contextGradientValid = false

        public init() {}

        func prepare(batch b: Int, made: MADE) {
            let d = made.features, c = made.contextFeatures, h = made.hiddenFeatures, layers = made.hiddenLayers
            x.reserve(b * d); self.c.reserve(b * c); r.reserve(b * h)
            while hidden.count < layers { hidden.append(MADEBuffer()) }
            while dropoutMasks.count < layers { dropoutMasks.append(MADEBuffer()) }
            for k in 0..<layers { hidden[k].reserve(b * h) }
            g0.reserve(b * h); g1.reserve(b * h)
            ones.reserve(b)
            ones.pointer.update(repeating: 1, count: b)
            batch = b
            shape = (d, c, h)
            inputGradientValid = false
            contextGradientValid = false
        }

        /// dL/dx `[B, D]` of the last backward pass (nil unless it computed it).
        public var inputGradient: Matrix? {
            inputGradientValid ? dx.matrix(rows: batch, cols: shape.d) : nil
        }

        /// dL/dc `[B, C]` of the last backward pass (nil unless it computed it).
        public var contextGradient: Matrix? {
            contextGradientValid ? dc.matrix(rows: batch, cols: shape.c) : nil
        }

        /// Read access to dL/dx without a copy: `body(pointer, rows, cols)`, row-major.
        public func withInputGradient<R>(_ body: (UnsafePointer<Float>, Int, Int) throws -> R) throws -> R {
            guard inputGradientValid else {
                throw MADEError.outOfOrder("no input gradient: run backward with inputGradient: true first")
            }
            return try body(dx.pointer, batch, shape.d)
        }

        /// The dropout multipliers `[B, H]` (entries 0 or 1/(1−p)) of hidden layer `layer`
        /// (1..<hiddenLayers) in the last forward pass; nil when it ran without dropout.
        public func dropoutMask(layer: Int) -> Matrix? {
            guard usedDropout, layer >= 1, layer < hidden.count else { return nil }
            return dropoutMasks[layer].matrix(rows: batch, cols: shape.h)
        }
    }
}
