/// Fused backward passes of one element: recompute the bin, then push the upstream gradients
/// through the rational-quadratic map, the knots (cumulative sums, min-size affine maps, softmax)
/// and the derivative softplus, writing all 3K − 1 raw-parameter gradients.
///
/// Derivation (L the log-slope log(s²M/D²), F(θ) = y_k + h N/D the bin map):
/// - forward, upstream (ḡ_y, ḡ_L): the adjoint of θ is ḡ_θ = ḡ_y·w·dy/dx + ḡ_L·∂L/∂θ and the
///   input gradient is ḡ_θ/w;
/// - inverse, upstream (ḡ_x, ḡ_L) on x = x_k + θw and −L: θ solves F(θ) = y, so with
///   λ = (ḡ_x·w − ḡ_L·∂L/∂θ)/F'(θ) the input gradient is λ and the parameters see F's partials
///   weighted by −λ (implicit function theorem) and L's weighted by −ḡ_L.
/// Both then share `scatter`, which differs only in those weights and in the adjoint of x_k.
extension SplineKernel {
    // MARK: - Element backward passes

    /// Gradient of the input for x → y, writing dLoss/d(raw params) to `g` (3K − 1 values).
    @inline(__always)
    func forwardBackward(_ x: T, outputGradient gy: T, logDerivativeGradient gl: T,
                         params p: UnsafePointer<T>, gradients g: UnsafeMutablePointer<T>,
                         ew: UnsafeMutablePointer<T>, eh: UnsafeMutablePointer<T>) -> T {
        guard x >= -bound && x <= bound else {
            g.update(repeating: 0, count: 3 * bins - 1)
            return gy
        }
        let b = bin(of: x, inverse: false, params: p, ew: ew, eh: eh)
        let w = b.xHi - b.xLo
        let l = Local(b, th: (x - b.xLo) / w, th1: (b.xHi - x) / w)
        let gin = gy * l.slope + gl * thetaDerivativeOfLogSlope(l, b) * l.invW
        scatter(fWeight: gy, lWeight: gl, knotGradient: -gin, l, b, params: p, gradients: g, ew: ew, eh: eh)
        return gin
    }

    /// Gradient of the input for y → x, writing dLoss/d(raw params) to `g` (3K − 1 values).
    @inline(__always)
    func inverseBackward(_ y: T, outputGradient gx: T, logDerivativeGradient gl: T,
                         params p: UnsafePointer<T>, gradients g: UnsafeMutablePointer<T>,
                         ew: UnsafeMutablePointer<T>, eh: UnsafeMutablePointer<T>) -> T {
        guard y >= -bound && y <= bound else {
            g.update(repeating: 0, count: 3 * bins - 1)
            return gx
        }
        let b = bin(of: y, inverse: true, params: p, ew: ew, eh: eh)
        let r = root(y, b)
        let l = Local(b, th: r.th, th1: r.th1)
        let lambda = (gx - gl * thetaDerivativeOfLogSlope(l, b) * l.invW) / l.slope
        scatter(fWeight: -lambda, lWeight: -gl, knotGradient: gx, l, b, params: p, gradients: g, ew: ew, eh: eh)
        return lambda
    }

    // MARK: - Shared pieces

    /// ∂L/∂θ with L = log(s² M / D²).
    @inline(__always)
    func thetaDerivativeOfLogSlope(_ l: Local, _ b: Bin) -> T {
        let dm = 2 * (b.d1 * l.th - b.d0 * l.th1 + l.s * (l.th1 - l.th))
        let dd = (b.d0 + b.d1 - 2 * l.s) * (l.th1 - l.th)
        return dm / l.m - 2 * dd * l.invD
    }

    /// Parameter gradients from the weight of F's partials (`fWeight`), of L's partials
    /// (`lWeight`) and the adjoint of the lower x-knot through θ or x (`knotGradient`; the upper
    /// knot's follows from w = x_{k+1} − x_k).
    @inline(__always)
    func scatter(fWeight phi: T, lWeight psi: T, knotGradient kg: T, _ l: Local, _ b: Bin,
                 params p: UnsafePointer<T>, gradients g: UnsafeMutablePointer<T>,
                 ew: UnsafeMutablePointer<T>, eh: UnsafeMutablePointer<T>) {
        let th2 = l.th * l.th, th12 = l.th1 * l.th1
        let invM = 1 / l.m
        let twoTD = 2 * l.t * l.invD
        // ∂L/∂s written as a sum of positive terms (the direct form cancels).
        let ls = 2 * l.t * (invM + (b.d0 + b.d1) * l.invD * l.w / l.h)
        let fh = phi * l.h * l.t * l.invD * l.invD
        let gs = fh * (b.d1 * th2 - b.d0 * th12) + psi * ls
        let gd0 = fh * l.np + psi * (th12 * invM - twoTD)
        let gd1 = -fh * l.n + psi * (th2 * invM - twoTD)
        let gsw = gs * l.invW
        let gxLo = kg * l.th1 + gsw * l.s, gxHi = kg * l.th - gsw * l.s
        let gyLo = phi * l.np * l.invD - gsw, gyHi = phi * l.n * l.invD + gsw

        let k = b.index
        softmaxGradient(lo: gxLo, hi: gxHi, k, ew, sum: b.widthSum, before: b.widthBefore,
                        scale: widthScale, into: g)
        softmaxGradient(lo: gyLo, hi: gyHi, k, eh, sum: b.heightSum, before: b.heightBefore,
                        scale: heightScale, into: g + bins)
        let gr = g + 2 * bins
        gr.update(repeating: 0, count: bins - 1)
        if k >= 1 { gr[k - 1] = gd0 * sigmoid(p[2 * bins + k - 1], b.d0Exp) }
        if k + 1 <= bins - 1 { gr[k] = gd1 * sigmoid(p[2 * bins + k], b.d1Exp) }
    }

    /// σ(r) from r and e = exp(−|r|).
    @inline(__always)
    func sigmoid(_ r: T, _ e: T) -> T { (r > 0 ? 1 : e) / (1 + e) }

    /// Raw-parameter gradients of one axis from the adjoints of its knots k (`lo`) and k+1 (`hi`),
    /// knot_j = −B + j·step + scale·Σ_{i<j} e_i / Σ e:
    /// ∂knot_j/∂u_i = scale·p_i([i<j] − P_{<j}), with [i<j] − P_{<j} taken as a suffix sum.
    @inline(__always)
    func softmaxGradient(lo a: T, hi c: T, _ k: Int, _ e: UnsafePointer<T>, sum: T, before: T,
                         scale: T, into g: UnsafeMutablePointer<T>) {
        var after: T = 0
        var j = bins - 1
        while j > k { after += e[j]; j -= 1 }
        let ek = e[k]
        let f = scale / (sum * sum)
        let below = f * (a * (ek + after) + c * after)
        let at = f * (c * after - a * before)
        let above = -f * (a * before + c * (before + ek))
        for i in 0..<k { g[i] = below * e[i] }
        g[k] = at * ek
        for i in (k + 1)..<bins { g[i] = above * e[i] }
    }
}
