import CaloTensor

/// An exponential moving average of a list of `Parameter`s (Polyak averaging, as in
/// TensorFlow's `ExponentialMovingAverage` with `num_updates`): after optimizer step t (1, 2, ...)
///
///     d_t = min(d, (1 + t) / (10 + t)),   a ← d_t · a + (1 − d_t) · θ
///
/// starting from a = θ before the first step. The warm-up of d_t lets the average forget the
/// random initial weights within the first few hundred steps; from then on it averages over
/// about 1 / (1 − d) steps, which smooths the step-to-step noise of the weights that a large
/// learning rate leaves. Training uses the raw weights; validation and the `best` checkpoint
/// use the average (`exchange(with:)` swaps them in and out without copying).
///
/// Shapes: one `Matrix` per parameter, in the parameters' order and shapes. Elementwise Float
/// arithmetic in a fixed order, so the result does not depend on threads. A masked entry stays
/// exactly 0 (the average of zeros).
public final class WeightAverage {
    /// The configured decay d, in [0, 1).
    public let decay: Double
    /// The averaged values, one per parameter.
    public private(set) var values: [Matrix]

    /// Starts the average at the parameters' current values.
    /// - Precondition: 0 ≤ decay < 1.
    public init(parameters: [Parameter], decay: Double) {
        precondition(decay >= 0 && decay < 1, "a weight average needs a decay in [0, 1), got \(decay)")
        self.decay = decay
        self.values = parameters.map(\.value)
    }

    /// The decay used after optimizer step `step` (counted from 1).
    public func decay(afterStep step: Int) -> Double {
        min(decay, (1 + Double(max(0, step))) / (10 + Double(max(0, step))))
    }

    /// Folds the parameters' current values in after optimizer step `step` (counted from 1).
    public func update(from parameters: [Parameter], step: Int) {
        precondition(parameters.count == values.count, "the average holds \(values.count) parameters, got \(parameters.count)")
        let d = Float(decay(afterStep: step)), w = 1 - d
        for (i, p) in parameters.enumerated() {
            precondition(p.value.count == values[i].count, "parameter \(p.name) changed shape")
            p.value.storage.withUnsafeBufferPointer { src in
                values[i].storage.withUnsafeMutableBufferPointer { dst in
                    for k in 0..<dst.count { dst[k] = d * dst[k] + w * src[k] }
                }
            }
        }
    }

    /// Swaps the averaged values with the parameters' values (O(1) per parameter): call it
    /// again to put the training weights back.
    public func exchange(with parameters: [Parameter]) {
        precondition(parameters.count == values.count, "the average holds \(values.count) parameters, got \(parameters.count)")
        for (i, p) in parameters.enumerated() {
            precondition(p.value.rows == values[i].rows && p.value.cols == values[i].cols, "parameter \(p.name) changed shape")
            swap(&p.value, &values[i])
        }
    }

    /// Runs `body` with the averaged values in the parameters, and puts the training values
    /// back afterwards (also when `body` throws).
    public func withAveragedWeights<T>(in parameters: [Parameter], _ body: () throws -> T) rethrows -> T {
        exchange(with: parameters)
        defer { exchange(with: parameters) }
        return try body()
    }

    /// Runs `body` with `average`'s values in `parameters` when there is an average, else with
    /// the parameters as they are: what a trainer evaluates and saves as its best model.
    public static func withAveragedWeights<T>(_ average: WeightAverage?, in parameters: [Parameter],
                                              _ body: () throws -> T) rethrows -> T {
        guard let average else { return try body() }
        return try average.withAveragedWeights(in: parameters, body)
    }

    /// Replaces the averaged values (a resumed run's saved average).
    /// - Throws: `NNError.stateMismatch` when the count or a shape differs from the current values.
    public func restore(_ saved: [Matrix]) throws {
        guard saved.count == values.count else {
            throw NNError.stateMismatch("a saved weight average has \(saved.count) tensors, the model \(values.count)")
        }
        for (i, (s, v)) in zip(saved, values).enumerated() where s.rows != v.rows || s.cols != v.cols {
            throw NNError.stateMismatch("tensor \(i) of a saved weight average is \(s.rows) x \(s.cols), the parameter \(v.rows) x \(v.cols)")
        }
        values = saved
    }
}
