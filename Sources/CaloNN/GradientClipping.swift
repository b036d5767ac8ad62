import CaloTensor

/// Rescales all gradients together so that their global L2 norm is at most `maxNorm`
/// (PyTorch's `clip_grad_norm_`, without its 1e-6 fudge: the norm after clipping is `maxNorm`
/// up to Float rounding).
///
/// - Returns: the global norm *before* clipping, √(Σ g²) over every entry of every parameter,
///   accumulated in Double. Edge cases: when the norm is not finite the gradients are left
///   untouched and the non-finite norm is returned, so the training loop can stop with a clear
///   message instead of writing NaN into every parameter.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) -> Double {
    let norm = gradientNorm(parameters)
    guard norm.isFinite, norm > maxNorm, norm > 0 else { return norm }
    let scale = Float(maxNorm / norm)
    for p in parameters { p.gradient.scale(by: scale) }
    return norm
}

/// `clipGradientNorm` over the gradients held in `gradients` (the parameters' own `gradient`
/// matrices are not read): the same sums in the same order, so equal gradients give the same norm.
@discardableResult
public func clipGradientNorm(_ gradients: GradientBuffer, maxNorm: Double) -> Double {
    let norm = gradientNorm(gradients)
    guard norm.isFinite, norm > maxNorm, norm > 0 else { return norm }
    gradients.scale(by: Float(maxNorm / norm))
    return norm
}

/// Global L2 norm of the gradients in `gradients`, parameter by parameter in layout order, in Double.
public func gradientNorm(_ gradients: GradientBuffer) -> Double {
    var total = 0.0
    for i in 0..<gradients.layout.parameterCount { total += gradients.sumOfSquares(parameter: i) }
    return total.squareRoot()
}

/// Global L2 norm of the gradients of `parameters`, accumulated in Double.
public func gradientNorm(_ parameters: [Parameter]) -> Double {
    var total = 0.0
    for p in parameters { total += p.gradient.withUnsafeBufferPointer { sumOfSquares($0) } }
    return total.squareRoot()
}

/// Σ x² in Double with four independent SIMD lanes of partial sums (a fixed order, so the
/// result is deterministic, and vectorised unlike a single scalar accumulator).
func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Double {
    var acc0 = SIMD4<Double>(), acc1 = SIMD4<Double>()
    let n = x.count, base = x.baseAddress
    var k = 0
    while k + 8 <= n {
        let a = SIMD4<Double>(Double(base![k]), Double(base![k + 1]), Double(base![k + 2]), Double(base![k + 3]))
        let b = SIMD4<Double>(Double(base![k + 4]), Double(base![k + 5]), Double(base![k + 6]), Double(base![k + 7]))
        acc0 += a * a
        acc1 += b * b
        k += 8
    }
    var s = (acc0 + acc1).sum()
    while k < n { let d = Double(base![k]); s += d * d; k += 1 }
    return s
}
