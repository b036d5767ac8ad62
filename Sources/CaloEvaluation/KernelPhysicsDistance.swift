import CaloTensor

/// The kernel physics distance (KPD) of Kansal et al. (arXiv:2211.10295) as jetnet computes it
/// (`jetnet.evaluation.kpd`, version 0.2) and the CaloChallenge reports it on its high-level
/// features (×10³):
///
/// 1. both samples are normalised by the reference's largest |value| per feature
///    (`FeatureMatrix.normalised`);
/// 2. `batches` times, draw `batchSize` rows of each sample with replacement and take the
///    unbiased quadratic-time estimate of the squared maximum mean discrepancy
///    MMD² = Σ_{i≠j} k(xᵢ, xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ)/(n(n−1)) − 2 Σ_{i,j} k(xᵢ, yⱼ)/(mn)
///    with the polynomial kernel k(x, y) = (x·y / F + 1)^degree (F features);
/// 3. the value is the median over the batches, the error half the spread between the 16.275 %
///    and 83.725 % quantiles (numpy's linear interpolation), i.e. about one Gaussian sigma.
///
/// jetnet's kernel has degree 4 (its `_mmd_poly_quadratic_unbiased` default, used by `kpd`);
/// the kernel inception distance it derives from uses degree 3. The estimate is unbiased, so
/// two samples of one distribution give values scattered around 0, negative ones included.
public struct KernelPhysicsDistance: Sendable, Equatable, Codable {
    /// jetnet's parameters (its defaults).
    public struct Options: Sendable, Equatable, Codable {
        public var batches = 10
        public var batchSize = 5_000
        public var degree = 4
        public var normalise = true
        public var seed: UInt64 = 42

        public init() {}

        func validate() throws {
            guard batches >= 1 else { throw EvaluationError("KPD: need at least one batch") }
            guard batchSize >= 2 else { throw EvaluationError("KPD: batches need at least 2 showers, got \(batchSize)") }
            guard degree >= 1 else { throw EvaluationError("KPD: kernel degree must be >= 1, got \(degree)") }
        }
    }

    /// Median of the per-batch MMD² estimates, in the normalised features.
    public let value: Double
    /// Half the 16.275–83.725 % interquantile range of the batch estimates.
    public let error: Double
    /// The estimate of every batch, in order.
    public let batchValues: [Double]

    /// value × 10³, the number the CaloChallenge tables quote.
    public var valueTimes1e3: Double { value * 1e3 }
    /// error × 10³.
    public var errorTimes1e3: Double { error * 1e3 }

    /// The KPD between `reference` and `generated` [N, F] (same F).
    ///
    /// - Throws: `EvaluationError` if the feature counts differ, a sample has fewer than 2 rows
    ///   or a non-finite value, or the options are invalid.
    public static func compute(reference: FeatureMatrix, generated: FeatureMatrix,
                               options: Options = Options()) throws -> KernelPhysicsDistance {
        try options.validate()
        try FrechetPhysicsDistance.checkSamples(reference, generated, "KPD")
        let (x, y) = options.normalise ? FeatureMatrix.normalised(reference: reference, generated: generated) : (reference, generated)
        var rng = Xoshiro256(seed: options.seed)
        var values = [Double]()
        for _ in 0..<options.batches {
            let a = x.gatherRows((0..<options.batchSize).map { _ in Int.random(in: 0..<x.rows, using: &rng) })
            let b = y.gatherRows((0..<options.batchSize).map { _ in Int.random(in: 0..<y.rows, using: &rng) })
            values.append(unbiasedMMD(a, rows: options.batchSize, b, rows: options.batchSize, cols: x.cols, degree: options.degree))
        }
        let sorted = values.sorted()
        return KernelPhysicsDistance(value: quantile(sorted, 0.5), error: (quantile(sorted, 0.83725) - quantile(sorted, 0.16275)) / 2,
                                     batchValues: values)
    }

    /// The unbiased MMD² estimate of samples x [m, F] and y [n, F] (row-major) with the
    /// polynomial kernel (x·y/F + 1)^degree. Kernel matrices are formed in blocks of rows, so
    /// memory stays at a few blocks whatever m and n are.
    public static func unbiasedMMD(_ x: [Double], rows m: Int, _ y: [Double], rows n: Int, cols f: Int, degree: Int) -> Double {
        precondition(x.count == m * f && y.count == n * f && m >= 2 && n >= 2, "unbiasedMMD: shapes do not fit")
        let gamma = 1 / Double(f)
        @inline(__always) func kernel(_ dot: Double) -> Double {
            let t = dot * gamma + 1
            var p = 1.0
            for _ in 0..<degree { p *= t }
            return p
        }
        /// Σ over all pairs of k(aᵢ, bⱼ), a [ra, F], b [rb, F].
        func kernelSum(_ a: [Double], _ ra: Int, _ b: [Double], _ rb: Int) -> Double {
            let block = 1024
            var total = 0.0
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    var start = 0
                    while start < ra {
                        let rows = min(block, ra - start)
                        let g = DoubleBLAS.multiply(pa.baseAddress! + start * f, pb.baseAddress!, transposeB: true, m: rows, n: rb, k: f)
                        for v in g { total += kernel(v) }
                        start += rows
                    }
                }
            }
            return total
        }
        func diagonalSum(_ a: [Double], _ r: Int) -> Double {
            var s = 0.0
            for i in 0..<r {
                var d = 0.0
                for j in 0..<f { d += a[i * f + j] * a[i * f + j] }
                s += kernel(d)
            }
            return s
        }
        let xx = (kernelSum(x, m, x, m) - diagonalSum(x, m)) / Double(m * (m - 1))
        let yy = (kernelSum(y, n, y, n) - diagonalSum(y, n)) / Double(n * (n - 1))
        let xy = kernelSum(x, m, y, n) / Double(m * n)
        return xx + yy - 2 * xy
    }

    /// numpy's default (linear) quantile of ascending `sorted` values, q in [0, 1].
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lo = Int(position), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (position - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
