import CaloTensor

/// A fixed permutation of the feature axis: `output[:, j] = input[:, indices[j]]`, log|det| = 0.
///
/// CaloFlow's Flow II keeps voxels inside their calorimeter layer: "Rev" reverses each layer
/// segment (0..<288, 288..<432, 432..<504) separately, "Perm" draws an independent random
/// permutation inside each segment once, and the model stores it (the student reuses the
/// teacher's). Flow I uses plain random permutations of its 3 features.
public struct Permutation: Sendable, Equatable, Codable {
    /// `output[j] = input[indices[j]]`.
    public let indices: [Int]
    /// The inverse map: `input[j] = output[inverseIndices[j]]`.
    public let inverseIndices: [Int]

    /// A permutation from explicit indices; they must be a permutation of 0..<n.
    public init(indices: [Int]) throws {
        guard indices.sorted() == Array(0..<indices.count) else {
            throw FlowError.invalidPermutation("indices are not a permutation of 0..<\(indices.count)")
        }
        self.indices = indices
        var inv = [Int](repeating: 0, count: indices.count)
        for (j, i) in indices.enumerated() { inv[i] = j }
        self.inverseIndices = inv
    }

    private init(trusted indices: [Int]) {
        self.indices = indices
        var inv = [Int](repeating: 0, count: indices.count)
        for (j, i) in indices.enumerated() { inv[i] = j }
        self.inverseIndices = inv
    }

    /// Reverses the order inside each segment (segments must tile 0..<n in order).
    public static func reverse(segments: [Range<Int>]) -> Permutation {
        Permutation(trusted: segments.flatMap { $0.reversed() })
    }

    /// An independent uniformly random permutation inside each segment.
    public static func random(segments: [Range<Int>], rng: inout Xoshiro256) -> Permutation {
        Permutation(trusted: segments.flatMap { seg in rng.permutation(seg.count).map { seg.lowerBound + $0 } })
    }

    /// Number of features.
    public var count: Int { indices.count }

    /// Applies the permutation to the columns of `x` [batch, n].
    public func forward(_ x: Matrix) -> Matrix { Permutation.gather(x, indices) }

    /// Undoes the permutation.
    public func inverse(_ y: Matrix) -> Matrix { Permutation.gather(y, inverseIndices) }

    /// `out[:, j] = x[:, map[j]]`.
    static func gather(_ x: Matrix, _ map: [Int]) -> Matrix {
        precondition(x.cols == map.count, "Permutation of \(map.count) features applied to \(x.cols) columns")
        var out = Matrix(rows: x.rows, cols: x.cols)
        let c = x.cols
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                map.withUnsafeBufferPointer { m in
                    for r in 0..<x.rows {
                        let s = src.baseAddress! + r * c, d = dst.baseAddress! + r * c
                        for j in 0..<c { d[j] = s[m[j]] }
                    }
                }
            }
        }
        return out
    }
}

/// Errors raised while building or loading flows.
public enum FlowError: Error, CustomStringConvertible, Equatable {
    case invalidPermutation(String)
    case shapeMismatch(String)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .invalidPermutation(let m): return "invalid permutation: \(m)"
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        case .invalidConfiguration(let m): return "invalid flow configuration: \(m)"
        }
    }
}
