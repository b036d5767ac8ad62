import Testing
import CaloFlows
import CaloTensor

/// The Float maps run eight elements per SIMD lane group; an element left over at the end of a
/// buffer (count not a multiple of 8) goes through the one-element kernel that the backward
/// passes use. Both must give the same bits, so every element is mapped once inside a full
/// batch and once alone.
@Suite struct SplineLanesTests {
    /// Inputs that visit every bin, both knots of a bin, the tails, the bounds and NaN.
    func inputs(_ n: Int, spline: RationalQuadraticSpline, rng: inout Xoshiro256) -> [Float] {
        let b = Float(spline.tailBound)
        let special: [Float] = [-b, b, b.nextUp, (-b).nextDown, 0, -0.0, 20, -30, .nan, .infinity, -.infinity]
        return (0..<n).map { i in i < special.count ? special[i] : Float(rng.uniform(-1.1, 1.1)) * b }
    }

    @Test(arguments: SplineParameterStyle.allCases, [false, true])
    func laneKernelAndElementKernelGiveTheSameBits(_ style: SplineParameterStyle, _ inverse: Bool) {
        let spline = RationalQuadraticSpline.caloFlow
        var rng = Xoshiro256(seed: 17)
        let n = 8 * 125
        let x = inputs(n, spline: spline, rng: &rng)
        let p = splineParams(n, spline: spline, style: style, rng: &rng).map(Float.init)
        let batch = spline.map(x, p, inverse: inverse)
        let m = spline.parameterCount
        var mismatches = 0
        for i in 0..<n {
            let single = spline.map([x[i]], Array(p[(i * m)..<((i + 1) * m)]), inverse: inverse)
            if single.out[0].bitPattern != batch.out[i].bitPattern || single.ld[0].bitPattern != batch.ld[i].bitPattern {
                mismatches += 1
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(n) elements differ between the lane and element kernels")
        // The tails are the identity with log-derivative 0, and NaN passes through.
        #expect(batch.out[6] == 20 && batch.ld[6] == 0 && batch.out[7] == -30)
        #expect(batch.out[8].isNaN && batch.ld[8] == 0)
    }

    @Test func countsThatAreNotMultiplesOfEightMixBothKernels() {
        let spline = RationalQuadraticSpline.caloFlow
        var rng = Xoshiro256(seed: 18)
        let m = spline.parameterCount
        for n in [1, 7, 8, 9, 15, 17, 63] {
            let x = inputs(n, spline: spline, rng: &rng)
            let p = splineParams(n, spline: spline, style: .moderate, rng: &rng).map(Float.init)
            for inverse in [false, true] {
                let all = spline.map(x, p, inverse: inverse)
                for i in 0..<n {
                    let single = spline.map([x[i]], Array(p[(i * m)..<((i + 1) * m)]), inverse: inverse)
                    #expect(single.out[0].bitPattern == all.out[i].bitPattern, "n \(n) element \(i)")
                    #expect(single.ld[0].bitPattern == all.ld[i].bitPattern, "n \(n) element \(i)")
                }
            }
        }
    }
}
