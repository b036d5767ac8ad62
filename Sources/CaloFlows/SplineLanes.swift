import CaloTensor
import CSplineKernels

/// The Float spline for eight elements at once, one element per SIMD lane (AVX2).
///
/// `SplineKernel` evaluates one element at a time: its bin search, knot selection and
/// divisions are scalar and branchy (`caloflow bench` times it at 3-5x the lanes).
/// Here each group of eight consecutive elements is transposed into structure-of-arrays form
/// (raw parameter j of all eight elements in one vector) and every step — softmax, search,
/// knot and derivative selection, root, slope, log — runs as vector operations with selects
/// instead of branches. The maps (`map`) run in the C kernel `CSplineKernels`, a line-by-line
/// transcription of these steps with AVX2 intrinsics; the steps below serve the backward
/// passes (`SplineLanes+Backward.swift`).
///
/// The arithmetic is the scalar kernel's, operation for operation and in the same order, and
/// the Float elementary functions of the scalar kernel are lane 0 of the `VectorMath`
/// polynomials used here (and transcribed in the C kernel), so an element gets bit-identical
/// results whether it goes through a lane or through `SplineKernel` (the sequential teacher
/// sampler uses the latter). Elements outside [−B, B] are computed with garbage bins and then
/// replaced by the identity, exactly as the scalar guard does.
struct SplineLanes {
    typealias V = SIMD8<Float>

    /// The scalar kernel: its constants (knot steps and scales, bound, minimum derivative) are
    /// the ones used here, and it maps the elements that do not fill a group of eight.
    let scalar: SplineKernel<Float>

    init(_ spline: RationalQuadraticSpline) { scalar = SplineKernel<Float>(spline) }

    /// The constants in the C kernel's form.
    var cConstants: caloflow_spline_constants {
        caloflow_spline_constants(bins: Int32(bins), bound: bound, widthStep: scalar.widthStep,
                                  heightStep: scalar.heightStep, widthScale: scalar.widthScale,
                                  heightScale: scalar.heightScale, minDerivative: minDerivative)
    }

    var bins: Int { scalar.bins }
    var bound: Float { scalar.bound }
    var minDerivative: Float { scalar.minDerivative }

