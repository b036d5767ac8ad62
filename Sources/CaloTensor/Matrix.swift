/// A dense, row-major matrix of `Float` values: the one tensor type of the numerical core.
///
/// Shape `[rows, cols]`; element `(r, c)` lives at `storage[r * cols + c]`. A batch of
/// vectors is a matrix with one row per sample (`[batch, features]`). Value semantics with
/// copy-on-write through the underlying array; hot loops reach the memory through
/// `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer`.
public struct Matrix: Sendable, Equatable {
    /// Number of rows (the batch dimension for batched vectors).
    public private(set) var rows: Int
    /// Number of columns (the feature dimension).
    public private(set) var cols: Int
    /// Row-major elements, `rows * cols` of them.
    public var storage: [Float]

    /// A `rows x cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix shape must be non-negative, got \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    /// A matrix over existing row-major storage; `storage.count` must be `rows * cols`.
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols,
                     "Matrix storage has \(storage.count) elements, shape \(rows)x\(cols) needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix whose rows are the given arrays (all of equal length).
    public init(_ rowArrays: [[Float]]) {
        let c = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == c }, "Matrix rows must have equal length")
        self.init(rows: rowArrays.count, cols: c, storage: rowArrays.flatMap { $0 })
    }

    /// All-zero matrix of the given shape.
    public static func zeros(_ rows: Int, _ cols: Int) -> Matrix { Matrix(rows: rows, cols: cols) }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }

    /// Element access (bounds-checked in debug builds through the array).
    @inlinable public subscript(row: Int, col: Int) -> Float {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    /// The elements of one row as an array (copy).
    public func row(_ r: Int) -> [Float] { Array(storage[(r * cols)..<((r + 1) * cols)]) }

    /// Rows `range` as a new matrix (copy).
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, cols: cols, storage: Array(storage[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// Rows at the given indices, in that order (a gather; copy).
    public func gatherRows(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, cols: cols)
        let c = cols
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for (i, r) in indices.enumerated() {
                    precondition(r >= 0 && r < rows, "row index \(r) out of range 0..<\(rows)")
                    (dst.baseAddress! + i * c).update(from: src.baseAddress! + r * c, count: c)
                }
            }
        }
        return out
    }

    /// Columns `range` as a new matrix (copy).
    public func columns(_ range: Range<Int>) -> Matrix {
        var out = Matrix(rows: rows, cols: range.count)
        let c = cols, w = range.count, lo = range.lowerBound
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    (dst.baseAddress! + r * w).update(from: src.baseAddress! + r * c + lo, count: w)
                }
            }
        }
        return out
    }

    /// Writes `block` into columns starting at `col` (block.rows must equal rows).
    public mutating func setColumns(_ col: Int, from block: Matrix) {
        precondition(block.rows == rows && col + block.cols <= cols, "setColumns shape mismatch")
        let c = cols, w = block.cols
        block.storage.withUnsafeBufferPointer { src in
            storage.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    (dst.baseAddress! + r * c + col).update(from: src.baseAddress! + r * w, count: w)
                }
            }
        }
    }

    /// Horizontal concatenation `[a | b | ...]` (all with the same number of rows).
    public static func hstack(_ parts: [Matrix]) -> Matrix {
        precondition(!parts.isEmpty, "hstack of nothing")
        let r = parts[0].rows
        precondition(parts.allSatisfy { $0.rows == r }, "hstack: row counts differ")
        var out = Matrix(rows: r, cols: parts.reduce(0) { $0 + $1.cols })
        var col = 0
        for p in parts { out.setColumns(col, from: p); col += p.cols }
        return out
    }

    /// Vertical concatenation (all with the same number of columns).
    public static func vstack(_ parts: [Matrix]) -> Matrix {
        precondition(!parts.isEmpty, "vstack of nothing")
        let c = parts[0].cols
        precondition(parts.allSatisfy { $0.cols == c }, "vstack: column counts differ")
        var s = [Float](); s.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { s.append(contentsOf: p.storage) }
        return Matrix(rows: s.count / max(c, 1), cols: c, storage: s)
    }

    /// Reinterpret with a new shape of the same element count.
    public func reshaped(_ rows: Int, _ cols: Int) -> Matrix { Matrix(rows: rows, cols: cols, storage: storage) }

    /// The transpose (copy).
    public var transposed: Matrix {
        var out = Matrix(rows: cols, cols: rows)
        for r in 0..<rows { for c in 0..<cols { out.storage[c * rows + r] = storage[r * cols + c] } }
        return out
    }

    /// Read-only access to the row-major elements.
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Mutable access to the row-major elements.
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// True when every element is finite.
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = min(rows, 4)
        var s = "Matrix(\(rows)x\(cols))"
        for r in 0..<shown { s += "\n  " + row(r).prefix(8).map { String($0) }.joined(separator: " ") + (cols > 8 ? " ..." : "") }
        if rows > shown { s += "\n  ..." }
        return s
    }
}
