import CBLAS

/// Double-precision dense products through OpenBLAS, for the statistics of the evaluation
/// (covariances, kernel matrices, matrix square roots), where Float sums over 10^5 showers
/// would lose digits. All matrices are row-major `[Double]` buffers.
public enum DoubleBLAS {
    /// C = op(A) · op(B), with op(A) [m, k] and op(B) [k, n]; returns C [m, n].
    ///
    /// - Parameters:
    ///   - a: A as stored: [m, k], or [k, m] when `transposeA`.
    ///   - b: B as stored: [k, n], or [n, k] when `transposeB`.
    public static func multiply(_ a: UnsafePointer<Double>, transposeA: Bool = false,
                                _ b: UnsafePointer<Double>, transposeB: Bool = false,
                                m: Int, n: Int, k: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        c.withUnsafeMutableBufferPointer { out in
            cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                        0, out.baseAddress, Int32(n))
        }
        return c
    }

    /// C = op(A) · op(B) written to `c` [m, n] (row-major, leading dimension n), for callers that
    /// reuse one output buffer across many products.
    public static func multiply(_ a: UnsafePointer<Double>, transposeA: Bool = false,
                                _ b: UnsafePointer<Double>, transposeB: Bool = false,
                                m: Int, n: Int, k: Int, into c: UnsafeMutablePointer<Double>) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else { c.update(repeating: 0, count: m * n); return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                    0, c, Int32(n))
    }

    /// C = op(A) · op(B) for Swift arrays (see the pointer form).
    public static func multiply(_ a: [Double], transposeA: Bool = false, _ b: [Double], transposeB: Bool = false,
                                m: Int, n: Int, k: Int) -> [Double] {
        precondition(a.count == m * k && b.count == k * n, "DoubleBLAS.multiply: shapes do not fit \(m)x\(k) · \(k)x\(n)")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                multiply(pa.baseAddress!, transposeA: transposeA, pb.baseAddress!, transposeB: transposeB, m: m, n: n, k: k)
            }
        }
    }

    /// The Gram matrix XᵀX [cols, cols] of X [rows, cols] (dsyrk, both triangles filled).
    public static func gram(_ x: UnsafePointer<Double>, rows: Int, cols: Int) -> [Double] {
        var c = [Double](repeating: 0, count: cols * cols)
        guard rows > 0, cols > 0 else { return c }
        c.withUnsafeMutableBufferPointer { out in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(cols), Int32(rows), 1, x, Int32(cols),
                        0, out.baseAddress, Int32(cols))
            let p = out.baseAddress!
            for i in 0..<cols { for j in 0..<i { p[i * cols + j] = p[j * cols + i] } }
        }
        return c
    }
}
