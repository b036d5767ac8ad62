import CaloTensor
import Glibc

/// Fully connected layer `y = x W + b`.
///
/// Layout: `weight` is stored **`[in, out]`** (row-major), i.e. the transpose of PyTorch's
/// `nn.Linear.weight`. With that layout every product is one `sgemm` on the stored buffers:
/// forward `y = x W` (no transposes), backward `dW += xᵀ g` (transA), `dx = g Wᵀ` (transB).
/// `bias` is `[1, out]`.
///
/// If `weight.mask` is set (see `MaskedLinear`), the weight gradient is multiplied by the mask,
/// so structurally zero weights receive exactly zero gradient (as `F.linear(x, W * M)` would).
///
/// Initialisation as PyTorch's default: weight and bias ~ U(−1/√in, +1/√in).
public final class Linear: Layer {
    /// `[in, out]` weights.
    public let weight: Parameter
    /// `[1, out]` bias, or nil for a layer without bias.
    public let bias: Parameter?
    public let inputDimensions: Int
    public let outputDimensions: Int

    private var cachedInput = Matrix(rows: 0, cols: 0)

    /// - Parameters:
    ///   - inputDimensions, outputDimensions: feature counts (≥ 1).
    ///   - bias: whether to add a learned bias.
    ///   - name: prefix of the parameter names ("<name>.weight", "<name>.bias").
    ///   - rng: generator for the initial values (advanced by `(in + 1) * out` draws).
    public init(_ inputDimensions: Int, _ outputDimensions: Int, bias: Bool = true,
                name: String = "linear", rng: inout Xoshiro256) {
        precondition(inputDimensions > 0 && outputDimensions > 0,
                     "Linear needs positive dimensions, got \(inputDimensions)x\(outputDimensions)")
        self.inputDimensions = inputDimensions
        self.outputDimensions = outputDimensions
        let bound = Float(1 / Double(inputDimensions).squareRoot())
        weight = Parameter(name: name + ".weight",
                           value: .randomUniform(inputDimensions, outputDimensions, -bound, bound, rng: &rng))
        self.bias = bias ? Parameter(name: name + ".bias",
                                     value: .randomUniform(1, outputDimensions, -bound, bound, rng: &rng)) : nil
    }

    /// A layer over given values (`weight` `[in, out]`, `bias` `[1, out]`), e.g. from a checkpoint.
    public init(weight: Parameter, bias: Parameter?) {
        precondition(bias == nil || (bias!.value.rows == 1 && bias!.value.cols == weight.value.cols),
                     "Linear bias must be [1, \(weight.value.cols)]")
        self.weight = weight
        self.bias = bias
        inputDimensions = weight.value.rows
        outputDimensions = weight.value.cols
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    // MARK: - Forward

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        precondition(x.cols == inputDimensions, "Linear expects \(inputDimensions) input features, got \(x.cols)")
        cachedInput = x
        let n = x.rows, i = inputDimensions, o = outputDimensions
        var y = Matrix(rows: n, cols: o)
        // Bias first, then sgemm with beta = 1: one pass over y instead of two.
        if let bias { Linear.broadcastRows(bias.value, into: &y) }
        x.withUnsafeBufferPointer { px in
            weight.value.withUnsafeBufferPointer { pw in
                y.withUnsafeMutableBufferPointer { py in
                    BLAS.sgemm(m: n, n: o, k: i, a: px.baseAddress!, lda: i, b: pw.baseAddress!, ldb: o,
                               beta: bias == nil ? 0 : 1, c: py.baseAddress!, ldc: o)
                }
            }
        }
        return y
    }

    // MARK: - Backward

    public func backward(_ gradOutput: Matrix) -> Matrix {
        let x = cachedInput
        let n = x.rows, i = inputDimensions, o = outputDimensions
        precondition(gradOutput.rows == n && gradOutput.cols == o,
                     "Linear.backward: gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(n)x\(o)")
        var dx = Matrix(rows: n, cols: i)
        gradOutput.withUnsafeBufferPointer { pg in
            x.withUnsafeBufferPointer { px in
                weight.gradient.withUnsafeMutableBufferPointer { pdw in
                    BLAS.sgemm(transA: true, m: i, n: o, k: n, a: px.baseAddress!, lda: i,
                               b: pg.baseAddress!, ldb: o, beta: 1, c: pdw.baseAddress!, ldc: o)
                }
            }
            weight.value.withUnsafeBufferPointer { pw in
                dx.withUnsafeMutableBufferPointer { pdx in
                    BLAS.sgemm(transB: true, m: n, n: i, k: o, a: pg.baseAddress!, lda: o,
                               b: pw.baseAddress!, ldb: o, beta: 0, c: pdx.baseAddress!, ldc: i)
                }
            }
        }
        if let mask = weight.mask { Linear.multiply(&weight.gradient, by: mask) }
        if let bias { Linear.addColumnSums(of: gradOutput, into: &bias.gradient) }
        return dx
    }

    // MARK: - Kernels

    /// Copies the `[1, cols]` row `row` into every row of `y`.
    static func broadcastRows(_ row: Matrix, into y: inout Matrix) {
        let c = y.cols, n = y.rows
        row.withUnsafeBufferPointer { b in
            y.withUnsafeMutableBufferPointer { py in
                for r in 0..<n { (py.baseAddress! + r * c).update(from: b.baseAddress!, count: c) }
            }
        }
    }

    /// `target[0, j] += Σ_r g[r, j]`, summed in Double (batches of 1000+ rows).
    static func addColumnSums(of g: Matrix, into target: inout Matrix) {
        let c = g.cols, n = g.rows
        var acc = [Double](repeating: 0, count: c)
        g.withUnsafeBufferPointer { pg in
            acc.withUnsafeMutableBufferPointer { a in
                for r in 0..<n {
                    let row = pg.baseAddress! + r * c
                    for j in 0..<c { a[j] += Double(row[j]) }
                }
            }
        }
        target.withUnsafeMutableBufferPointer { t in for j in 0..<c { t[j] += Float(acc[j]) } }
    }

    /// `m *= mask` elementwise (a 0/1 mask, so masked entries become exactly 0).
    static func multiply(_ m: inout Matrix, by mask: Matrix) {
        mask.withUnsafeBufferPointer { pm in
            m.withUnsafeMutableBufferPointer { p in for k in 0..<p.count { p[k] *= pm[k] } }
        }
    }
}

extension Linear: CustomStringConvertible {
    public var description: String {
        "Linear(inputDimensions: \(inputDimensions), outputDimensions: \(outputDimensions), bias: \(bias != nil))"
    }
}
