import Testing
import CaloFlows
import CaloTensor
import Glibc

// MARK: - Fixtures shared by the spline suites

/// Kinds of raw parameters: MADE-like N(0, 1), wide N(0, 3), strong (half the entries ±6) and
/// extreme (half the entries ±20: bins at the minimum width, slopes from 1e-10 to 1e9).
enum SplineParameterStyle: String, CaseIterable, Sendable {
    case moderate, wide, strong, extreme
}

/// Raw spline parameters for `n` elements in the nflows layout.
func splineParams(_ n: Int, spline: RationalQuadraticSpline, style: SplineParameterStyle,
                  rng: inout Xoshiro256) -> [Double] {
    (0..<(n * spline.parameterCount)).map { _ in
        switch style {
        case .moderate: return rng.normal()
        case .wide: return 3 * rng.normal()
        case .strong: return rng.uniform() < 0.5 ? (rng.uniform() < 0.5 ? -6 : 6) : rng.normal()
        case .extreme: return rng.uniform() < 0.5 ? (rng.uniform() < 0.5 ? -20 : 20) : rng.normal()
        }
    }
}

/// `raw` (one element's parameters) repeated `count` times, by block copies (debug builds
/// make element-wise array code slow).
func repeatedParams<T>(_ raw: [T], _ count: Int) -> [T] {
    [T](unsafeUninitializedCapacity: raw.count * count) { out, initialized in
        raw.withUnsafeBufferPointer { r in
            for i in 0..<count { (out.baseAddress! + i * r.count).initialize(from: r.baseAddress!, count: r.count) }
        }
        initialized = raw.count * count
    }
}

/// Thin array wrappers around the buffer API.
extension RationalQuadraticSpline {
    func map(_ x: [Double], _ p: [Double], inverse: Bool) -> (out: [Double], ld: [Double]) {
        var out = [Double](repeating: 0, count: x.count), ld = out
        if inverse { self.inverse(inputs: x, params: p, outputs: &out, logDerivatives: &ld, count: x.count) }
        else { forward(inputs: x, params: p, outputs: &out, logDerivatives: &ld, count: x.count) }
        return (out, ld)
    }

    func map(_ x: [Float], _ p: [Float], inverse: Bool) -> (out: [Float], ld: [Float]) {
        var out = [Float](repeating: 0, count: x.count), ld = out
        if inverse { self.inverse(inputs: x, params: p, outputs: &out, logDerivatives: &ld, count: x.count) }
        else { forward(inputs: x, params: p, outputs: &out, logDerivatives: &ld, count: x.count) }
        return (out, ld)
    }

    func gradients(_ x: [Double], _ p: [Double], gOut: [Double]?, gLog: [Double]?, inverse: Bool)
        -> (input: [Double], params: [Double]) {
        var gi = [Double](repeating: .nan, count: x.count), gp = [Double](repeating: .nan, count: p.count)
        if inverse {
            inverseBackward(inputs: x, params: p, outputGradients: gOut, logDerivativeGradients: gLog,
                            inputGradients: &gi, paramGradients: &gp, count: x.count)
        } else {
            forwardBackward(inputs: x, params: p, outputGradients: gOut, logDerivativeGradients: gLog,
                            inputGradients: &gi, paramGradients: &gp, count: x.count)
        }
        return (gi, gp)
    }

    func gradients(_ x: [Float], _ p: [Float], gOut: [Float]?, gLog: [Float]?, inverse: Bool)
        -> (input: [Float], params: [Float]) {
        var gi = [Float](repeating: .nan, count: x.count), gp = [Float](repeating: .nan, count: p.count)
        if inverse {
            inverseBackward(inputs: x, params: p, outputGradients: gOut, logDerivativeGradients: gLog,
                            inputGradients: &gi, paramGradients: &gp, count: x.count)
        } else {
            forwardBackward(inputs: x, params: p, outputGradients: gOut, logDerivativeGradients: gLog,
                            inputGradients: &gi, paramGradients: &gp, count: x.count)
        }
        return (gi, gp)
    }
}

// MARK: - Literal nflows v0.14 transcription (Double)

/// `unconstrained_rational_quadratic_spline(tails="linear")` written out step by step as nflows
/// does it (cumsum, pad, forced ends, searchsorted with eps, a/b/c quadratic root), as an
/// independent check of the kernel's rearranged formulas.
struct NflowsSpline {
    let spline: RationalQuadraticSpline
    var k: Int { spline.bins }
    var b: Double { spline.tailBound }

