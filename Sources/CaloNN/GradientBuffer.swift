import CaloTensor

/// The gradients of a list of parameters in one flat, 64-byte aligned buffer laid out by a
/// `GradientLayout`: the target of a backward pass that must not touch the parameters' own
/// `gradient` matrices (each data-parallel worker has one), the summed gradient an optimizer
/// step uses (`Adam.step(gradients:)`), and the source and sink of the packed message that
/// processes exchange.
///
/// A new buffer is all zeros; masked entries stay zero for good (backward passes never leave
/// anything there), so every operation below touches live entries only. Large operations are
/// split over `Parallel` workers in fixed pieces, elementwise, so no result depends on the
/// number of workers.
public final class GradientBuffer: @unchecked Sendable {
    public let layout: GradientLayout
    /// Start of the flat storage (`layout.count` floats).
    public let base: UnsafeMutablePointer<Float>

    public init(_ layout: GradientLayout) {
        self.layout = layout
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, layout.count) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(1, layout.count))
        base.initialize(repeating: 0, count: max(1, layout.count))
    }

    /// A zero buffer for `parameters` (in this order).
    public convenience init(parameters: [Parameter]) { self.init(GradientLayout(parameters)) }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    /// The gradient of parameter `i` of the layout (`layout.counts[i]` floats, row-major).
    @inline(__always)
    public func pointer(parameter i: Int) -> UnsafeMutablePointer<Float> { base + layout.offsets[i] }

    /// The gradient of `parameter`, or nil when it is not one of the layout's parameters.
    public func pointer(for parameter: Parameter) -> UnsafeMutablePointer<Float>? {
        layout.index(of: parameter).map { pointer(parameter: $0) }
    }

    /// The gradient of parameter `i` as a matrix of its shape (copy).
    public func matrix(parameter i: Int, rows: Int, cols: Int) -> Matrix {
        precondition(rows * cols == layout.counts[i], "shape \(rows)x\(cols) does not fit \(layout.counts[i]) entries")
        return Matrix(rows: rows, cols: cols, storage: Array(UnsafeBufferPointer(start: pointer(parameter: i), count: rows * cols)))
    }

    // MARK: - Whole-buffer operations (live entries only)

    /// Sets every entry to zero.
    public func zero() {
        let b = UnsafeSendable(base)
        forEachPiece { piece in (b.value + piece.flat).update(repeating: 0, count: piece.count) }
    }

    /// Adds `others` in their order: entry by entry, self = (…((self + o₀) + o₁) …) + oₙ₋₁, each
    /// addition rounded to Float. Every buffer must have this buffer's layout.
    public func add(_ others: [GradientBuffer]) {
        guard !others.isEmpty else { return }
        for o in others { precondition(o.layout.count == layout.count && o.layout.liveCount == layout.liveCount, "gradient layouts differ") }
        let b = UnsafeSendable(base), sources = UnsafeSendable(others.map { UnsafePointer($0.base) })
        forEachPiece { piece in
            GradientSum.add(into: b.value + piece.flat, first: b.value + piece.flat,
                            sources: sources.value, offset: piece.flat, count: piece.count)
        }
    }

    /// Sets self to the sum of `others` in their order, as `zero()` then `add(others)` would
    /// (entry by entry (…((0 + o₀) + o₁) …), each addition rounded to Float) without reading self.
    public func setSum(_ others: [GradientBuffer]) {
        guard !others.isEmpty else { zero(); return }
        for o in others { precondition(o.layout.count == layout.count && o.layout.liveCount == layout.liveCount, "gradient layouts differ") }
        let b = UnsafeSendable(base), sources = UnsafeSendable(others.map { UnsafePointer($0.base) })
        forEachPiece { piece in
            GradientSum.add(into: b.value + piece.flat, first: nil, sources: sources.value, offset: piece.flat, count: piece.count)
        }
    }

    /// Copies the gradients of `parameters` (the layout's, in order) from their `gradient` matrices.
    public func copy(from parameters: [Parameter]) {
        precondition(parameters.count == layout.parameterCount, "\(parameters.count) parameters for a layout of \(layout.parameterCount)")
        for (i, p) in parameters.enumerated() {
            precondition(p.count == layout.counts[i], "parameter \(p.name) has \(p.count) entries, the layout \(layout.counts[i])")
            p.gradient.withUnsafeBufferPointer { pointer(parameter: i).update(from: $0.baseAddress!, count: p.count) }
        }
    }

    /// Σ g² of parameter `i` in Double (the order of `clipGradientNorm`'s sum).
    public func sumOfSquares(parameter i: Int) -> Double {
        CaloNN.sumOfSquares(UnsafeBufferPointer(start: pointer(parameter: i), count: layout.counts[i]))
    }

    /// Multiplies every entry by `factor`.
    public func scale(by factor: Float) {
        let b = UnsafeSendable(base)
        forEachPiece { piece in
            let p = b.value + piece.flat
            for k in 0..<piece.count { p[k] *= factor }
        }
    }

    // MARK: - Packed form

    /// Writes the live entries with packed indices `range` to `packed` (which holds that range).
    public func pack(_ range: Range<Int>, into packed: UnsafeMutablePointer<Float>) {
        for piece in layout.pieces(packed: range) {
            (packed + (piece.packed - range.lowerBound)).update(from: base + piece.flat, count: piece.count)
        }
    }

    /// Reads the live entries with packed indices `range` from `packed` (which holds that range).
    public func unpack(_ range: Range<Int>, from packed: UnsafePointer<Float>) {
        let pieces = layout.pieces(packed: range)
        let b = UnsafeSendable(base), src = UnsafeSendable(packed), p = UnsafeSendable(pieces)
        Parallel.forEach(pieces.count, grain: 256) { k in
            let piece = p.value[k]
            (b.value + piece.flat).update(from: src.value + (piece.packed - range.lowerBound), count: piece.count)
        }
    }

    /// `packed[j] = (…((first[j] + s₀[j]) + s₁[j]) …)` for the live entries with packed indices
    /// `range`, where `first` is `incoming` (packed, holding `range`) or, when nil, this buffer,
    /// and the sᵢ are `sources` (buffers of this layout). The step of an ordered sum across
    /// processes: each adds its own terms to what the previous one sent.
    public func packedSum(_ range: Range<Int>, incoming: UnsafePointer<Float>?, sources: [GradientBuffer],
                          into packed: UnsafeMutablePointer<Float>) {
        let pieces = layout.pieces(packed: range)
        let b = UnsafeSendable(UnsafePointer(base)), out = UnsafeSendable(packed), inc = UnsafeSendable(incoming)
        let s = UnsafeSendable(sources.map { UnsafePointer($0.base) }), p = UnsafeSendable(pieces)
        Parallel.forEach(pieces.count, grain: 256) { k in
            let piece = p.value[k]
            let target = out.value + (piece.packed - range.lowerBound)
            if let incoming = inc.value {
                GradientSum.add(into: target, first: incoming + (piece.packed - range.lowerBound), sources: s.value,
                                offset: piece.flat, count: piece.count)
            } else {
                GradientSum.add(into: target, first: b.value + piece.flat, sources: s.value, offset: piece.flat, count: piece.count)
            }
        }
    }

    // MARK: - Helpers

    /// Runs `body` for every piece of live entries, chunks of pieces on the `Parallel` workers.
    private func forEachPiece(_ body: @Sendable (GradientLayout.Piece) -> Void) {
        let bounds = layout.chunkBounds
        let l = UnsafeSendable(layout)
        Parallel.forEach(max(0, bounds.count - 1)) { c in
            for k in bounds[c]..<bounds[c + 1] { body(l.value.pieces[k]) }
        }
    }
}

/// The elementwise sums of `GradientBuffer`, eight lanes at a time. Every lane performs the same
/// correctly rounded additions in the same order as the scalar tail, with no fused operations, so
/// a result never depends on where a piece starts.
enum GradientSum {
    /// `target[k] = (…((first[k] + sources[0][offset + k]) + sources[1][offset + k]) …)` for k in 0..<count,
    /// with +0 for every `first[k]` when `first` is nil. `target` may equal `first`.
    @inline(__always)
    static func add(into target: UnsafeMutablePointer<Float>, first: UnsafePointer<Float>?, sources: [UnsafePointer<Float>],
                    offset: Int, count: Int) {
        typealias V = SIMD8<Float>
        var k = 0
        while k + 8 <= count {
            var v = first.map { UnsafeRawPointer($0 + k).loadUnaligned(as: V.self) } ?? V()
            for s in sources { v = v + UnsafeRawPointer(s + offset + k).loadUnaligned(as: V.self) }
            UnsafeMutableRawPointer(target + k).storeBytes(of: v, as: V.self)
            k += 8
        }
        while k < count {
            var v = first?[k] ?? 0
            for s in sources { v = v + s[offset + k] }
            target[k] = v
            k += 1
        }
    }
}
