import CaloTensor

/// A trainable tensor and its gradient: the unit optimizers work on.
///
/// Layers own their parameters and expose them as an explicit list (`parameters`); a backward
/// pass *adds* into `gradient` (so gradients from several uses accumulate), and the training
/// loop calls `zeroGradient()` before each step. A reference type so that a layer, the
/// optimizer and a checkpoint writer all see the same storage.
public final class Parameter: @unchecked Sendable {
    /// Name used in checkpoints (unique within a model, e.g. "teacher.block3.made.output.weight").
    public var name: String
    /// Current value.
    public var value: Matrix
    /// Accumulated gradient of the loss with respect to `value`; same shape.
    public var gradient: Matrix
    /// Optional 0/1 mask of the same shape: entries where it is 0 are structurally zero
    /// (MADE connectivity); optimizers keep them at zero.
    public var mask: Matrix?

    public init(name: String, value: Matrix, mask: Matrix? = nil) {
        if let mask { precondition(mask.rows == value.rows && mask.cols == value.cols, "Parameter \(name): mask shape differs from value shape") }
        self.name = name
        self.value = value
        self.gradient = Matrix(rows: value.rows, cols: value.cols)
        self.mask = mask
    }

    /// Number of scalar entries.
    public var count: Int { value.count }

    /// Sets the gradient to zero.
    public func zeroGradient() { gradient.fill(0) }
}