    /// x-knots, y-knots and the K+1 knot derivatives of one element.
    func knots(_ raw: ArraySlice<Double>) -> (cw: [Double], ch: [Double], d: [Double]) {
        let r = Array(raw)
        func cum(_ u: [Double], _ minSize: Double) -> [Double] {
            let m = u.max()!, e = u.map { exp($0 - m) }, s = e.reduce(0, +)
            var c = [0.0], acc = 0.0
            for v in e { acc += minSize + (1 - Double(k) * minSize) * v / s; c.append(acc) }
            c = c.map { 2 * b * $0 - b }
            c[0] = -b; c[k] = b
            return c
        }
        let md = spline.minDerivative
        let pad = log(exp(1 - md) - 1)
        let d = ([pad] + Array(r[(2 * k)...]) + [pad]).map { md + ($0 > 0 ? $0 + log1p(exp(-$0)) : log1p(exp($0))) }
        return (cum(Array(r[0..<k]), spline.minBinWidth), cum(Array(r[k..<(2 * k)]), spline.minBinHeight), d)
    }

    /// Width and height of the bin holding `v` (a y if `inverse`); (1, 1) outside [−B, B].
    func binSize(_ v: Double, raw: ArraySlice<Double>, inverse: Bool) -> (w: Double, h: Double) {
        guard v >= -b && v <= b else { return (1, 1) }
        let (cw, ch, _) = knots(raw)
        let loc = inverse ? ch : cw
        let i = min(k - 1, loc.filter { v >= $0 }.count - 1)
        return (cw[i + 1] - cw[i], ch[i + 1] - ch[i])
    }

    func callAsFunction(_ v: Double, raw: ArraySlice<Double>, inverse: Bool) -> (Double, Double) {
        guard v >= -b && v <= b else { return (v, 0) }
        let (cw, ch, d) = knots(raw)
        var loc = inverse ? ch : cw
        loc[k] += 1e-6
        let i = loc.filter { v >= $0 }.count - 1
        let w = cw[i + 1] - cw[i], h = ch[i + 1] - ch[i], delta = h / w
        let d0 = d[i], d1 = d[i + 1]
        func logDet(_ th: Double) -> Double {
            let t = th * (1 - th)
            let den = delta + (d0 + d1 - 2 * delta) * t
            let num = delta * delta * (d1 * th * th + 2 * delta * t + d0 * (1 - th) * (1 - th))
            return log(num) - 2 * log(den)
        }
        if inverse {
            let dy = v - ch[i]
            let a = dy * (d0 + d1 - 2 * delta) + h * (delta - d0)
            let bq = h * d0 - dy * (d0 + d1 - 2 * delta)
            let c = -delta * dy
            let root = (2 * c) / (-bq - (bq * bq - 4 * a * c).squareRoot())
            return (root * w + cw[i], -logDet(root))
        }
        let th = (v - cw[i]) / w, t = th * (1 - th)
        let num = h * (delta * th * th + d0 * t)
        let den = delta + (d0 + d1 - 2 * delta) * t
        return (ch[i] + num / den, logDet(th))
    }
}

// MARK: - Tests

@Suite struct SplineReferenceTests {
    let spline = RationalQuadraticSpline.caloFlow

    @Test(arguments: SplineParameterStyle.allCases, [false, true])
    func kernelMatchesLiteralNflowsFormulas(_ style: SplineParameterStyle, _ inverse: Bool) {
        var rng = Xoshiro256(seed: 11, stream: inverse ? 1 : 0)
        let n = 2000, q = spline.parameterCount
        let p = splineParams(n, spline: spline, style: style, rng: &rng)
        let x = (0..<n).map { _ in rng.uniform(-15, 15) }
        let (out, ld) = spline.map(x, p, inverse: inverse)
        let ref = NflowsSpline(spline: spline)
        for i in 0..<n {
            let (ro, rl) = ref(x[i], raw: p[(i * q)..<((i + 1) * q)], inverse: inverse)
            #expect(abs(out[i] - ro) <= 1e-9, "element \(i): \(out[i]) vs nflows \(ro)")
            #expect(abs(ld[i] - rl) <= 1e-7 * max(1, abs(rl)), "element \(i): \(ld[i]) vs nflows \(rl)")
        }
    }

    @Test func configurationErrorsAreThrownWithAMessage() {
        #expect(throws: RationalQuadraticSpline.ConfigurationError.self) { try RationalQuadraticSpline(bins: 0) }
        #expect(throws: RationalQuadraticSpline.ConfigurationError.self) {
            try RationalQuadraticSpline(bins: 8, minBinWidth: 0.2)
        }
        #expect(throws: RationalQuadraticSpline.ConfigurationError.self) { try RationalQuadraticSpline(tailBound: -1) }
        #expect(throws: RationalQuadraticSpline.ConfigurationError.self) { try RationalQuadraticSpline(minDerivative: 1) }
        #expect(RationalQuadraticSpline.parameterCount(bins: 8) == 23)
        #expect(spline.bins == 8 && spline.tailBound == 14 && spline.minBinWidth == 1e-6)
    }
}
