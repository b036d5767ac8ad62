/// A sample of feature vectors in Double precision: `rows` showers by `cols` features,
/// row-major. The input of the physics distances (`FrechetPhysicsDistance`,
/// `KernelPhysicsDistance`).
public struct FeatureMatrix: Sendable, Equatable {
    /// Number of showers N.
    public let rows: Int
    /// Number of features F.
    public let cols: Int
    /// [N, F] row-major.
    public private(set) var values: [Double]

    /// A matrix from row-major values. Throws unless `values.count == rows * cols`.
    public init(rows: Int, cols: Int, values: [Double]) throws {
        guard rows >= 0, cols >= 1, values.count == rows * cols else {
            throw EvaluationError("FeatureMatrix: \(rows)x\(cols) needs \(max(0, rows) * max(0, cols)) values, got \(values.count)")
        }
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// A matrix from feature columns, each [N]. Throws if there are none or their lengths differ.
    public init(columns: [[Double]]) throws {
        guard let n = columns.first?.count else { throw EvaluationError("FeatureMatrix: no feature columns") }
        guard columns.allSatisfy({ $0.count == n }) else {
            throw EvaluationError("FeatureMatrix: feature columns of different lengths \(Set(columns.map(\.count)).sorted())")
        }
        var v = [Double](repeating: 0, count: n * columns.count)
        for (j, c) in columns.enumerated() { for i in 0..<n { v[i * columns.count + j] = c[i] } }
        try self.init(rows: n, cols: columns.count, values: v)
    }

    /// Entry (i, j).
    public subscript(i: Int, j: Int) -> Double { values[i * cols + j] }

    /// The first row and column holding a NaN or infinity, if any.
    public var firstNonFinite: (row: Int, col: Int)? {
        values.firstIndex { !$0.isFinite }.map { ($0 / cols, $0 % cols) }
    }

    /// Rows `indices` (repeats allowed) as a row-major [indices.count, F] buffer.
    func gatherRows(_ indices: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: indices.count * cols)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (r, i) in indices.enumerated() {
                    for j in 0..<cols { dst[r * cols + j] = src[i * cols + j] }
                }
            }
        }
        return out
    }

    /// Both samples with every feature divided by the reference's largest |value| of that
    /// feature (1 for a feature that is 0 throughout): jetnet's `normalise_features`, which puts
    /// all features on a common scale before FPD and KPD. The generated sample is scaled with
    /// the reference's factors, so a difference in scale survives.
    public static func normalised(reference: FeatureMatrix, generated: FeatureMatrix) -> (FeatureMatrix, FeatureMatrix) {
        precondition(reference.cols == generated.cols, "FeatureMatrix.normalised: \(reference.cols) and \(generated.cols) features")
        var scale = [Double](repeating: 0, count: reference.cols)
        for i in 0..<reference.rows { for j in 0..<reference.cols { scale[j] = max(scale[j], abs(reference[i, j])) } }
        for j in scale.indices where !(scale[j] > 0) || !scale[j].isFinite { scale[j] = 1 }
        func apply(_ m: FeatureMatrix) -> FeatureMatrix {
            var out = m
            for i in 0..<m.rows { for j in 0..<m.cols { out.values[i * m.cols + j] /= scale[j] } }
            return out
        }
        return (apply(reference), apply(generated))
    }
}
