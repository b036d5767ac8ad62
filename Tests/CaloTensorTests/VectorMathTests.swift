import Testing
import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

/// The eight-lane exp/log/log1p against Double-precision glibc, on grids that cover every
/// binade the kernels meet, and their special values.
@Suite struct VectorMathTests {
    /// Evaluates `f` on `xs` eight at a time (the tail padded with the first value).
    func lanes(_ xs: [Float], _ f: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
        var out = [Float]()
        var i = 0
        while i < xs.count {
            var v = SIMD8<Float>(repeating: xs[0])
            for l in 0..<8 where i + l < xs.count { v[l] = xs[i + l] }
            let r = f(v)
            for l in 0..<8 where i + l < xs.count { out.append(r[l]) }
            i += 8
        }
        return out
    }

    /// Error in units in the last place of the correctly rounded Float result.
    func ulps(_ got: Float, _ want: Double) -> Double {
        abs(Double(got) - want) / Double(Float(want).ulp)
    }

    @Test func expIsWithinTwoUlpsOverTheNormalRange() {
        let xs = stride(from: -87.0, through: 88.3, by: 0.0137).map { Float($0) } + [0, -0.0, 1e-8, -1e-8, -1, 1]
        let got = lanes(xs, VectorMath.exp)
        var worst = 0.0
        for (x, y) in zip(xs, got) { worst = max(worst, ulps(y, Glibc.exp(Double(x)))) }
        #expect(worst < 2, "worst error \(worst) ulp")
        #expect(got[xs.count - 6] == 1 && got[xs.count - 5] == 1)
    }

    @Test func expSpecialValues() {
        let xs: [Float] = [-87.5, -100, -1e30, -.infinity, 88.4, 1e30, .infinity, .nan]
        let got = lanes(xs, VectorMath.exp)
        #expect(got[0...3].allSatisfy { $0 == 0 })
        #expect(got[4...6].allSatisfy { $0 == .infinity })
        #expect(got[7].isNaN)
    }

    @Test func logIsWithinTwoUlpsFromSubnormalsToTheLargestFloat() {
        var xs = [Float]()
        var x = 1e-44
        while x < 3e38 { xs.append(Float(x)); x *= 1.0173 }
        xs += [1, Float(1).nextUp, Float(1).nextDown, 0.70710677, 0.7071068, 2, 0.5, .greatestFiniteMagnitude,
               .leastNonzeroMagnitude, .leastNormalMagnitude, Float.leastNormalMagnitude.nextDown]
        let got = lanes(xs, VectorMath.log)
        var worst = 0.0
        for (x, y) in zip(xs, got) {
            worst = max(worst, ulps(y, Glibc.log(Double(x))))
        }
        #expect(worst < 2, "worst error \(worst) ulp")
        #expect(lanes([1], VectorMath.log)[0] == 0)
    }

    @Test func logSpecialValues() {
        let got = lanes([0, -0.0, .infinity, -1, -.infinity, .nan], VectorMath.log)
        #expect(got[0] == -.infinity && got[1] == -.infinity)
        #expect(got[2] == .infinity)
        #expect(got[3].isNaN && got[4].isNaN && got[5].isNaN)
    }

    @Test func log1pKeepsRelativeAccuracyForTinyArguments() {
        var zs: [Float] = [0, 1e-30, 1e-12, 3e-8, 6e-8, 1e-7, 1e-5, 0.01, 0.3, 0.5, 0.999, 1, 7, 1e6, -0.5, -1e-6]
        zs += stride(from: 0.0, through: 1.0, by: 0.00731).map { Float($0) }
        let got = lanes(zs, VectorMath.log1p)
        var worst = 0.0
        for (z, y) in zip(zs, got) where z != 0 { worst = max(worst, ulps(y, Glibc.log1p(Double(z)))) }
        #expect(worst < 3, "worst error \(worst) ulp")
        #expect(got[0] == 0)
    }

    @Test func aLaneGivesTheSameBitsWhateverItsNeighbours() {
        var rng = Xoshiro256(seed: 3)
        for _ in 0..<200 {
            var v = SIMD8<Float>()
            for l in 0..<8 { v[l] = Float(rng.uniform(-50, 10)) }
            let e = VectorMath.exp(v), g = VectorMath.log(VectorMath.exp(v))
            for l in 0..<8 {
                #expect(VectorMath.exp(SIMD8(repeating: v[l]))[0].bitPattern == e[l].bitPattern)
                #expect(VectorMath.log(SIMD8(repeating: e[l]))[0].bitPattern == g[l].bitPattern)
            }
        }
    }
}
