import Testing
import CaloFlows
import CaloTensor
import Glibc

/// The fused backward passes against central finite differences in Double, for both directions,
/// every bin, every raw parameter and both upstream terms; plus the tails and the Float path.
@Suite struct SplineGradientTests {
    let spline = RationalQuadraticSpline.caloFlow
    var q: Int { spline.parameterCount }

    /// Which upstream gradients are non-zero: dLoss/d(output), dLoss/d(log-derivative), or both.
    enum Upstream: String, CaseIterable, Sendable { case output, logDerivative, both }

    /// `n` elements with their own parameters; element i lies inside bin i mod K (in x for the
    /// forward map, in y for the inverse), 20–80% of the way across, away from the kinks.
    func interiorPoints(_ n: Int, style: SplineParameterStyle, inverse: Bool, rng: inout Xoshiro256)
        -> (v: [Double], p: [Double]) {
        let p = splineParams(n, spline: spline, style: style, rng: &rng), ref = NflowsSpline(spline: spline)
        let v = (0..<n).map { i -> Double in
            let (cw, ch, _) = ref.knots(p[(i * q)..<((i + 1) * q)])
            let knots = inverse ? ch : cw, k = i % spline.bins
            return knots[k] + rng.uniform(0.2, 0.8) * (knots[k + 1] - knots[k])
        }
        return (v, p)
    }

    /// Per-element loss a·output + c·log-derivative, evaluated for all elements at once.
    func losses(_ v: [Double], _ p: [Double], _ a: [Double], _ c: [Double], inverse: Bool) -> [Double] {
        let (out, ld) = spline.map(v, p, inverse: inverse)
        return (0..<v.count).map { a[$0] * out[$0] + c[$0] * ld[$0] }
    }

