/// Batched entry points over raw buffers, in Float (production) and Double (reference).
///
/// The Float maps and backward passes run eight elements per SIMD lane group (`SplineLanes`),
/// bit-identical to the per-element kernel (`SplineKernel`) that the Double overloads and the
/// sequential teacher sampler use.
///
/// Shapes: `count` elements (rows × features, row-major); `params` holds count·(3K − 1) raw
/// numbers, element i's at [i·(3K − 1), (i+1)·(3K − 1)) in the order K widths, K heights,
/// K − 1 interior derivatives. Every function writes (never accumulates into) its outputs.
/// Thread safety: pure over the given range; split rows over workers with offset pointers.
extension RationalQuadraticSpline {
    // MARK: - Float

    /// y = spline(x) per element and log|dy/dx| (0 outside [−B, B]).
    public func forward(inputs: UnsafePointer<Float>, params: UnsafePointer<Float>,
                        outputs: UnsafeMutablePointer<Float>, logDerivatives: UnsafeMutablePointer<Float>,
                        count: Int) {
        SplineLanes(self).map(inverse: false, inputs, params, outputs, logDerivatives, count: count)
    }

    /// x = spline⁻¹(y) per element and log|dx/dy| = −log|dy/dx| at x (0 outside [−B, B]).
    public func inverse(inputs: UnsafePointer<Float>, params: UnsafePointer<Float>,
                        outputs: UnsafeMutablePointer<Float>, logDerivatives: UnsafeMutablePointer<Float>,
                        count: Int) {
        SplineLanes(self).map(inverse: true, inputs, params, outputs, logDerivatives, count: count)
    }

    /// Backward pass of `forward`, recomputing it from `inputs` and `params`.
    /// - Parameters:
    ///   - outputGradients: dLoss/dy per element, or nil for zeros.
    ///   - logDerivativeGradients: dLoss/d(log|dy/dx|) per element, or nil for zeros (for a
    ///     per-row summed log-det, pass the row's gradient broadcast over its features).
    ///   - inputGradients: receives dLoss/dx (count values; = dLoss/dy outside [−B, B]).
    ///   - paramGradients: receives dLoss/d(raw params), count·(3K − 1) values in the `params`
    ///     layout (zeros for elements outside [−B, B]).
    public func forwardBackward(inputs: UnsafePointer<Float>, params: UnsafePointer<Float>,
                                outputGradients: UnsafePointer<Float>?,
                                logDerivativeGradients: UnsafePointer<Float>?,
                                inputGradients: UnsafeMutablePointer<Float>,
                                paramGradients: UnsafeMutablePointer<Float>, count: Int) {
        SplineLanes(self).backward(inverse: false, inputs, params, outputGradients, logDerivativeGradients,
                                   inputGradients, paramGradients, count: count)
    }

    /// Backward pass of `inverse` (inputs are the y values given to `inverse`); the upstream
    /// gradients are dLoss/dx and dLoss/d(log|dx/dy|), the results dLoss/dy and dLoss/d(raw params).
    public func inverseBackward(inputs: UnsafePointer<Float>, params: UnsafePointer<Float>,
                                outputGradients: UnsafePointer<Float>?,
                                logDerivativeGradients: UnsafePointer<Float>?,
                                inputGradients: UnsafeMutablePointer<Float>,
                                paramGradients: UnsafeMutablePointer<Float>, count: Int) {
        SplineLanes(self).backward(inverse: true, inputs, params, outputGradients, logDerivativeGradients,
                                   inputGradients, paramGradients, count: count)
    }

    // MARK: - Double (reference path, same kernel)

    /// Double-precision `forward(inputs:params:outputs:logDerivatives:count:)`.
    public func forward(inputs: UnsafePointer<Double>, params: UnsafePointer<Double>,
                        outputs: UnsafeMutablePointer<Double>, logDerivatives: UnsafeMutablePointer<Double>,
                        count: Int) {
        map(inverse: false, inputs, params, outputs, logDerivatives, count)
    }

    /// Double-precision `inverse(inputs:params:outputs:logDerivatives:count:)`.
    public func inverse(inputs: UnsafePointer<Double>, params: UnsafePointer<Double>,
                        outputs: UnsafeMutablePointer<Double>, logDerivatives: UnsafeMutablePointer<Double>,
                        count: Int) {
        map(inverse: true, inputs, params, outputs, logDerivatives, count)
    }

