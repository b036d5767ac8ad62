import Testing
import CaloFlows
import CaloTensor
import Glibc

/// Bijection properties of the spline maps: round trips, log-derivatives, monotonicity, range,
/// tails, Float/Double agreement and a normalised 1-D density.
@Suite struct SplineMapTests {
    let spline = RationalQuadraticSpline.caloFlow
    var q: Int { spline.parameterCount }
    var b: Double { spline.tailBound }

    /// Inputs that cover the interval, the tails, both ends and points just beyond them.
    func inputs(_ n: Int, rng: inout Xoshiro256) -> [Double] {
        let special: [Double] = [-b, b, -b.nextDown, b.nextUp, 0, -14.000001, 14.000001, -1e30, 1e30]
        return (0..<n).map { i in i < special.count ? special[i] : rng.uniform(-16, 16) }
    }

    // MARK: - Round trips

    @Test(arguments: SplineParameterStyle.allCases)
    func inverseUndoesForwardInDouble(_ style: SplineParameterStyle) {
        var rng = Xoshiro256(seed: 21)
        let n = 2000, p = splineParams(n, spline: spline, style: style, rng: &rng), x = inputs(n, rng: &rng)
        let (y, ldf) = spline.map(x, p, inverse: false)
        let (xr, ldi) = spline.map(y, p, inverse: true)
        // The inverse's log-derivative is minus the forward one at the point it returns.
        let ldr = spline.map(xr, p, inverse: false).ld
        for i in 0..<n {
            // Round-off in y (≈1e-16·B) is amplified by dx/dy = exp(−log-derivative).
            let tol = 1e-12 * (1 + exp(-ldf[i]))
            #expect(abs(xr[i] - x[i]) <= tol, "x \(x[i]) → \(y[i]) → \(xr[i])")
            #expect(abs(ldr[i] + ldi[i]) <= 1e-9, "log-derivatives \(ldr[i]) and \(ldi[i]) do not cancel")
        }
    }

    @Test(arguments: SplineParameterStyle.allCases)
    func inverseUndoesForwardInFloat(_ style: SplineParameterStyle) {
        var rng = Xoshiro256(seed: 22)
        let n = 1000, p = splineParams(n, spline: spline, style: style, rng: &rng)
        let x = inputs(n, rng: &rng).map(Float.init), pf = p.map(Float.init)
        let (y, _) = spline.map(x, pf, inverse: false)
        let (xr, ldi) = spline.map(y, pf, inverse: true)
        let (yr, ldr) = spline.map(xr, pf, inverse: false)
        // Judged in Double: where the map is flat (slopes down to 1e-10) a Float y cannot tell
        // x apart within its bin, so x is recovered up to what the exact map cannot resolve:
        // f(xr) must match f(x) within a few ulps of B, scaled by the slopes there.
        let xd = x.map(Double.init), xrd = xr.map(Double.init)
        let (fx, ldx) = spline.map(xd, p, inverse: false)
        let (fxr, ldxr) = spline.map(xrd, p, inverse: false)
        let dLdx = spline.gradients(xrd, p, gOut: nil, gLog: [Double](repeating: 1, count: n), inverse: false).input
        let delta = 4 * Double(Float(b).ulp)
        for i in 0..<n {
            let slopes = exp(ldx[i]) + exp(ldxr[i])
            #expect(abs(fxr[i] - fx[i]) <= 2 * delta * (1 + slopes), "x \(x[i]) → \(y[i]) → \(xr[i])")
            #expect(Double(abs(yr[i] - y[i])) <= delta * (1 + exp(ldxr[i])), "y \(y[i]) → \(xr[i]) → \(yr[i])")
            // log|dy/dx| at the Float-rounded x differs from its value at the exact root by
            // |dL/dx|·(an ulp or two of x); dL/dx from the Double backward pass.
            let cancel = Double(abs(ldr[i] + ldi[i]))
            #expect(cancel <= 2e-5 + delta * abs(dLdx[i]), "log-derivatives \(ldr[i]) and \(ldi[i]) do not cancel")
        }
    }