    /// Extreme (±20) parameters are left out here: their bins are so steep that no Double step
    /// resolves a difference quotient (it changes with the step down to round-off). They are
    /// covered by the exact invariances below and by the Float finiteness check.
    @Test(arguments: [SplineParameterStyle.moderate, .wide, .strong], [false, true])
    func gradientsMatchFiniteDifferences(_ style: SplineParameterStyle, _ inverse: Bool) {
        for upstream in Upstream.allCases {
            var rng = Xoshiro256(seed: 31, stream: UInt64(Upstream.allCases.firstIndex(of: upstream)!))
            let n = 48
            let (v, p) = interiorPoints(n, style: style, inverse: inverse, rng: &rng)
            let a = (0..<n).map { _ in upstream == .logDerivative ? 0 : rng.normal() }
            let c = (0..<n).map { _ in upstream == .output ? 0 : rng.normal() }
            let g = spline.gradients(v, p, gOut: upstream == .logDerivative ? nil : a,
                                     gLog: upstream == .output ? nil : c, inverse: inverse)
            // Variable 0 is the input, 1…3K−1 the raw parameters; all elements move at once
            // (they are independent). Richardson-extrapolated central differences.
            // Loss round-off scales with the element's steepest sensitivity: judge each
            // difference against the largest gradient of its element.
            let scale = (0..<n).map { i in ([abs(g.input[i])] + g.params[(i * q)..<((i + 1) * q)].map(abs)).max()! }
            // Knots are quantised at ulp(B) ≈ 2e-15 even in Double, which a difference quotient
            // over a step of 1e-6 sees in proportion to 1/w + 1/h of the bin.
            let ref = NflowsSpline(spline: spline)
            let quantum = (0..<n).map { i -> Double in
                let (w, h) = ref.binSize(v[i], raw: p[(i * q)..<((i + 1) * q)], inverse: inverse)
                return 8 * spline.tailBound.ulp / 1e-6 * (1 / w + 1 / h)
            }
            var unresolved = 0
            for variable in 0...q {
                func central(_ h: Double) -> [Double] {
                    var vp = v, vm = v, pp = p, pm = p
                    for i in 0..<n {
                        if variable == 0 { vp[i] += h; vm[i] -= h } else {
                            pp[i * q + variable - 1] += h; pm[i * q + variable - 1] -= h
                        }
                    }
                    let up = losses(vp, pp, a, c, inverse: inverse), dn = losses(vm, pm, a, c, inverse: inverse)
                    return (0..<n).map { (up[$0] - dn[$0]) / (2 * h) }
                }
                let d1 = central(1e-6), d2 = central(5e-7)
                for i in 0..<n {
                    let analytic = variable == 0 ? g.input[i] : g.params[i * q + variable - 1]
                    // A step that still sees curvature (bins 3e-5 wide) is counted, not judged.
                    guard abs(d1[i] - d2[i]) <= 1e-3 * (abs(d2[i]) + 1) else { unresolved += 1; continue }
                    // Round-off in the loss (amplified where the map is steep) shows up as the
                    // two step sizes disagreeing: that difference bounds the difference error.
                    let fd = (4 * d2[i] - d1[i]) / 3
                    #expect(abs(analytic - fd) <= (2e-6 + quantum[i]) * (scale[i] + 1) + 2 * abs(d1[i] - d2[i]),
                            "\(upstream) element \(i) bin \(i % spline.bins) variable \(variable): \(analytic) vs \(fd)")
                }
            }
            #expect(unresolved <= n * (q + 1) / 10, "\(unresolved) finite differences unresolved")
        }
    }

    @Test(arguments: SplineParameterStyle.allCases, [false, true])
    func softmaxShiftInvarianceHoldsExactly(_ style: SplineParameterStyle, _ inverse: Bool) {
        // Adding a constant to all K raw widths (or heights) leaves the spline unchanged, so
        // their gradients sum to zero in any regime, including ±20 parameters (up to round-off
        // of the knot adjoints, which may exceed the resulting gradients).
        var rng = Xoshiro256(seed: 35)
        let n = 200
        let (v, p) = interiorPoints(n, style: style, inverse: inverse, rng: &rng)
        let a = (0..<n).map { _ in rng.normal() }, c = (0..<n).map { _ in rng.normal() }
        let g = spline.gradients(v, p, gOut: a, gLog: c, inverse: inverse)
        let k = spline.bins
        for i in 0..<n {
            let row = Array(g.params[(i * q)..<((i + 1) * q)])
            let scale = (row.map(abs) + [abs(g.input[i])]).max()! + 1
            let widths = row[0..<k].reduce(0, +), heights = row[k..<(2 * k)].reduce(0, +)
            #expect(abs(widths) <= 1e-9 * scale && abs(heights) <= 1e-9 * scale,
                    "element \(i): width gradients sum to \(widths), heights to \(heights) (scale \(scale))")
            #expect(row.allSatisfy { $0.isFinite } && g.input[i].isFinite)
        }
    }

    @Test(arguments: [false, true])
    func tailsPassGradientsThroughAndLeaveParametersAlone(_ inverse: Bool) {
        var rng = Xoshiro256(seed: 32)
        let x: [Double] = [-30, -14.000001, 14.000001, 1e6]
        let p = splineParams(x.count, spline: spline, style: .wide, rng: &rng)
        let gy = [0.5, -2, 3, 1.25], gl = [7.0, 7, -7, 1]
        let g = spline.gradients(x, p, gOut: gy, gLog: gl, inverse: inverse)
        #expect(g.input == gy)
        #expect(g.params.allSatisfy { $0 == 0 })
        let f = spline.gradients(x.map(Float.init), p.map(Float.init), gOut: gy.map(Float.init), gLog: nil,
                                 inverse: inverse)
        #expect(f.input == gy.map(Float.init) && f.params.allSatisfy { $0 == 0 })
        let none = spline.gradients([0.5, 30], Array(p[0..<(2 * q)]), gOut: nil, gLog: nil, inverse: inverse)
        #expect(none.input == [0, 0] && none.params.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [false, true])
    func floatGradientsAreFiniteForExtremeParameters(_ inverse: Bool) {
        var rng = Xoshiro256(seed: 34)
        let n = 200
        let (v, p) = interiorPoints(n, style: .extreme, inverse: inverse, rng: &rng)
        let a = (0..<n).map { _ in Float(rng.normal()) }, c = (0..<n).map { _ in Float(rng.normal()) }
        let g = spline.gradients(v.map(Float.init), p.map(Float.init), gOut: a, gLog: c, inverse: inverse)
        #expect(g.input.allSatisfy { $0.isFinite } && g.params.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [SplineParameterStyle.moderate, .wide], [false, true])
    func floatGradientsAgreeWithDouble(_ style: SplineParameterStyle, _ inverse: Bool) {
        var rng = Xoshiro256(seed: 33)
        let n = 200
        let (vd, pd) = interiorPoints(n, style: style, inverse: inverse, rng: &rng)
        let v = vd.map { Double(Float($0)) }, p = pd.map { Double(Float($0)) }
        let a = (0..<n).map { _ in rng.normal() }, c = (0..<n).map { _ in rng.normal() }
        let gd = spline.gradients(v, p, gOut: a, gLog: c, inverse: inverse)
        let gf = spline.gradients(v.map(Float.init), p.map(Float.init), gOut: a.map(Float.init),
                                  gLog: c.map(Float.init), inverse: inverse)
        let ref = NflowsSpline(spline: spline), delta = 8 * Double(Float(spline.tailBound).ulp)
        for i in 0..<n {
            // Float knots sit within δ of the exact ones, a relative change of δ/w and δ/h of
            // the bin: the gradients move by a small multiple of that fraction of their size.
            // (Extreme parameters make bins 3e-5 wide, where δ/w ≈ 0.3: Float cannot resolve
            // them, as in any float32 implementation; those are only checked to be finite.)
            let (w, h) = ref.binSize(v[i], raw: p[(i * q)..<((i + 1) * q)], inverse: inverse)
            let scale = ([abs(gd.input[i])] + gd.params[(i * q)..<((i + 1) * q)].map(abs)).max()!
            let tol = 100 * (1e-5 + delta * (1 / w + 1 / h)) * scale + 1e-6
            #expect(abs(Double(gf.input[i]) - gd.input[i]) <= tol, "element \(i) input")
            for j in 0..<q {
                #expect(abs(Double(gf.params[i * q + j]) - gd.params[i * q + j]) <= tol, "element \(i) parameter \(j)")
            }
        }
    }
}
