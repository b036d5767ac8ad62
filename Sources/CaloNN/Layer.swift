import CaloTensor

/// A differentiable building block: forward caches what backward needs, backward returns the
/// gradient with respect to its input and *adds* into its parameters' `gradient`.
///
/// Shapes are `[batch, features]` throughout. A layer holds the cache of one forward pass only,
/// so a layer used twice in one graph must be two instances (or the caller must run backward
/// before the second forward). `backward` must follow the `forward` whose cache it uses.
///
/// Why a class protocol: the optimizer, the checkpoint writer and the layer share `Parameter`
/// references, and the per-pass cache is mutable state.
public protocol Layer: AnyObject {
    /// Applies the layer to `x` (`[batch, inFeatures]`) and caches what `backward` needs.
    /// - Parameter training: true in training mode (dropout active); false for evaluation.
    /// - Returns: `[batch, outFeatures]`.
    func forward(_ x: Matrix, training: Bool) -> Matrix

    /// Back-propagates `gradOutput` = dL/d(output) (`[batch, outFeatures]`) through the last
    /// forward pass: adds dL/d(parameter) into each parameter's `gradient` and returns
    /// dL/d(input) (`[batch, inFeatures]`).
    func backward(_ gradOutput: Matrix) -> Matrix

    /// The trainable parameters, in a fixed order (checkpoints and optimizers rely on it).
    var parameters: [Parameter] { get }
}

extension Layer {
    /// Sets every parameter's gradient to zero (call before accumulating a new step).
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// Total number of scalar parameters (masked-out entries included, as PyTorch's `numel`).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Evaluation-mode forward pass (`training: false`).
    public func callAsFunction(_ x: Matrix) -> Matrix { forward(x, training: false) }
}

// MARK: - Errors

/// Invalid hyperparameters or restored state: values that come from a config file or a
/// checkpoint, so they are thrown rather than trapped (release builds skip preconditions).
public enum NNError: Error, Equatable, CustomStringConvertible {
    /// A hyperparameter outside its valid range; the message names it and the range.
    case invalidHyperparameter(String)
    /// A restored optimizer state that does not fit the parameters it is restored into.
    case stateMismatch(String)

    public var description: String {
        switch self {
        case .invalidHyperparameter(let m): return "invalid hyperparameter: \(m)"
        case .stateMismatch(let m): return "optimizer state mismatch: \(m)"
        }
    }
}