    @Test(arguments: SplineParameterStyle.allCases)
    func knotsMapToKnotsAndBack(_ style: SplineParameterStyle) {
        var rng = Xoshiro256(seed: 23)
        let n = 200, p = splineParams(n, spline: spline, style: style, rng: &rng), ref = NflowsSpline(spline: spline)
        var xs: [Double] = [], ys: [Double] = [], ps: [Double] = []
        for i in 0..<n {
            let raw = p[(i * q)..<((i + 1) * q)], (cw, ch, _) = ref.knots(raw)
            xs += cw; ys += ch
            ps += repeatedParams(Array(raw), spline.bins + 1)
        }
        let (y, ldy) = spline.map(xs, ps, inverse: false)
        let (x, _) = spline.map(ys, ps, inverse: true)
        for i in 0..<xs.count {
            // The kernel's and the reference's knots differ by round-off (≈1e-15·B), which the map
            // scales by its slope (the knot derivative, up to 1e9 for extreme parameters).
            let slope = exp(ldy[i])
            #expect(abs(y[i] - ys[i]) <= 1e-12 * (1 + slope), "knot \(xs[i]) ↦ \(y[i]), want \(ys[i])")
            #expect(abs(x[i] - xs[i]) <= 1e-12 * (1 + 1 / slope), "knot \(ys[i]) ↤ \(x[i]), want \(xs[i])")
        }
        // The ends are hit exactly in Float too, with slope 1 joining the linear tails.
        let ends: [Float] = [-14, 14], pf = Array(p[0..<(2 * q)]).map(Float.init)
        for inverse in [false, true] {
            let (out, ld) = spline.map(ends, pf, inverse: inverse)
            #expect(out == ends && ld == [0, 0])
        }
    }

    // MARK: - Log-derivatives

    @Test(arguments: SplineParameterStyle.allCases, [false, true])
    func logDerivativeMatchesFiniteDifference(_ style: SplineParameterStyle, _ inverse: Bool) {
        var rng = Xoshiro256(seed: 24)
        let n = 400, p = splineParams(n, spline: spline, style: style, rng: &rng), h = 1e-5
        let x = (0..<n).map { _ in rng.uniform(-15, 15) }
        let ld = spline.map(x, p, inverse: inverse).ld
        func central(_ step: Double) -> [Double] {
            let up = spline.map(x.map { $0 + step }, p, inverse: inverse).out
            let dn = spline.map(x.map { $0 - step }, p, inverse: inverse).out
            return (0..<n).map { (up[$0] - dn[$0]) / (2 * step) }
        }
        let d1 = central(h), d2 = central(h / 2)
        var checked = 0
        for i in 0..<n {
            let slope = exp(ld[i])
            // Richardson extrapolation (error O(h⁴)); a stencil straddling a knot (where the
            // second derivative jumps) shows up as disagreeing step sizes and is skipped.
            guard abs(d1[i] - d2[i]) <= 1e-3 * slope else { continue }
            let fd = (4 * d2[i] - d1[i]) / 3
            checked += 1
            #expect(abs(fd - slope) <= 1e-6 * slope + 1e-9, "x \(x[i]): slope \(slope), finite difference \(fd)")
        }
        #expect(checked >= n * 3 / 4)
    }

    // MARK: - Shape of the map

