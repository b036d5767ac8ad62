import CaloTensor

/// Inverted dropout: in training mode each element is zeroed with probability `p` and the
/// survivors are scaled by 1/(1 − p), so the expected output equals the input; in evaluation
/// mode (and for p = 0) it is the identity.
///
/// Randomness comes from the layer's own `generator` stream, so results depend only on its seed
/// and the sequence of calls; save `generator.stateWords` in a checkpoint to resume bit-identically.
public final class Dropout: Layer {
    /// Drop probability, in [0, 1).
    public let p: Double
    /// The layer's random stream (public so a checkpoint can save and restore it).
    public var generator: Xoshiro256

    /// Per-element factor of the last training pass (0 or 1/(1 − p)); empty after an eval pass.
    private var scaleMask = Matrix(rows: 0, cols: 0)
    private var wasIdentity = true

    /// - Throws: `NNError.invalidHyperparameter` unless 0 ≤ p < 1.
    public init(_ p: Double, generator: Xoshiro256) throws {
        guard p >= 0 && p < 1 else { throw NNError.invalidHyperparameter("dropout probability must be in [0, 1), got \(p)") }
        self.p = p
        self.generator = generator
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        wasIdentity = !training || p == 0
        if wasIdentity { return x }
        let keepScale = Float(1 / (1 - p))
        // Compare 24-bit uniforms with a 24-bit threshold: P(drop) = round(p·2^24)/2^24.
        let threshold = UInt64((p * 16_777_216).rounded())
        var mask = Matrix(rows: x.rows, cols: x.cols)
        var out = Matrix(rows: x.rows, cols: x.cols)
        var rng = generator
        x.withUnsafeBufferPointer { px in
            mask.withUnsafeMutableBufferPointer { pm in
                out.withUnsafeMutableBufferPointer { po in
                    for k in 0..<px.count {
                        let keep: Float = (rng.next() >> 40) >= threshold ? keepScale : 0
                        pm[k] = keep
                        po[k] = px[k] * keep
                    }
                }
            }
        }
        generator = rng
        scaleMask = mask
        return out
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        if wasIdentity { return gradOutput }
        return elementwiseBackward(gradOutput, scaleMask, "Dropout") { g, m in g * m }
    }
}
