import CaloTensor

/// The latent codes one generated shower is made from: z₁ ~ N(0, I₃) for Flow I (layer
/// energies) and z₂ ~ N(0, I₅₀₄) for Flow II (voxels).
///
/// Every shower draws them from its own random stream, (seed, shower index), so a shower
/// depends only on the seed, its index in the run and its incident energy: not on the batch
/// size, the pass size, the thread count or the showers generated next to it. `caloflow
/// generate` and the embedding library (`CaloInference`) both draw through here, which is what
/// makes the library's shower i equal to generate's shower i.
///
/// Order within a stream: z₁ first (Box–Muller pairs, the unused fourth value dropped), then z₂.
public enum ShowerLatents {
    /// The largest shower index + 1 a stream can address (the index is 56 bits of the stream id).
    public static let indexLimit: UInt64 = 1 << 56

    /// Fills `flowI` (Flow I's features, 3) and `flowII` (Flow II's, 504) with shower `index`'s
    /// latent codes for `seed`.
    @inlinable
    public static func fill(seed: UInt64, shower index: UInt64,
                            flowI: UnsafeMutableBufferPointer<Float>, flowII: UnsafeMutableBufferPointer<Float>) {
        var rng = Xoshiro256(seed: seed, stream: RandomStreams.generation(shower: index))
        rng.fillNormal(flowI)
        rng.fillNormal(flowII)
    }

    /// Latent codes of `count` showers from `firstShower` on, as matrices [count, flowIFeatures]
    /// and [count, flowIIFeatures].
    public static func matrices(seed: UInt64, firstShower: Int, count: Int,
                                flowIFeatures: Int, flowIIFeatures: Int) -> (flowI: Matrix, flowII: Matrix) {
        var z1 = Matrix(rows: count, cols: flowIFeatures), z2 = Matrix(rows: count, cols: flowIIFeatures)
        z1.withUnsafeMutableBufferPointer { p1 in
            z2.withUnsafeMutableBufferPointer { p2 in
                for r in 0..<count {
                    fill(seed: seed, shower: UInt64(firstShower + r),
                         flowI: UnsafeMutableBufferPointer(rebasing: p1[(r * flowIFeatures)..<((r + 1) * flowIFeatures)]),
                         flowII: UnsafeMutableBufferPointer(rebasing: p2[(r * flowIIFeatures)..<((r + 1) * flowIIFeatures)]))
                }
            }
        }
        return (z1, z2)
    }
}
