import CBLAS

/// The eigen-decomposition A = V diag(λ) Vᵀ of a real symmetric matrix A [n, n], by LAPACK's
/// `dsyev` (Householder tridiagonalisation and implicit QL/QR), in Double precision.
///
/// Used for matrix square roots of covariance matrices (Fréchet distances): the symmetric form
/// is backward stable, unlike a square root of a non-symmetric product.
public struct SymmetricEigen: Sendable {
    /// n.
    public let dimension: Int
    /// Eigenvalues in ascending order, [n].
    public let values: [Double]
    /// Unit eigenvectors, row-major [n, n]: row k (`vectors[k * n ..< (k + 1) * n]`) belongs to
    /// `values[k]`. Empty when the decomposition was asked for eigenvalues only.
    public let vectors: [Double]

    /// Decomposes the symmetric matrix `a` ([n, n], row-major; only its upper triangle is read).
    ///
    /// - Throws: `LinearAlgebraError` if `a` does not have n² entries, holds a non-finite value,
    ///   or LAPACK reports that the iteration did not converge.
    public init(_ a: [Double], dimension n: Int, computeVectors: Bool = true) throws {
        guard n >= 1, a.count == n * n else {
            throw LinearAlgebraError("SymmetricEigen: a \(n)x\(n) matrix needs \(n * n) entries, got \(a.count)")
        }
        guard a.allSatisfy(\.isFinite) else { throw LinearAlgebraError("SymmetricEigen: the matrix holds a non-finite value") }
        // Row-major upper triangle = column-major lower triangle; LAPACK sees the transpose,
        // which for a symmetric matrix is the same matrix. Eigenvectors come back column-major
        // (column k at k·n), i.e. row k in row-major terms.
        var work = a
        var w = [Double](repeating: 0, count: n)
        var info: Int32 = 0
        var dim = Int32(n), lda = Int32(n)
        let jobz: CChar = computeVectors ? 86 /* V */ : 78 /* N */, uplo: CChar = 76 /* L */
        var jz = jobz, ul = uplo
        var query = 0.0, lwork: Int32 = -1
        dsyev_(&jz, &ul, &dim, &work, &lda, &w, &query, &lwork, &info, 1, 1)
        lwork = Int32(max(Double(3 * n), query))
        var scratch = [Double](repeating: 0, count: Int(lwork))
        dsyev_(&jz, &ul, &dim, &work, &lda, &w, &scratch, &lwork, &info, 1, 1)
        guard info == 0 else {
            throw LinearAlgebraError("SymmetricEigen: LAPACK dsyev failed (info \(info)) for a \(n)x\(n) matrix")
        }
        dimension = n
        values = w
        vectors = computeVectors ? work : []
    }

    /// The eigenvalues of the symmetric matrix `a` [n, n], ascending.
    public static func eigenvalues(_ a: [Double], dimension n: Int) throws -> [Double] {
        try SymmetricEigen(a, dimension: n, computeVectors: false).values
    }

    /// The positive semi-definite square root S^(1/2) = V diag(√max(λ, 0)) Vᵀ of a symmetric
    /// positive semi-definite matrix `a` [n, n] (row-major). Eigenvalues below zero, which
    /// rounding produces for singular covariances, count as zero.
    public static func squareRoot(_ a: [Double], dimension n: Int) throws -> [Double] {
        let e = try SymmetricEigen(a, dimension: n)
        // Row k of B is v_k · λ_k^(1/4); BᵀB = Σ_k √λ_k v_k v_kᵀ.
        var b = e.vectors
        for k in 0..<n {
            let s = max(e.values[k], 0).squareRoot().squareRoot()
            for i in 0..<n { b[k * n + i] *= s }
        }
        return b.withUnsafeBufferPointer { DoubleBLAS.gram($0.baseAddress!, rows: n, cols: n) }
    }
}

/// A linear-algebra routine was given a matrix it cannot handle, or LAPACK failed.
public struct LinearAlgebraError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
