import CaloTensor

/// A `Linear` layer with a fixed 0/1 connectivity mask (MADE, Germain et al. 2015,
/// arXiv:1502.03509).
///
/// The mask (`[in, out]`, same layout as `Linear.weight`: entry `(i, j)` connects input `i` to
/// output `j`) is applied once to the initial weights and stored as `weight.mask`; from then on
/// the weights stay dense for sgemm and structurally zero entries stay exactly 0 because
/// `backward` masks their gradient and `Adam` honours `Parameter.mask`. The cost is that of a
/// dense layer; skipping zero blocks is left to callers that know the block structure.
public final class MaskedLinear: Layer {
    /// The underlying dense layer (its `weight.mask` is the connectivity mask).
    public let linear: Linear

    /// - Parameters:
    ///   - mask: `[in, out]` matrix of 0s and 1s.
    ///   - bias, name, rng: as for `Linear` (PyTorch default init, then masked).
    public init(_ inputDimensions: Int, _ outputDimensions: Int, mask: Matrix, bias: Bool = true,
                name: String = "masked", rng: inout Xoshiro256) {
        precondition(mask.rows == inputDimensions && mask.cols == outputDimensions,
                     "MaskedLinear mask must be [\(inputDimensions), \(outputDimensions)], got [\(mask.rows), \(mask.cols)]")
        precondition(mask.storage.allSatisfy { $0 == 0 || $0 == 1 }, "MaskedLinear mask must hold only 0 and 1")
        linear = Linear(inputDimensions, outputDimensions, bias: bias, name: name, rng: &rng)
        Linear.multiply(&linear.weight.value, by: mask)
        linear.weight.mask = mask
    }

    public var weight: Parameter { linear.weight }
    public var bias: Parameter? { linear.bias }
    public var mask: Matrix { linear.weight.mask! }
    public var parameters: [Parameter] { linear.parameters }

    public func forward(_ x: Matrix, training: Bool) -> Matrix { linear.forward(x, training: training) }
    public func backward(_ gradOutput: Matrix) -> Matrix { linear.backward(gradOutput) }
}
