import Testing
import Glibc
import CaloTensor

/// The LAPACK eigensolver and the matrix square root on matrices built from known spectra.
/// Tolerances are relative to the matrix norm and far above any BLAS kernel's rounding (the
/// suite runs under SkylakeX, Haswell and Zen).
@Suite struct SymmetricEigenTests {
    /// The Householder reflection I − 2vvᵀ/‖v‖² (orthogonal and symmetric), row-major [n, n].
    static func reflection(_ v: [Double]) -> [Double] {
        let n = v.count, s = v.reduce(0) { $0 + $1 * $1 }
        return (0..<(n * n)).map { k in (k / n == k % n ? 1 : 0) - 2 * v[k / n] * v[k % n] / s }
    }

    /// Q diag(λ) Qᵀ.
    static func withSpectrum(_ lambda: [Double], _ q: [Double]) -> [Double] {
        let n = lambda.count
        var scaled = q
        for i in 0..<n { for k in 0..<n { scaled[i * n + k] *= lambda[k] } }
        return DoubleBLAS.multiply(scaled, q, transposeB: true, m: n, n: n, k: n)
    }

    @Test func eigenvaluesOfAConstructedMatrix() throws {
        let lambda = [0.01, 0.5, 2, 3, 1e3]
        let a = Self.withSpectrum(lambda, Self.reflection([1, -2, 0.5, 3, 1]))
        let e = try SymmetricEigen(a, dimension: 5)
        for (got, want) in zip(e.values, lambda) { #expect(abs(got - want) < 1e-12 * 1e3, "\(got) vs \(want)") }
        // A v_k = λ_k v_k for every returned vector.
        for k in 0..<5 {
            let v = Array(e.vectors[(k * 5)..<((k + 1) * 5)])
            let av = DoubleBLAS.multiply(a, v, m: 5, n: 1, k: 5)
            for i in 0..<5 { #expect(abs(av[i] - e.values[k] * v[i]) < 1e-10) }
        }
        #expect(try SymmetricEigen.eigenvalues(a, dimension: 5).enumerated().allSatisfy { abs($0.element - lambda[$0.offset]) < 1e-9 })
    }

    @Test func squareRootOfAConstructedSPDMatrix() throws {
        let n = 6
        let lambda = [1e-4, 0.3, 1, 4, 9, 250]
        let q = Self.reflection([0.3, 1, -1, 2, 0.1, -0.7])
        let a = Self.withSpectrum(lambda, q)
        let root = try SymmetricEigen.squareRoot(a, dimension: n)
        let expected = Self.withSpectrum(lambda.map { $0.squareRoot() }, q)
        for k in 0..<(n * n) { #expect(abs(root[k] - expected[k]) < 1e-11 * 16, "entry \(k): \(root[k]) vs \(expected[k])") }
        let square = DoubleBLAS.multiply(root, root, m: n, n: n, k: n)
        for k in 0..<(n * n) { #expect(abs(square[k] - a[k]) < 1e-10 * 250) }
    }

    @Test func singularMatrixHasARealRootAndBadInputIsRefused() throws {
        // Rank 1: v vᵀ, whose root is v vᵀ / ‖v‖; rounding may give tiny negative eigenvalues.
        let v = [1.0, 2, 3], norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let a = (0..<9).map { v[$0 / 3] * v[$0 % 3] }
        let root = try SymmetricEigen.squareRoot(a, dimension: 3)
        for k in 0..<9 { #expect(abs(root[k] - a[k] / norm) < 1e-7, "\(root[k])") }
        #expect(throws: LinearAlgebraError.self) { _ = try SymmetricEigen([1, .nan, .nan, 1], dimension: 2) }
        #expect(throws: LinearAlgebraError.self) { _ = try SymmetricEigen([1, 2, 3], dimension: 2) }
    }
}
