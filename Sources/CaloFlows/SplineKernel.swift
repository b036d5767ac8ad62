/// The per-element rational-quadratic spline math, generic over Float and Double.
///
/// One element: locate the bin (softmax of the raw widths and heights, knots, search), then the
/// forward or inverse map, or the fused backward pass that recomputes the same quantities and
/// returns the gradients with respect to the input and every raw parameter.
///
/// Numerically stable forms used throughout (all equal to nflows' formulas in exact arithmetic):
/// - θ and 1 − θ are both computed from the knots, (x − x_k)/w and (x_{k+1} − x)/w;
/// - the numerator N = sθ² + d_k θ(1−θ) and its mirror N' = s(1−θ)² + d_{k+1} θ(1−θ) sum to the
///   denominator D, so y = y_k + h N/D (or y_{k+1} − h N'/D in the upper half of the bin) hits
///   both knots exactly and D never cancels;
/// - the inverse solves a θ² + b θ + c = 0 through e = d_k Δ' − d_{k+1} Δ (Δ = y − y_k,
///   Δ' = y_{k+1} − y): the discriminant is e² + 4s²ΔΔ' (a sum of non-negative terms) and
///   θ = 2sΔ / (2sΔ + g), 1 − θ = g / (2sΔ + g) with g = e + √disc evaluated without cancellation,
///   so both θ and 1 − θ keep full relative accuracy at either end of the bin;
/// - softmax gradients use prefix and suffix sums of the exponentials rather than 1 − prefix.
struct SplineKernel<T: SplineScalar> {
    let bins: Int
    let bound: T
    /// 2B·m_w and 2B·m_h: knot offset contributed by each preceding bin's minimum size.
    let widthStep: T, heightStep: T
    /// 2B(1 − K m_w) and 2B(1 − K m_h): scale of the normalised softmax cumulative sums.
    let widthScale: T, heightScale: T
    let minDerivative: T

    init(_ spline: RationalQuadraticSpline) {
        bins = spline.bins
        let b = spline.tailBound, k = Double(spline.bins)
        bound = T(b)
        widthStep = T(2 * b * spline.minBinWidth)
        heightStep = T(2 * b * spline.minBinHeight)
        widthScale = T(2 * b * (1 - k * spline.minBinWidth))
        heightScale = T(2 * b * (1 - k * spline.minBinHeight))
        minDerivative = T(spline.minDerivative)
    }

    // MARK: - Bin geometry

    /// Everything the maps and the backward pass need about one element's bin.
    struct Bin {
        var index: Int
        var xLo: T, xHi: T, yLo: T, yHi: T
        var d0: T, d1: T
        /// exp(−|raw|) of the raw derivatives behind d0 and d1 (0 for the fixed end derivatives).
        var d0Exp: T, d1Exp: T
        /// Sums of the width (height) exponentials: all, and those of bins before `index`.
        var widthSum: T, widthBefore: T, heightSum: T, heightBefore: T
    }

    /// Writes exp(u_j − max u) for the K raw values at `u` to `e` and returns their sum.
    @inline(__always)
    func exponentials(_ u: UnsafePointer<T>, _ e: UnsafeMutablePointer<T>) -> T {
        if bins == 8 { return T.splineExponentials8(u, e) }
        var m = u[0]
        for j in 1..<bins where u[j] > m { m = u[j] }
        var sum: T = 0
        for j in 0..<bins {
            let v = T.splineExp(u[j] - m)
            e[j] = v
            sum += v
        }
        return sum
    }

    /// Knot j given the sum of the exponentials of bins < j. The single definition both the
    /// search and the geometry use, so forward and inverse see bit-identical knots.
    @inline(__always)
    func knot(_ j: Int, before: T, step: T, scale: T) -> T {
        (T(j) * step - bound) + scale * before
    }

    /// Finds the bin of `v` on the axis whose exponentials are `e` (sum `sum`): the first k with
    /// v < knot_{k+1}, else the last bin (this is nflows' search with the nudged last knot).
    @inline(__always)
    func search(_ v: T, _ e: UnsafePointer<T>, sum: T, step: T, scale: T)
        -> (index: Int, lo: T, hi: T, before: T) {
        let a = scale / sum
        var k = 0, before: T = 0, lo = -bound
        while k < bins - 1 {
            let next = before + e[k]
            let kn = knot(k + 1, before: next, step: step, scale: a)
            if v < kn { return (k, lo, kn, before) }
            before = next
            lo = kn
            k += 1
        }
        return (k, lo, bound, before)
    }

    /// Knots k and k+1 on an axis that was not searched.
    @inline(__always)
    func knots(_ k: Int, _ e: UnsafePointer<T>, sum: T, step: T, scale: T) -> (lo: T, hi: T, before: T) {
        let a = scale / sum
        var before: T = 0
        for j in 0..<k { before += e[j] }
        let lo = k == 0 ? -bound : knot(k, before: before, step: step, scale: a)
        let hi = k == bins - 1 ? bound : knot(k + 1, before: before + e[k], step: step, scale: a)
        return (lo, hi, before)
    }

    /// Derivative at knot j (1 at both ends) from the raw interior derivatives `r` (r[j−1] is
    /// knot j), and exp(−|raw|) for the sigmoid in the backward pass (0 at the ends).
    @inline(__always)
    func derivative(_ j: Int, _ r: UnsafePointer<T>) -> (d: T, e: T) {
        if j == 0 || j == bins { return (1, 0) }
        let x = r[j - 1]
        let e = T.splineExp(-abs(x))
        return (minDerivative + (x > 0 ? x : 0) + T.splineLog1p(e), e)
    }

    /// The bin of `v` (an x if `inverse` is false, a y otherwise); `v` must lie in [−B, B].
    @inline(__always)
    func bin(of v: T, inverse: Bool, params p: UnsafePointer<T>,
             ew: UnsafeMutablePointer<T>, eh: UnsafeMutablePointer<T>) -> Bin {
        let sw = exponentials(p, ew)
        let sh = exponentials(p + bins, eh)
        let k: Int, xLo: T, xHi: T, yLo: T, yHi: T, bw: T, bh: T
        if inverse {
            let s = search(v, eh, sum: sh, step: heightStep, scale: heightScale)
            let o = knots(s.index, ew, sum: sw, step: widthStep, scale: widthScale)
            (k, yLo, yHi, bh, xLo, xHi, bw) = (s.index, s.lo, s.hi, s.before, o.lo, o.hi, o.before)
        } else {
            let s = search(v, ew, sum: sw, step: widthStep, scale: widthScale)
            let o = knots(s.index, eh, sum: sh, step: heightStep, scale: heightScale)
            (k, xLo, xHi, bw, yLo, yHi, bh) = (s.index, s.lo, s.hi, s.before, o.lo, o.hi, o.before)
        }
        let r = p + 2 * bins
        let left = derivative(k, r), right = derivative(k + 1, r)
        return Bin(index: k, xLo: xLo, xHi: xHi, yLo: yLo, yHi: yHi,
                   d0: left.d, d1: right.d, d0Exp: left.e, d1Exp: right.e,
                   widthSum: sw, widthBefore: bw, heightSum: sh, heightBefore: bh)
    }
}
