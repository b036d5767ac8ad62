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
    /// polynomial kernel (x·y/F + 1)^degree. Kernel matrices are formed in blocks of rows into one
    /// reused buffer, so memory stays at one block whatever m and n are; the symmetric sums over
    /// x·x and y·y take the blocks on and above the diagonal only.
    public static func unbiasedMMD(_ x: [Double], rows m: Int, _ y: [Double], rows n: Int, cols f: Int, degree: Int) -> Double {
        precondition(x.count == m * f && y.count == n * f && m >= 2 && n >= 2 && degree >= 1, "unbiasedMMD: shapes do not fit")
        let gamma = 1 / Double(f), block = 512
        var buffer = [Double](repeating: 0, count: block * max(m, n))
        @inline(__always) func kernel(_ dot: Double) -> Double {
            let t = dot * gamma + 1
            switch degree {
            case 3: return t * t * t
            case 4: let t2 = t * t; return t2 * t2
            default: var p = t; for _ in 1..<degree { p *= t }; return p
            }
        }
        /// Sum of k over a [rows, cols] block, four independent accumulators.
        func blockSum(_ g: UnsafeMutablePointer<Double>, _ count: Int) -> Double {
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = 0
            while i + 4 <= count {
                s0 += kernel(g[i]); s1 += kernel(g[i + 1]); s2 += kernel(g[i + 2]); s3 += kernel(g[i + 3])
                i += 4
            }
            while i < count { s0 += kernel(g[i]); i += 1 }
            return (s0 + s1) + (s2 + s3)
        }
        /// Σ_{i≠j} k(aᵢ, aⱼ) for a [r, F]: twice the blocks right of the diagonal block plus the
        /// diagonal blocks without their diagonal.
        func offDiagonalSum(_ a: UnsafePointer<Double>, _ r: Int, _ g: UnsafeMutablePointer<Double>) -> Double {
            var total = 0.0
            var start = 0
            while start < r {
                let rows = min(block, r - start), cols = r - start
                DoubleBLAS.multiply(a + start * f, a + start * f, transposeB: true, m: rows, n: cols, k: f, into: g)
                var diagonalBlock = 0.0, rightOfIt = 0.0
                for i in 0..<rows {
                    let row = g + i * cols
                    for j in 0..<rows where j != i { diagonalBlock += kernel(row[j]) }
                    if cols > rows { rightOfIt += blockSum(row + rows, cols - rows) }
                }
                total += diagonalBlock + 2 * rightOfIt
                start += rows
            }
            return total
        }
        /// Σ_{i,j} k(aᵢ, bⱼ) for a [ra, F], b [rb, F].
        func crossSum(_ a: UnsafePointer<Double>, _ ra: Int, _ b: UnsafePointer<Double>, _ rb: Int, _ g: UnsafeMutablePointer<Double>) -> Double {
            var total = 0.0
            var start = 0
            while start < ra {
                let rows = min(block, ra - start)
                DoubleBLAS.multiply(a + start * f, b, transposeB: true, m: rows, n: rb, k: f, into: g)
                total += blockSum(g, rows * rb)
                start += rows
            }
            return total
        }
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                buffer.withUnsafeMutableBufferPointer { pg in
                    let xs = px.baseAddress!, ys = py.baseAddress!, g = pg.baseAddress!
                    let xx = offDiagonalSum(xs, m, g) / Double(m * (m - 1))
                    let yy = offDiagonalSum(ys, n, g) / Double(n * (n - 1))
                    let xy = crossSum(xs, m, ys, n, g) / Double(m * n)
                    return xx + yy - 2 * xy
                }
            }
        }
    }

    /// numpy's default (linear) quantile of ascending `sorted` values, q in [0, 1].
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lo = Int(position), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (position - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
