import CaloTensor
import Glibc

// MARK: - Scalar functions (numerically stable)

/// max(x, 0).
@inlinable public func relu(_ x: Float) -> Float { x > 0 ? x : 0 }

/// x for x > 0, slope·x otherwise (PyTorch's LeakyReLU; CaloFlow's classifier uses slope 0.01).
@inlinable public func leakyReLU(_ x: Float, slope: Float) -> Float { x > 0 ? x : slope * x }

/// 1 / (1 + e^(−x)), evaluated so that neither branch overflows: exactly 0 or 1 only where
/// the result rounds there.
@inlinable public func sigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

/// Double-precision sigmoid (losses, schedules, preprocessing).
@inlinable public func sigmoid(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + Glibc.exp(-x)) }
    let e = Glibc.exp(x)
    return e / (1 + e)
}

/// ln(p / (1 − p)), the inverse of `sigmoid`. Edge cases: ±infinity at p = 1 / 0, NaN outside [0, 1].
@inlinable public func logit(_ p: Float) -> Float { logf(p) - log1pf(-p) }

/// Double-precision logit.
@inlinable public func logit(_ p: Double) -> Double { Glibc.log(p) - Glibc.log1p(-p) }

/// ln(1 + e^x) = max(x, 0) + ln(1 + e^(−|x|)): no overflow for large x, no loss for small.
@inlinable public func softplus(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }

/// Double-precision softplus.
@inlinable public func softplus(_ x: Double) -> Double { max(x, 0) + Glibc.log1p(Glibc.exp(-abs(x))) }

/// ln σ(x) = −softplus(−x): finite (≈ x) for very negative x where ln(sigmoid(x)) would be −∞.
@inlinable public func logSigmoid(_ x: Float) -> Float { -softplus(-x) }

/// Double-precision log-sigmoid.
@inlinable public func logSigmoid(_ x: Double) -> Double { -softplus(-x) }

// MARK: - Elementwise over matrices

extension Matrix {
    /// A new matrix with the Float function `f` applied elementwise over unsafe buffers.
    @inlinable public func applying(_ f: (Float) -> Float) -> Matrix {
        var out = Matrix(rows: rows, cols: cols)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in for k in 0..<src.count { dst[k] = f(src[k]) } }
        }
        return out
    }
}

/// Elementwise `relu`.
public func relu(_ x: Matrix) -> Matrix { x.applying { relu($0) } }
/// Elementwise `leakyReLU`.
public func leakyReLU(_ x: Matrix, slope: Float) -> Matrix { x.applying { leakyReLU($0, slope: slope) } }
/// Elementwise `sigmoid`.
public func sigmoid(_ x: Matrix) -> Matrix { x.applying { sigmoid($0) } }
/// Elementwise `logit`.
public func logit(_ x: Matrix) -> Matrix { x.applying { logit($0) } }
/// Elementwise `softplus`.
public func softplus(_ x: Matrix) -> Matrix { x.applying { softplus($0) } }
/// Elementwise `logSigmoid`.
public func logSigmoid(_ x: Matrix) -> Matrix { x.applying { logSigmoid($0) } }

// MARK: - Layers

/// Rectified linear unit layer. Caches its output; the derivative at exactly 0 is taken as 0.
public final class ReLU: Layer {
    private var output = Matrix(rows: 0, cols: 0)
    public init() {}
    public var parameters: [Parameter] { [] }
    public func forward(_ x: Matrix, training: Bool) -> Matrix { output = relu(x); return output }
    public func backward(_ gradOutput: Matrix) -> Matrix {
        elementwiseBackward(gradOutput, output, "ReLU") { g, y in y > 0 ? g : 0 }
    }
}

/// Leaky ReLU layer with a fixed negative-side `slope`. Caches its input.
public final class LeakyReLU: Layer {
    public let slope: Float
    private var input = Matrix(rows: 0, cols: 0)
    public init(slope: Float = 0.01) { self.slope = slope }
    public var parameters: [Parameter] { [] }
    public func forward(_ x: Matrix, training: Bool) -> Matrix { input = x; return leakyReLU(x, slope: slope) }
    public func backward(_ gradOutput: Matrix) -> Matrix {
        let s = slope
        return elementwiseBackward(gradOutput, input, "LeakyReLU") { g, x in x > 0 ? g : s * g }
    }
}

/// Logistic sigmoid layer. Caches its output y; dy/dx = y (1 − y).
public final class Sigmoid: Layer {
    private var output = Matrix(rows: 0, cols: 0)
    public init() {}
    public var parameters: [Parameter] { [] }
    public func forward(_ x: Matrix, training: Bool) -> Matrix { output = sigmoid(x); return output }
    public func backward(_ gradOutput: Matrix) -> Matrix {
        elementwiseBackward(gradOutput, output, "Sigmoid") { g, y in g * y * (1 - y) }
    }
}

/// `out[k] = f(g[k], cached[k])` over unsafe buffers, after a shape check.
@inline(__always)
func elementwiseBackward(_ g: Matrix, _ cached: Matrix, _ layer: String, _ f: (Float, Float) -> Float) -> Matrix {
    precondition(g.rows == cached.rows && g.cols == cached.cols,
                 "\(layer).backward: gradient is \(g.rows)x\(g.cols), forward output was \(cached.rows)x\(cached.cols)")
    var out = Matrix(rows: g.rows, cols: g.cols)
    g.withUnsafeBufferPointer { pg in
        cached.withUnsafeBufferPointer { pc in
            out.withUnsafeMutableBufferPointer { po in for k in 0..<po.count { po[k] = f(pg[k], pc[k]) } }
        }
    }
    return out
}