    /// Double-precision `forwardBackward`.
    public func forwardBackward(inputs: UnsafePointer<Double>, params: UnsafePointer<Double>,
                                outputGradients: UnsafePointer<Double>?,
                                logDerivativeGradients: UnsafePointer<Double>?,
                                inputGradients: UnsafeMutablePointer<Double>,
                                paramGradients: UnsafeMutablePointer<Double>, count: Int) {
        backward(inverse: false, inputs, params, outputGradients, logDerivativeGradients,
                 inputGradients, paramGradients, count)
    }

    /// Double-precision `inverseBackward`.
    public func inverseBackward(inputs: UnsafePointer<Double>, params: UnsafePointer<Double>,
                                outputGradients: UnsafePointer<Double>?,
                                logDerivativeGradients: UnsafePointer<Double>?,
                                inputGradients: UnsafeMutablePointer<Double>,
                                paramGradients: UnsafeMutablePointer<Double>, count: Int) {
        backward(inverse: true, inputs, params, outputGradients, logDerivativeGradients,
                 inputGradients, paramGradients, count)
    }

    /// The Float maps one element at a time through `SplineKernel` (no lanes): the baseline
    /// `caloflow bench` compares the lane kernel with.
    func mapElementwise(inverse: Bool, inputs: UnsafePointer<Float>, params: UnsafePointer<Float>,
                        outputs: UnsafeMutablePointer<Float>, logDerivatives: UnsafeMutablePointer<Float>,
                        count: Int) {
        map(inverse: inverse, inputs, params, outputs, logDerivatives, count)
    }

    /// The Float backward passes one element at a time through `SplineKernel` (no lanes): the
    /// baseline `caloflow bench` compares the lane kernel with.
    func backwardElementwise(inverse: Bool, inputs: UnsafePointer<Float>, params: UnsafePointer<Float>,
                             outputGradients: UnsafePointer<Float>?, logDerivativeGradients: UnsafePointer<Float>?,
                             inputGradients: UnsafeMutablePointer<Float>, paramGradients: UnsafeMutablePointer<Float>,
                             count: Int) {
        backward(inverse: inverse, inputs, params, outputGradients, logDerivativeGradients,
                 inputGradients, paramGradients, count)
    }

    // MARK: - Generic loops

    /// One scratch buffer of 2K values per call (the softmax exponentials), never per element.
    @inline(__always)
    private func map<T: SplineScalar>(inverse: Bool, _ x: UnsafePointer<T>, _ p: UnsafePointer<T>,
                                      _ y: UnsafeMutablePointer<T>, _ ld: UnsafeMutablePointer<T>,
                                      _ count: Int) {
        let kernel = SplineKernel<T>(self), stride = parameterCount, k = bins
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * k) { scratch in
            let ew = scratch.baseAddress!, eh = ew + k
            if inverse {
                for i in 0..<count {
                    (y[i], ld[i]) = kernel.inverse(x[i], params: p + i * stride, ew: ew, eh: eh)
                }
            } else {
                for i in 0..<count {
                    (y[i], ld[i]) = kernel.forward(x[i], params: p + i * stride, ew: ew, eh: eh)
                }
            }
        }
    }

    @inline(__always)
    private func backward<T: SplineScalar>(inverse: Bool, _ x: UnsafePointer<T>, _ p: UnsafePointer<T>,
                                           _ gOut: UnsafePointer<T>?, _ gLog: UnsafePointer<T>?,
                                           _ gIn: UnsafeMutablePointer<T>, _ gP: UnsafeMutablePointer<T>,
                                           _ count: Int) {
        let kernel = SplineKernel<T>(self), stride = parameterCount, k = bins
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * k) { scratch in
            let ew = scratch.baseAddress!, eh = ew + k
            for i in 0..<count {
                let go = gOut?[i] ?? 0, gl = gLog?[i] ?? 0
                let pi = p + i * stride, gi = gP + i * stride
                gIn[i] = inverse
                    ? kernel.inverseBackward(x[i], outputGradient: go, logDerivativeGradient: gl,
                                             params: pi, gradients: gi, ew: ew, eh: eh)
                    : kernel.forwardBackward(x[i], outputGradient: go, logDerivativeGradient: gl,
                                             params: pi, gradients: gi, ew: ew, eh: eh)
            }
        }
    }
}
