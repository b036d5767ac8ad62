import CSplineKernels

/// The fused spline backward passes for eight elements at once (one per lane), the lane form
/// of `SplineKernel.forwardBackward` / `inverseBackward`, in `CSplineKernels`.
///
/// Same contract as the maps: the arithmetic is the scalar kernel's, operation for operation,
/// with selects in place of branches and of the bin-indexed loops, so every gradient is
/// bit-identical to the one-element kernel (tests check this). Data-dependent indexing by the
/// bin k becomes a comparison of each lane's k with the loop index:
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
        let groups = hasLanes ? count / 8 : 0
        if groups > 0 {
            var constants = cConstants
            caloflow_spline_backward_lanes(&constants, inverse ? 1 : 0, x, p, gy, gl, gx, gp, groups)
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
}