    @Test(arguments: SplineParameterStyle.allCases)
    func mapIsMonotoneAndKeepsTheInterval(_ style: SplineParameterStyle) {
        var rng = Xoshiro256(seed: 25)
        let grid = (0...2000).map { -15 + 30 * Double($0) / 2000 }
        for _ in 0..<8 {
            let one = splineParams(1, spline: spline, style: style, rng: &rng)
            let p = repeatedParams(one, grid.count)
            let y = spline.map(grid, p, inverse: false).out
            let yf = spline.map(grid.map(Float.init), p.map(Float.init), inverse: false).out
            for i in 1..<grid.count {
                #expect(y[i] > y[i - 1])
                // Float may wobble by an ulp where the map is flat (slopes down to 1e-9); a bin
                // is at least 2.8e-5 high, so its round-off is ≈2e-7 relative to that.
                #expect(yf[i] - yf[i - 1] >= -2.4e-7 * max(abs(yf[i]), 2.8e-5), "\(yf[i - 1]) → \(yf[i])")
            }
            for (x, v) in zip(grid, y) {
                if abs(x) <= b { #expect(abs(v) <= b) } else { #expect(v == x) }
            }
        }
    }

    @Test func tailsAreTheIdentityAndNaNPropagates() {
        var rng = Xoshiro256(seed: 26)
        let x: [Float] = [-1e30, -20, Float(-14).nextDown, Float(14).nextUp, 15, .infinity, -.infinity]
        let p = splineParams(x.count, spline: spline, style: .wide, rng: &rng).map(Float.init)
        for inverse in [false, true] {
            let (out, ld) = spline.map(x, p, inverse: inverse)
            #expect(out == x && ld.allSatisfy { $0 == 0 })
            let nan = spline.map([Float.nan], Array(p[0..<q]), inverse: inverse)
            #expect(nan.out[0].isNaN)
        }
    }

    @Test(arguments: SplineParameterStyle.allCases)
    func floatAgreesWithDouble(_ style: SplineParameterStyle) {
        var rng = Xoshiro256(seed: 27)
        let ref = NflowsSpline(spline: spline)
        let n = 1000, p = splineParams(n, spline: spline, style: style, rng: &rng)
        // Inputs exactly representable in Float so both paths see the same point.
        let x = (0..<n).map { _ in Double(Float(rng.uniform(-15, 15))) }
        for inverse in [false, true] {
            let d = spline.map(x, p, inverse: inverse)
            let f = spline.map(x.map(Float.init), p.map(Float.init), inverse: inverse)
            let dLdv = spline.gradients(x, p, gOut: nil, gLog: [Double](repeating: 1, count: n), inverse: inverse).input
            for i in 0..<n {
                // Float knots and bin fractions h·N/D sit within δ ≈ 12 ulp(B) of the exact ones: that moves the output by
                // about δ(1 + slope of this map), θ by δ/w and s = h/w by δ/w + δ/h relative.
                let (w, h) = ref.binSize(x[i], raw: p[(i * q)..<((i + 1) * q)], inverse: inverse)
                let slope = exp(d.ld[i]), delta = 12 * Double(Float(b).ulp)
                #expect(abs(Double(f.out[i]) - d.out[i]) <= 1e-6 + delta * (1 + slope))
                #expect(abs(Double(f.ld[i]) - d.ld[i]) <= 1e-5 + delta * (abs(dLdv[i]) + 4 / w + 4 / h))
            }
        }
    }

    // MARK: - Density

    /// ∫ p(x) dx over [−B, B] for p(x) = N(spline(x))·exp(log-derivative), by batched
    /// adaptive Simpson: panels start between a uniform grid and the knots (so none straddles a
    /// kink) and are halved until Simpson and trapezoid agree to `tol`.
    func massOfPushedNormal(_ raw: [Double], knots: [Double], tol: Double) -> Double {
        func density(_ x: [Double]) -> [Double] {
            let params = repeatedParams(raw, x.count)
            let (y, ld) = spline.map(x, params, inverse: false)
            let norm = 1 / (2 * Double.pi).squareRoot()
            var out = [Double](repeating: 0, count: x.count)
            for i in 0..<x.count { out[i] = norm * exp(ld[i] - 0.5 * y[i] * y[i]) }
            return out
        }
        let uniform: [Double] = (0...400).map { Double($0) / 200 - 1 }.map { $0 * b }
        let grid = Array(Set(uniform + knots)).sorted()
        let f = density(grid)
        struct Panel { var lo, hi, fLo, fHi: Double }
        var panels: [Panel] = []
        for i in 0..<(grid.count - 1) { panels.append(Panel(lo: grid[i], hi: grid[i + 1], fLo: f[i], fHi: f[i + 1])) }
        var mass = 0.0, rounds = 0
        while !panels.isEmpty && rounds < 40 {
            rounds += 1
            let fm = density(panels.map { 0.5 * ($0.lo + $0.hi) })
            var next: [Panel] = []
            for (p, m) in zip(panels, fm) {
                let width = p.hi - p.lo
                let simpson: Double = (p.fLo + 4 * m + p.fHi) * width / 6
                let trapezoid: Double = (p.fLo + p.fHi) * width / 2
                let allowed: Double = tol * max(width, 1e-3)
                if abs(simpson - trapezoid) <= allowed { mass += simpson; continue }
                let mid = 0.5 * (p.lo + p.hi)
                next.append(Panel(lo: p.lo, hi: mid, fLo: p.fLo, fHi: m))
                next.append(Panel(lo: mid, hi: p.hi, fLo: m, fHi: p.fHi))
            }
            panels = next
        }
        #expect(panels.isEmpty, "quadrature did not converge")
        return mass
    }

    @Test(arguments: SplineParameterStyle.allCases)
    func pushedForwardNormalDensityIntegratesToOne(_ style: SplineParameterStyle) {
        var rng = Xoshiro256(seed: 28)
        let ref = NflowsSpline(spline: spline)
        for _ in 0..<3 {
            // With y = spline(x) standard normal, p(x) = N(y)·|dy/dx| integrates to 1; beyond
            // ±B the map is the identity and the normal tails hold 2Φ(−14) ≈ 1e-44.
            let raw = splineParams(1, spline: spline, style: style, rng: &rng)
            let mass = massOfPushedNormal(raw, knots: ref.knots(raw[...]).cw, tol: 1e-9)
            #expect(abs(mass - 1) <= 1e-7, "integral \(mass)")
        }
    }
}
