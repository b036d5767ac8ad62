/// Elementwise arithmetic over whole matrices of equal shape.
extension Matrix {
    @inline(__always) private static func checkSame(_ a: Matrix, _ b: Matrix, _ op: String) {
        precondition(a.rows == b.rows && a.cols == b.cols,
                     "\(op): shapes differ, \(a.rows)x\(a.cols) vs \(b.rows)x\(b.cols)")
    }

    /// `self += other`.
    public mutating func add(_ other: Matrix) {
        Matrix.checkSame(self, other, "add")
        other.withUnsafeBufferPointer { o in withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] += o[i] } } }
    }

    /// `self += alpha * other`.
    public mutating func add(_ other: Matrix, scaledBy alpha: Float) {
        Matrix.checkSame(self, other, "add(scaledBy:)")
        other.withUnsafeBufferPointer { o in withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] += alpha * o[i] } } }
    }

    /// `self *= alpha`.
    public mutating func scale(by alpha: Float) {
        withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] *= alpha } }
    }

    /// Sets every element to `value`.
    public mutating func fill(_ value: Float) {
        withUnsafeMutableBufferPointer { s in s.update(repeating: value) }
    }

    /// Adds `bias[j]` to column `j` of every row.
    public mutating func addRowVector(_ bias: [Float]) {
        precondition(bias.count == cols, "addRowVector: bias has \(bias.count) entries, matrix has \(cols) columns")
        let c = cols, n = rows
        bias.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { s in
                for r in 0..<n { for j in 0..<c { s[r * c + j] += b[j] } }
            }
        }
    }

    /// A new matrix with `f` applied to every element.
    public func map(_ f: (Float) -> Float) -> Matrix { Matrix(rows: rows, cols: cols, storage: storage.map(f)) }

    public static func + (a: Matrix, b: Matrix) -> Matrix { var c = a; c.add(b); return c }
    public static func - (a: Matrix, b: Matrix) -> Matrix { var c = a; c.add(b, scaledBy: -1); return c }
    public static func * (s: Float, a: Matrix) -> Matrix { var c = a; c.scale(by: s); return c }
}
