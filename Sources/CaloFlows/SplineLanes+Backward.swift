/// The fused spline backward passes for eight elements at once (one per SIMD lane), the lane
/// form of `SplineKernel.forwardBackward` / `inverseBackward`.
///
/// Same contract as the forward maps of `SplineLanes`: the arithmetic is the scalar kernel's,
/// operation for operation, with selects in place of branches and of the bin-indexed loops, so
/// every gradient is bit-identical to the one-element kernel (tests check this). Data-dependent
/// indexing by the bin k becomes a comparison of each lane's k with the loop index:
/// - the suffix sum of the exponentials above k adds zeros for the bins at or below k, in the
///   scalar loop's order (x + 0 = x exactly);
/// - the softmax gradient picks "below", "at" or "above" per bin and lane;
/// - the two derivative gradients land at raw slots k − 1 and k, zeros elsewhere.
extension SplineLanes {
    /// Gradients of `count` elements in the layout of `RationalQuadraticSpline.forwardBackward`
    /// (`inverse` false) or `inverseBackward` (true): `gy`, `gl` the upstream gradients (nil
    /// for zeros), `gx` receives dLoss/d(input), `gp` dLoss/d(raw parameters), 3K − 1 per element.
    func backward(inverse: Bool, _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
                  _ gy: UnsafePointer<Float>?, _ gl: UnsafePointer<Float>?,
                  _ gx: UnsafeMutablePointer<Float>, _ gp: UnsafeMutablePointer<Float>, count: Int) {
        let k = bins, m = 3 * k - 1
        let groups = count / 8
        // Scratch, in vectors: m raw parameters, K + K exponentials, m parameter gradients.
        withUnsafeTemporaryAllocation(of: V.self, capacity: 2 * m + 2 * k) { scratch in
            let raw = scratch.baseAddress!, ew = raw + m, eh = ew + k, grad = eh + k
            for g in 0..<groups {
                let base = g * 8
                transpose(p + base * m, into: raw, parameters: m)
                let v = UnsafeRawPointer(x + base).loadUnaligned(as: V.self)
                let upOut = gy.map { UnsafeRawPointer($0 + base).loadUnaligned(as: V.self) } ?? V()
                let upLog = gl.map { UnsafeRawPointer($0 + base).loadUnaligned(as: V.self) } ?? V()
                let gin = inverse
                    ? inverseBackwardLanes(v, outputGradient: upOut, logDerivativeGradient: upLog,
                                           raw: raw, ew: ew, eh: eh, grad: grad)
                    : forwardBackwardLanes(v, outputGradient: upOut, logDerivativeGradient: upLog,
                                           raw: raw, ew: ew, eh: eh, grad: grad)
                UnsafeMutableRawPointer(gx + base).storeBytes(of: gin, as: V.self)
                untranspose(grad, into: gp + base * m, parameters: m)
            }
        }
        let done = groups * 8
        guard done < count else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * k) { s in
            let ew = s.baseAddress!, eh = ew + k
            for i in done..<count {
                let go = gy?[i] ?? 0, g = gl?[i] ?? 0
                gx[i] = inverse
                    ? scalar.inverseBackward(x[i], outputGradient: go, logDerivativeGradient: g,
                                             params: p + i * m, gradients: gp + i * m, ew: ew, eh: eh)
                    : scalar.forwardBackward(x[i], outputGradient: go, logDerivativeGradient: g,
                                             params: p + i * m, gradients: gp + i * m, ew: ew, eh: eh)
            }
        }
    }

    /// p[l·m + j] = grad[j] lane l: the inverse of `transpose`.
    @inline(__always)
    private func untranspose(_ grad: UnsafePointer<V>, into p: UnsafeMutablePointer<Float>, parameters m: Int) {
        for j in 0..<m {
            let v = grad[j]
            p[j] = v[0]; p[m + j] = v[1]; p[2 * m + j] = v[2]; p[3 * m + j] = v[3]
            p[4 * m + j] = v[4]; p[5 * m + j] = v[5]; p[6 * m + j] = v[6]; p[7 * m + j] = v[7]
        }
    }

    // MARK: - Lanes

    @inline(__always)
    private func forwardBackwardLanes(_ x: V, outputGradient gy: V, logDerivativeGradient gl: V,
                                      raw: UnsafePointer<V>, ew: UnsafeMutablePointer<V>, eh: UnsafeMutablePointer<V>,
                                      grad: UnsafeMutablePointer<V>) -> V {
        let inside = (x .>= -bound) .& (x .<= bound)
        let b = bin(x, inverse: false, raw: raw, ew: ew, eh: eh)
        let w = b.xHi - b.xLo
        let l = Local(b, th: (x - b.xLo) / w, th1: (b.xHi - x) / w)
        let gin = gy * l.slope + gl * thetaDerivativeOfLogSlope(l, b) * l.invW
        scatter(fWeight: gy, lWeight: gl, knotGradient: flipSign(gin), l, b, raw: raw, ew: ew, eh: eh, grad: grad,
                inside: inside)
        return gy.replacing(with: gin, where: inside)
    }

    @inline(__always)
    private func inverseBackwardLanes(_ y: V, outputGradient gx: V, logDerivativeGradient gl: V,
                                      raw: UnsafePointer<V>, ew: UnsafeMutablePointer<V>, eh: UnsafeMutablePointer<V>,
                                      grad: UnsafeMutablePointer<V>) -> V {
        let inside = (y .>= -bound) .& (y .<= bound)
        let b = bin(y, inverse: true, raw: raw, ew: ew, eh: eh)
        let r = root(y, b)
        let l = Local(b, th: r.th, th1: r.th1)
        let lambda = (gx - gl * thetaDerivativeOfLogSlope(l, b) * l.invW) / l.slope
        scatter(fWeight: flipSign(lambda), lWeight: flipSign(gl), knotGradient: gx, l, b, raw: raw, ew: ew, eh: eh,
                grad: grad, inside: inside)
        return gx.replacing(with: lambda, where: inside)
    }

    /// ∂L/∂θ with L = log(s² M / D²), as `SplineKernel.thetaDerivativeOfLogSlope`.
    @inline(__always)
    private func thetaDerivativeOfLogSlope(_ l: Local, _ b: Bins) -> V {
        let dm = 2 * (b.d1 * l.th - b.d0 * l.th1 + l.s * (l.th1 - l.th))
        let dd = (b.d0 + b.d1 - 2 * l.s) * (l.th1 - l.th)
        return dm / l.m - 2 * dd * l.invD
    }

    /// `SplineKernel.scatter` into the transposed gradients `grad` (m vectors); lanes outside
    /// [−B, B] get zeros.
    @inline(__always)
    private func scatter(fWeight phi: V, lWeight psi: V, knotGradient kg: V, _ l: Local, _ b: Bins,
                         raw: UnsafePointer<V>, ew: UnsafePointer<V>, eh: UnsafePointer<V>,
                         grad: UnsafeMutablePointer<V>, inside: SIMDMask<SIMD8<Int32>>) {
        let th2 = l.th * l.th, th12 = l.th1 * l.th1
        let invM = 1 / l.m
        let twoTD = 2 * l.t * l.invD
        let ls = 2 * l.t * (invM + (b.d0 + b.d1) * l.invD * l.w / l.h)
        let fh = phi * l.h * l.t * l.invD * l.invD
        let gs = fh * (b.d1 * th2 - b.d0 * th12) + psi * ls
        let gd0 = fh * l.np + psi * (th12 * invM - twoTD)
        let gd1 = flipSign(fh) * l.n + psi * (th2 * invM - twoTD)
        let gsw = gs * l.invW
        let gxLo = kg * l.th1 + gsw * l.s, gxHi = kg * l.th - gsw * l.s
        let gyLo = phi * l.np * l.invD - gsw, gyHi = phi * l.n * l.invD + gsw

        softmaxGradient(lo: gxLo, hi: gxHi, b.k, ew, sum: b.widthSum, before: b.widthBefore,
                        scale: scalar.widthScale, into: grad, inside: inside)
        softmaxGradient(lo: gyLo, hi: gyHi, b.k, eh, sum: b.heightSum, before: b.heightBefore,
                        scale: scalar.heightScale, into: grad + bins, inside: inside)
        // Raw derivative j sits at knot j + 1: it receives gd0 when j = k − 1, gd1 when j = k.
        let r = raw + 2 * bins, gr = grad + 2 * bins
        let left = gd0 * sigmoid(r, b.k - 1, b.d0Exp), right = gd1 * sigmoid(r, b.k, b.d1Exp)
        for j in 0..<(bins - 1) {
            let jf = V(repeating: Float(j))
            let value = V().replacing(with: left, where: jf .== b.k - 1).replacing(with: right, where: jf .== b.k)
            gr[j] = V().replacing(with: value, where: inside)
        }
    }

    /// σ(r_j) for the raw derivative j = `index` of each lane, from e = exp(−|r_j|), as
    /// `SplineKernel.sigmoid` (lanes whose index is outside 0..<K−1 get an unused value).
    @inline(__always)
    private func sigmoid(_ r: UnsafePointer<V>, _ index: V, _ e: V) -> V {
        var raw = V()
        for j in 0..<(bins - 1) { raw = raw.replacing(with: r[j], where: index .== V(repeating: Float(j))) }
        return V(repeating: 1).replacing(with: e, where: .!(raw .> 0)) / (1 + e)
    }

    /// `SplineKernel.softmaxGradient` with a bin index per lane.
    @inline(__always)
    private func softmaxGradient(lo a: V, hi c: V, _ k: V, _ e: UnsafePointer<V>, sum: V, before: V,
                                 scale: Float, into g: UnsafeMutablePointer<V>, inside: SIMDMask<SIMD8<Int32>>) {
        var after = V(), ek = V()
        for j in stride(from: bins - 1, through: 0, by: -1) {
            let jf = V(repeating: Float(j))
            after += V().replacing(with: e[j], where: jf .> k)
            ek = ek.replacing(with: e[j], where: jf .== k)
        }
        let f = scale / (sum * sum)
        let below = f * (a * (ek + after) + c * after)
        let at = f * (c * after - a * before)
        let above = flipSign(f) * (a * before + c * (before + ek))
        for i in 0..<bins {
            let jf = V(repeating: Float(i))
            let value = (above * e[i]).replacing(with: below * e[i], where: jf .< k).replacing(with: at * ek, where: jf .== k)
            g[i] = V().replacing(with: value, where: inside)
        }
    }
}
