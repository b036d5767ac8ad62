import Testing
import CaloFlows
import CaloTensor

/// The Float maps and backward passes run eight elements per SIMD lane group; an element left
/// over at the end of a buffer (count not a multiple of 8) goes through the one-element kernel.
/// Both must give the same bits, so every element is mapped (and differentiated) once inside a
/// full batch and once alone.
@Suite struct SplineLanesTests {
    /// Inputs that visit every bin, both knots of a bin, the tails, the bounds and NaN.
    func inputs(_ n: Int, spline: RationalQuadraticSpline, rng: inout Xoshiro256) -> [Float] {
        let b = Float(spline.tailBound)
        let special: [Float] = [-b, b, b.nextUp, (-b).nextDown, 0, -0.0, 20, -30, .nan, .infinity, -.infinity]
        return (0..<n).map { i in i < special.count ? special[i] : Float(rng.uniform(-1.1, 1.1)) * b }
    }

    /// Elements whose output or log-derivative in the batch map `batch` differs in any bit from
    /// mapping the element alone (which takes the one-element kernel).
    func mapMismatches(_ spline: RationalQuadraticSpline, _ x: [Float], _ p: [Float], inverse: Bool,
                       batch: (out: [Float], ld: [Float])) -> Int {
        let m = spline.parameterCount
        return x.indices.filter { i in
            let single = spline.map([x[i]], Array(p[(i * m)..<((i + 1) * m)]), inverse: inverse)
            return single.out[0].bitPattern != batch.out[i].bitPattern || single.ld[0].bitPattern != batch.ld[i].bitPattern
        }.count
    }

    /// Elements whose input or raw-parameter gradient in the batch backward pass `batch`
    /// differs in any bit from the element's own backward pass.
    func backwardMismatches(_ spline: RationalQuadraticSpline, _ x: [Float], _ p: [Float], _ gy: [Float], _ gl: [Float],
                            inverse: Bool, upstream: (output: Bool, log: Bool), batch: (gx: [Float], gp: [Float])) -> Int {
        let m = spline.parameterCount
        return x.indices.filter { i in
            let single = backward(spline, [x[i]], Array(p[(i * m)..<((i + 1) * m)]), [gy[i]], [gl[i]],
                                  inverse: inverse, upstream: upstream)
            return single.gx[0].bitPattern != batch.gx[i].bitPattern
                || (0..<m).contains { single.gp[$0].bitPattern != batch.gp[i * m + $0].bitPattern }
        }.count
    }

    @Test(arguments: SplineParameterStyle.allCases, [false, true])
    func laneKernelAndElementKernelGiveTheSameBits(_ style: SplineParameterStyle, _ inverse: Bool) {
        let spline = RationalQuadraticSpline.caloFlow
        var rng = Xoshiro256(seed: 17)
        let n = 8 * 125
        let x = inputs(n, spline: spline, rng: &rng)
        let p = splineParams(n, spline: spline, style: style, rng: &rng).map(Float.init)
        let batch = spline.map(x, p, inverse: inverse)
        let mismatches = mapMismatches(spline, x, p, inverse: inverse, batch: batch)
        #expect(mismatches == 0, "\(mismatches) of \(n) elements differ between the lane and element kernels")
        // The tails are the identity with log-derivative 0, and NaN passes through.
        #expect(batch.out[6] == 20 && batch.ld[6] == 0 && batch.out[7] == -30)
        #expect(batch.out[8].isNaN && batch.ld[8] == 0)
    }

