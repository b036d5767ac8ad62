import Glibc
import CaloTensor

/// The D-dimensional standard normal base distribution of every flow.
public enum StandardNormal {
    /// log N(z; 0, I) per row of `z` [batch, D]: -0.5 * sum z^2 - (D/2) ln(2 pi), in Double.
    public static func logProb(_ z: Matrix) -> [Double] {
        let c = z.cols
        let constant = -0.5 * Double(c) * log(2 * Double.pi)
        return z.withUnsafeBufferPointer { p in
            (0..<z.rows).map { r in
                var s = 0.0
                for j in 0..<c { let v = Double(p[r * c + j]); s += v * v }
                return constant - 0.5 * s
            }
        }
    }

    /// `rows` samples [rows, D], scaled by `width` (1 = standard normal).
    public static func sample(_ rows: Int, _ dimension: Int, width: Float = 1, rng: inout Xoshiro256) -> Matrix {
        Matrix.randomNormal(rows, dimension, std: width, rng: &rng)
    }
}
