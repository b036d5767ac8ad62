import Testing
import CaloTensor

/// Plain triple-loop product, the reference every BLAS call is checked against.
func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
    var c = Matrix(rows: a.rows, cols: b.cols)
    for i in 0..<a.rows { for j in 0..<b.cols {
        var s = 0.0
        for k in 0..<a.cols { s += Double(a[i, k]) * Double(b[k, j]) }
        c[i, j] = Float(s)
    } }
    return c
}

@Suite struct MatrixTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesPlainProductForEveryTransposeCombination(_ ta: Bool, _ tb: Bool) {
        var rng = Xoshiro256(seed: 1)
        let a = Matrix.randomNormal(7, 5, rng: &rng), b = Matrix.randomNormal(5, 9, rng: &rng)
        let got = BLAS.matmul(ta ? a.transposed : a, transposeA: ta, tb ? b.transposed : b, transposeB: tb)
        let want = naiveProduct(a, b)
        #expect(got.rows == 7 && got.cols == 9)
        for i in 0..<got.count { #expect(abs(got.storage[i] - want.storage[i]) < 1e-4) }
    }

    @Test func gemmAccumulatesWithBeta() {
        var rng = Xoshiro256(seed: 2)
        let a = Matrix.randomNormal(4, 3, rng: &rng), b = Matrix.randomNormal(3, 6, rng: &rng)
        var c = Matrix(rows: 4, cols: 6, repeating: 1)
        BLAS.gemm(a, b, alpha: 2, beta: 0.5, into: &c)
        let p = naiveProduct(a, b)
        for i in 0..<c.count { #expect(abs(c.storage[i] - (2 * p.storage[i] + 0.5)) < 1e-4) }
    }

    @Test func slicingAndStackingRoundTrip() {
        let m = Matrix(rows: 3, cols: 4, storage: (0..<12).map(Float.init))
        #expect(Matrix.hstack([m.columns(0..<1), m.columns(1..<4)]) == m)
        #expect(Matrix.vstack([m.rows(0..<2), m.rows(2..<3)]) == m)
        #expect(m.gatherRows([2, 0]).row(0) == [8, 9, 10, 11])
        #expect(m.transposed.transposed == m)
    }

    @Test func doubleReductions() {
        let m = Matrix(rows: 2, cols: 3, storage: [1, 2, 3, 4, 5, 6])
        #expect(m.sum() == 21)
        #expect(m.rowSums() == [6, 15])
        #expect(m.columnSums() == [5, 7, 9])
    }
}

@Suite struct RandomTests {
    @Test func streamsAreReproducibleAndDistinct() {
        var a = Xoshiro256(seed: 42, stream: 3), b = Xoshiro256(seed: 42, stream: 3), c = Xoshiro256(seed: 42, stream: 4)
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        var r = Xoshiro256(seed: 9)
        _ = r.next()
        let saved = r.stateWords
        let v1 = r.next()
        var restored = Xoshiro256(stateWords: saved)
        #expect(restored.next() == v1)
    }

    @Test func distributionMomentsMatch() {
        var rng = Xoshiro256(seed: 7)
        let n = 200_000
        var sn = 0.0, sn2 = 0.0, su = 0.0, sg = 0.0, sg2 = 0.0
        for _ in 0..<n {
            let z = rng.normal(); sn += z; sn2 += z * z
            su += rng.uniform()
            let g = rng.gamma(shape: 2.5); sg += g; sg2 += g * g
        }
        let N = Double(n)
        #expect(abs(sn / N) < 0.01)
        #expect(abs(sn2 / N - 1) < 0.015)
        #expect(abs(su / N - 0.5) < 0.005)
        #expect(abs(sg / N - 2.5) < 0.02)                  // Gamma(k): mean k
        #expect(abs(sg2 / N - (sg / N) * (sg / N) - 2.5) < 0.06) // variance k
        var small = 0.0
        for _ in 0..<n { small += rng.gamma(shape: 0.4) }
        #expect(abs(small / N - 0.4) < 0.01)
    }

    @Test func permutationIsAPermutation() {
        var rng = Xoshiro256(seed: 5)
        let p = rng.permutation(504)
        #expect(p.sorted() == Array(0..<504))
        #expect(p != Array(0..<504))
    }
}