    /// The lane kernel serves 2 to 16 bins (sums left to right unless K = 8, parameters
    /// transposed in overlapping blocks of eight, or one by one below eight); other bin counts
    /// run element by element. Every count gives the element kernel's bits.
    @Test(arguments: [2, 3, 5, 8, 11, 16, 17])
    func everyBinCountGivesTheElementKernelsBits(bins: Int) throws {
        let spline = try RationalQuadraticSpline(bins: bins, tailBound: 5)
        var rng = Xoshiro256(seed: UInt64(40 + bins))
        let n = 8 * 41 + 3   // an odd number of groups: the last one runs in a padded vector
        let x = inputs(n, spline: spline, rng: &rng)
        let p = splineParams(n, spline: spline, style: .moderate, rng: &rng).map(Float.init)
        for inverse in [false, true] {
            let all = spline.map(x, p, inverse: inverse)
            let mismatches = mapMismatches(spline, x, p, inverse: inverse, batch: all)
            #expect(mismatches == 0, "K = \(bins), inverse \(inverse): \(mismatches) of \(n) elements differ")
            // The backward pass too, gradients of the input and of every raw parameter.
            let gy = (0..<n).map { _ in Float(rng.uniform(-2, 2)) }, gl = (0..<n).map { _ in Float(rng.uniform(-2, 2)) }
            let grads = backward(spline, x, p, gy, gl, inverse: inverse, upstream: (true, true))
            let gradientMismatches = backwardMismatches(spline, x, p, gy, gl, inverse: inverse, upstream: (true, true),
                                                        batch: grads)
            #expect(gradientMismatches == 0, "K = \(bins), inverse \(inverse): gradients of \(gradientMismatches) elements differ")
            // Inside the bound the inverse undoes the forward map.
            if !inverse {
                let back = spline.map(all.out, p, inverse: true)
                for i in 11..<n { #expect(abs(back.out[i] - x[i]) <= 1e-3, "K = \(bins) element \(i)") }
            }
        }
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

    /// Input and raw-parameter gradients of `count` elements (upstreams nil when `upstream`
    /// is false, as for a block whose output or log-det gets no gradient).
    func backward(_ spline: RationalQuadraticSpline, _ x: [Float], _ p: [Float], _ gy: [Float], _ gl: [Float],
                  inverse: Bool, upstream: (output: Bool, log: Bool)) -> (gx: [Float], gp: [Float]) {
        var gx = [Float](repeating: .nan, count: x.count), gp = [Float](repeating: .nan, count: p.count)
        gy.withUnsafeBufferPointer { gyp in gl.withUnsafeBufferPointer { glp in
            let go = upstream.output ? gyp.baseAddress : nil, gll = upstream.log ? glp.baseAddress : nil
            if inverse {
                spline.inverseBackward(inputs: x, params: p, outputGradients: go, logDerivativeGradients: gll,
                                       inputGradients: &gx, paramGradients: &gp, count: x.count)
            } else {
                spline.forwardBackward(inputs: x, params: p, outputGradients: go, logDerivativeGradients: gll,
                                       inputGradients: &gx, paramGradients: &gp, count: x.count)
            }
        } }
        return (gx, gp)
    }

    @Test(arguments: SplineParameterStyle.allCases, [false, true])
    func backwardLanesAndElementKernelGiveTheSameBits(_ style: SplineParameterStyle, _ inverse: Bool) {
        let spline = RationalQuadraticSpline.caloFlow
        var rng = Xoshiro256(seed: 19)
        let m = spline.parameterCount
        let n = 8 * 60 + 5   // full lane groups and a remainder
        let x = inputs(n, spline: spline, rng: &rng)
        let p = splineParams(n, spline: spline, style: style, rng: &rng).map(Float.init)
        let gy = (0..<n).map { _ in Float(rng.uniform(-2, 2)) }, gl = (0..<n).map { _ in Float(rng.uniform(-2, 2)) }
        for upstream in [(true, true), (true, false), (false, true)] {
            let batch = backward(spline, x, p, gy, gl, inverse: inverse, upstream: upstream)
            let mismatches = backwardMismatches(spline, x, p, gy, gl, inverse: inverse, upstream: upstream, batch: batch)
            #expect(mismatches == 0, "\(mismatches) of \(n) elements differ (upstream \(upstream))")
            // Every gradient is written (the buffers start as NaN): outside the bounds, NaN inputs
            // included, the input gradient is the output's and the parameters get zeros; inside,
            // finite values.
            #expect(batch.gx.allSatisfy { $0.isFinite })
            #expect(batch.gx[6] == (upstream.0 ? gy[6] : 0) && batch.gp[(6 * m)..<(7 * m)].allSatisfy { $0 == 0 })
            let insideElements = (0..<n).filter { abs(x[$0]) < Float(spline.tailBound) }
            #expect(insideElements.allSatisfy { i in (0..<m).allSatisfy { batch.gp[i * m + $0].isFinite } })
        }
    }
}
