import CaloTensor

/// Per-feature standardization x → (x − mean) / std with constants from the training set only,
/// so validation and test rows never leak into the preprocessing.
///
/// The CaloFlow classifier feeds raw inputs (its inputs are already O(1) logs and fractions);
/// standardizing makes Adam at lr 1e-3 behave the same for all three variants (the raw DNN-low
/// voxels are ~1e-5…1e-2 in units of 100 GeV). A feature that is constant in training
/// (std below 1e-12, e.g. a voxel that is always empty) is only centred.
public struct ClassifierStandardizer: Sendable, Equatable, Codable {
    /// Per-feature mean, [F].
    public let mean: [Float]
    /// Per-feature divisor (standard deviation, or 1 for constant features), [F].
    public let scale: [Float]

    /// Fits mean and population standard deviation of each column of `x` [N, F] (Double sums).
    /// An empty matrix gives mean 0 and scale 1.
    public init(fitting x: Matrix) {
        let n = x.rows, f = x.cols
        var sum = [Double](repeating: 0, count: f), sq = [Double](repeating: 0, count: f)
        x.withUnsafeBufferPointer { p in
            for r in 0..<n {
                let row = p.baseAddress! + r * f
                for j in 0..<f { let v = Double(row[j]); sum[j] += v; sq[j] += v * v }
            }
        }
        var m = [Float](repeating: 0, count: f), s = [Float](repeating: 1, count: f)
        if n > 0 {
            for j in 0..<f {
                let mu = sum[j] / Double(n)
                let variance = max(0, sq[j] / Double(n) - mu * mu)
                m[j] = Float(mu)
                let sd = variance.squareRoot()
                s[j] = sd > 1e-12 ? Float(sd) : 1
            }
        }
        mean = m
        scale = s
    }

    /// `x` standardized, same shape. Precondition: `x.cols == mean.count` (internal use only).
    public func apply(_ x: Matrix) -> Matrix {
        var out = x
        let f = x.cols
        precondition(f == mean.count, "ClassifierStandardizer: \(f) features, fitted on \(mean.count)")
        let inv = scale.map { 1 / $0 }
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<x.rows {
                let row = p.baseAddress! + r * f
                for j in 0..<f { row[j] = (row[j] - mean[j]) * inv[j] }
            }
        }
        return out
    }
}
