/// Reductions that accumulate in Double: sums of thousands of log-terms lose digits in Float.
extension Matrix {
    /// Sum of all elements, accumulated in Double.
    public func sum() -> Double {
        storage.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) }
            return s
        }
    }

    /// Mean of all elements, accumulated in Double.
    public func mean() -> Double { count == 0 ? 0 : sum() / Double(count) }

    /// Per-row sums, accumulated in Double: shape [rows].
    public func rowSums() -> [Double] {
        var out = [Double](repeating: 0, count: rows)
        let c = cols
        storage.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                var s = 0.0
                for j in 0..<c { s += Double(p[r * c + j]) }
                out[r] = s
            }
        }
        return out
    }

    /// Per-column sums, accumulated in Double: shape [cols].
    public func columnSums() -> [Double] {
        var out = [Double](repeating: 0, count: cols)
        let c = cols
        storage.withUnsafeBufferPointer { p in
            for r in 0..<rows { for j in 0..<c { out[j] += Double(p[r * c + j]) } }
        }
        return out
    }

    /// Sum of squares of all elements, in Double.
    public func sumOfSquares() -> Double {
        storage.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) * Double(v) }
            return s
        }
    }

    /// Largest absolute element (0 for an empty matrix).
    public func maxAbs() -> Float { storage.reduce(0) { max($0, abs($1)) } }
}
