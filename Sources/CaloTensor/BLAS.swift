import CBLAS
import Synchronization

/// Dense products through OpenBLAS `cblas_sgemm`. Every matrix product of the numerical core
/// goes through here, so the fraction of time spent in tuned kernels stays measurable.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C` on raw row-major buffers.
    ///
    /// - Parameters:
    ///   - m, n, k: `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`.
    ///   - lda, ldb, ldc: leading dimensions (row strides) of the stored matrices.
    @inlinable
    public static func sgemm(transA: Bool = false, transB: Bool = false,
                             m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched when k == 0 only if beta == 1; make the contract explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        let profiling = BLASProfile.enabled.load(ordering: .relaxed)
        let t0 = profiling ? monotonicSeconds() : 0
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        if profiling { BLASProfile.record(seconds: monotonicSeconds() - t0, m: m, n: n, k: k) }
    }

    /// `C = alpha * op(A) * op(B) + beta * C` for whole matrices; C must already have the right shape
    /// when `beta != 0`, otherwise it is resized.
    public static func gemm(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
                            alpha: Float = 1, beta: Float = 0, into c: inout Matrix) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb, "gemm inner dimensions differ: op(A) is \(m)x\(k), op(B) is \(kb)x\(n)")
        if c.rows != m || c.cols != n {
            precondition(beta == 0, "gemm with beta != 0 needs C of shape \(m)x\(n), got \(c.rows)x\(c.cols)")
            c = Matrix(rows: m, cols: n)
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha,
                          a: pa.baseAddress!, lda: a.cols, b: pb.baseAddress!, ldb: b.cols,
                          beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// `op(A) * op(B)` as a new matrix.
    public static func matmul(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        var c = Matrix(rows: 0, cols: 0)
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }
}

/// OpenBLAS runtime facts and controls.
public enum BLASRuntime {
    /// The kernel family OpenBLAS selected at load time (e.g. "Haswell", "SkylakeX", "Zen";
    /// "Prescott" means it failed to recognise the CPU and runs generic SSE kernels).
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// Number of threads OpenBLAS uses for one product.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