    /// y = spline(x) (or x = spline⁻¹(y) when `inverse`) and the log-derivative for `count`
    /// elements in the layout of `RationalQuadraticSpline.forward(inputs:params:...)`.
    ///
    /// Whole groups of eight go through the C kernel (`CSplineKernels`, the same arithmetic with
    /// AVX2 intrinsics: Swift's SIMD8 code for these maps vectorised only in part); the rest,
    /// and splines of more than 16 bins, through the scalar kernel.
    func map(inverse: Bool, _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
             _ y: UnsafeMutablePointer<Float>, _ ld: UnsafeMutablePointer<Float>, count: Int) {
        let k = bins, m = 3 * k - 1
        // The C kernel's scratch holds up to 16 bins; other spline sizes run element by element.
        let groups = (2...16).contains(k) ? count / 8 : 0
        if groups > 0 {
            var constants = cConstants
            caloflow_spline_map_lanes(&constants, inverse ? 1 : 0, x, p, y, ld, groups)
        }
        let done = groups * 8
        guard done < count else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * k) { s in
            let ew = s.baseAddress!, eh = ew + k
            for i in done..<count {
                (y[i], ld[i]) = inverse
                    ? scalar.inverse(x[i], params: p + i * m, ew: ew, eh: eh)
                    : scalar.forward(x[i], params: p + i * m, ew: ew, eh: eh)
            }
        }
    }

    // MARK: - Steps

    /// raw[j] lane l = p[l·m + j]: the eight elements' parameter j in one vector.
    @inline(__always)
    func transpose(_ p: UnsafePointer<Float>, into raw: UnsafeMutablePointer<V>, parameters m: Int) {
        for j in 0..<m {
            raw[j] = V(p[j], p[m + j], p[2 * m + j], p[3 * m + j],
                       p[4 * m + j], p[5 * m + j], p[6 * m + j], p[7 * m + j])
        }
    }

    /// exp(u_j − max u) of the K raw values starting at `u` into `e`, and their sum (summed in
    /// the order of `Float.softmaxExponentials`).
    @inline(__always)
    func exponentials(_ u: UnsafePointer<V>, _ e: UnsafeMutablePointer<V>) -> V {
        var hi = u[0]
        for j in 1..<bins { hi = hi.replacing(with: u[j], where: u[j] .> hi) }
        for j in 0..<bins { e[j] = VectorMath.exp(u[j] - hi) }
        return Float.exponentialSum(UnsafePointer(e), count: bins)
    }

    /// Number of interior knots ≤ v (as a Float per lane), as `SplineKernel.search`.
    @inline(__always)
    func search(_ v: V, _ e: UnsafePointer<V>, sum: V, step: Float, scale: Float) -> V {
        let a = V(repeating: scale) / sum
        var k = V(), before = V()
        for j in 1..<bins {
            before += e[j - 1]
            let knot = V(repeating: Float(j) * step - bound) + a * before
            k = k.replacing(with: k + 1, where: v .>= knot)
        }
        return k
    }

    /// Knots k and k+1 of an axis and the exponential sum of the bins before k, as
    /// `SplineKernel.knots` (same summation order).
    @inline(__always)
    func knots(_ k: V, _ e: UnsafePointer<V>, sum: V, step: Float, scale: Float) -> (lo: V, hi: V, before: V) {
        let a = V(repeating: scale) / sum
        var before = V(), ek = V()
        for j in 0..<bins {
            let jf = V(repeating: Float(j))
            before += V().replacing(with: e[j], where: jf .< k)
            ek = ek.replacing(with: e[j], where: jf .== k)
        }
        let lo = (k * step - bound + a * before)
            .replacing(with: -bound, where: k .== 0)
        let hi = ((k + 1) * step - bound + a * (before + ek))
            .replacing(with: bound, where: k .== Float(bins - 1))
        return (lo, hi, before)
    }

    /// Derivatives at knots k and k+1 (1 at the ends) and exp(−|raw|) of their raw values (0 at
    /// the ends), as `SplineKernel.derivative`.
    @inline(__always)
    func derivatives(_ k: V, _ r: UnsafePointer<V>) -> (d0: V, d1: V, e0: V, e1: V) {
        var left = V(), right = V()
        for j in 1..<bins {
            let jf = V(repeating: Float(j))
            left = left.replacing(with: r[j - 1], where: k .== jf)
            right = right.replacing(with: r[j - 1], where: k + 1 .== jf)
        }
        let (s0, e0) = softplusDerivative(left), (s1, e1) = softplusDerivative(right)
        let first = k .== 0, last = k .== Float(bins - 1)
        return (s0.replacing(with: 1, where: first), s1.replacing(with: 1, where: last),
                e0.replacing(with: 0, where: first), e1.replacing(with: 0, where: last))
    }

    @inline(__always)
    func flipSign(_ v: V) -> V {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) ^ 0x8000_0000, to: V.self)
    }

    /// m_d + softplus(raw) = m_d + max(raw, 0) + log1p(exp(−|raw|)), and exp(−|raw|).
    @inline(__always)
    func softplusDerivative(_ raw: V) -> (V, V) {
        let negAbs = unsafeBitCast(unsafeBitCast(raw, to: SIMD8<UInt32>.self) | 0x8000_0000, to: V.self)
        let e = VectorMath.exp(negAbs)
        let positive = V().replacing(with: raw, where: raw .> 0)
        return ((minDerivative + positive) + VectorMath.log1p(e), e)
    }

    /// Everything the maps and the backward pass need about eight elements' bins (the lanes
    /// of `SplineKernel.Bin`; the bin index k as a Float per lane).
    struct Bins {
        var k: V
        var xLo: V, xHi: V, yLo: V, yHi: V
        var d0: V, d1: V
        var d0Exp: V, d1Exp: V
        var widthSum: V, widthBefore: V, heightSum: V, heightBefore: V
    }

    /// The bin geometry of `v` (an x, or a y when `inverse`).
    @inline(__always)
    func bin(_ v: V, inverse: Bool, raw: UnsafePointer<V>, ew: UnsafeMutablePointer<V>,
             eh: UnsafeMutablePointer<V>) -> Bins {
        let sw = exponentials(raw, ew)
        let sh = exponentials(raw + bins, eh)
        let k = inverse ? search(v, eh, sum: sh, step: scalar.heightStep, scale: scalar.heightScale)
                        : search(v, ew, sum: sw, step: scalar.widthStep, scale: scalar.widthScale)
        let x = knots(k, ew, sum: sw, step: scalar.widthStep, scale: scalar.widthScale)
        let y = knots(k, eh, sum: sh, step: scalar.heightStep, scale: scalar.heightScale)
        let d = derivatives(k, raw + 2 * bins)
        return Bins(k: k, xLo: x.lo, xHi: x.hi, yLo: y.lo, yHi: y.hi, d0: d.d0, d1: d.d1, d0Exp: d.e0, d1Exp: d.e1,
                    widthSum: sw, widthBefore: x.before, heightSum: sh, heightBefore: y.before)
    }

    /// The rational-quadratic pieces at (θ, 1 − θ) in eight bins: the lanes of
    /// `SplineKernel.Local`, computed operation for operation as it does.
    struct Local {
        let w: V, h: V, invW: V, s: V
        let th: V, th1: V, t: V
        let n: V, np: V, invD: V, sOverD: V, m: V

        @inline(__always)
        init(_ b: Bins, th: V, th1: V) {
            w = b.xHi - b.xLo
            h = b.yHi - b.yLo
            invW = 1 / w
            s = h * invW
            self.th = th
            self.th1 = th1
            t = th * th1
            n = s * th * th + b.d0 * t
            np = s * th1 * th1 + b.d1 * t
            let d = n + np
            invD = 1 / d
            sOverD = s / d
            m = b.d1 * th * th + 2 * s * t + b.d0 * th1 * th1
        }

        /// dy/dx = (s/D)² M.
        @inline(__always) var slope: V { sOverD * sOverD * m }
    }

    /// θ and 1 − θ of the points whose spline values are `y`, as `SplineKernel.root`.
    @inline(__always)
    func root(_ y: V, _ b: Bins) -> (th: V, th1: V) {
        let s = (b.yHi - b.yLo) / (b.xHi - b.xLo)
        let dl = y - b.yLo, dr = b.yHi - y
        let e = b.d0 * dr - b.d1 * dl
        let q = 4 * s * s * dl * dr
        let rt = (e * e + q).squareRoot()
        let g = (q / (rt - e)).replacing(with: e + rt, where: e .>= 0)
        let a = 2 * s * dl
        let den = a + g
        return (a / den, g / den)
    }
}
