/// Forward (x → y) and inverse (y → x) maps of one element.
extension SplineKernel {
    // MARK: - Quantities shared by the maps and the backward pass

    /// The rational-quadratic pieces at a position θ in a bin (paper notation: s = h/w,
    /// t = θ(1−θ), N/D the bin fraction, M the derivative numerator).
    struct Local {
        let w: T, h: T, invW: T, s: T
        let th: T, th1: T, t: T
        /// N = sθ² + d0 t and its mirror N' = s(1−θ)² + d1 t; the denominator is D = N + N'.
        let n: T, np: T, invD: T
        /// M = d1 θ² + 2 s t + d0 (1−θ)².
        let m: T

        @inline(__always)
        init(_ b: Bin, th: T, th1: T) {
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
            // s/D rather than s·(1/D): exactly 1 at both ends of the interval (θ ∈ {0, 1}), so
            // the log-derivative is exactly 0 where the spline meets the identity tails.
            sOverD = s / d
            m = b.d1 * th * th + 2 * s * t + b.d0 * th1 * th1
        }

        let sOverD: T

        /// dy/dx = s² M / D².
        @inline(__always) var slope: T { sOverD * sOverD * m }
    }

    /// θ and 1 − θ of the point of bin `b` whose spline value is `y` (the quadratic root,
    /// cancellation-free: see the type's documentation).
    @inline(__always)
    func root(_ y: T, _ b: Bin) -> (th: T, th1: T) {
        let s = (b.yHi - b.yLo) / (b.xHi - b.xLo)
        let dl = y - b.yLo, dr = b.yHi - y
        let e = b.d0 * dr - b.d1 * dl
        let q = 4 * s * s * dl * dr
        let rt = T.splineSqrt(e * e + q)
        let g = e >= 0 ? e + rt : q / (rt - e)
        let a = 2 * s * dl
        let den = a + g
        // Divisions, not a shared reciprocal: θ must come out exactly 1 (or 0) at the knots.
        return (a / den, g / den)
    }

    // MARK: - Maps

    /// y = spline(x) and log|dy/dx|; identity with 0 strictly outside [−B, B].
    @inline(__always)
    func forward(_ x: T, params p: UnsafePointer<T>,
                 ew: UnsafeMutablePointer<T>, eh: UnsafeMutablePointer<T>) -> (y: T, logDerivative: T) {
        guard x >= -bound && x <= bound else { return (x, 0) }
        let b = bin(of: x, inverse: false, params: p, ew: ew, eh: eh)
        let w = b.xHi - b.xLo
        let l = Local(b, th: (x - b.xLo) / w, th1: (b.xHi - x) / w)
        let y = l.th <= l.th1 ? b.yLo + l.h * l.n * l.invD : b.yHi - l.h * l.np * l.invD
        return (y, T.splineLog(l.slope))
    }

    /// x = spline⁻¹(y) and log|dx/dy| = −log|dy/dx| at x; identity with 0 outside [−B, B].
    @inline(__always)
    func inverse(_ y: T, params p: UnsafePointer<T>,
                 ew: UnsafeMutablePointer<T>, eh: UnsafeMutablePointer<T>) -> (x: T, logDerivative: T) {
        guard y >= -bound && y <= bound else { return (y, 0) }
        let b = bin(of: y, inverse: true, params: p, ew: ew, eh: eh)
        let r = root(y, b)
        let l = Local(b, th: r.th, th1: r.th1)
        let x = r.th <= r.th1 ? b.xLo + r.th * l.w : b.xHi - r.th1 * l.w
        return (x, -T.splineLog(l.slope))
    }
}
