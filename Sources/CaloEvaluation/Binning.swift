import Glibc

/// Fixed histogram bins on a linear or logarithmic scale.
///
/// `count` bins span [`lower`, `upper`]; bin k is [edges[k], edges[k+1]) except the last, which
/// also holds `upper` (numpy's convention). Log bins are equal in log10 and need `lower > 0`.
public struct Binning: Sendable, Equatable, Codable {
    /// Linear or logarithmic bin spacing.
    public enum Scale: String, Sendable, Codable { case linear, log }

    public let scale: Scale
    public let lower: Double
    public let upper: Double
    /// Number of bins (>= 1).
    public let count: Int
    /// `count + 1` bin edges, increasing; `edges.first == lower`, `edges.last == upper` exactly.
    public let edges: [Double]

    /// Bins of the given scale. Throws if `count < 1`, the range is empty or not finite, or a
    /// log scale has `lower <= 0`.
    public init(scale: Scale, lower: Double, upper: Double, count: Int) throws {
        guard count >= 1 else { throw EvaluationError("Binning: need at least 1 bin, got \(count)") }
        guard lower.isFinite, upper.isFinite, lower < upper else {
            throw EvaluationError("Binning: range must be finite with lower < upper, got [\(lower), \(upper)]")
        }
        if scale == .log, lower <= 0 {
            throw EvaluationError("Binning: log bins need lower > 0, got \(lower)")
        }
        self.init(unchecked: scale, lower, upper, count)
    }

    /// `count` equal bins on [lower, upper].
    public static func linear(_ lower: Double, _ upper: Double, count: Int) throws -> Binning {
        try Binning(scale: .linear, lower: lower, upper: upper, count: count)
    }

    /// `count` bins equal in log10 on [lower, upper], lower > 0.
    public static func log(_ lower: Double, _ upper: Double, count: Int) throws -> Binning {
        try Binning(scale: .log, lower: lower, upper: upper, count: count)
    }

    /// For constants of this module that are known to be valid.
    init(unchecked scale: Scale, _ lower: Double, _ upper: Double, _ count: Int) {
        self.scale = scale
        self.lower = lower
        self.upper = upper
        self.count = count
        var e = [Double](repeating: 0, count: count + 1)
        let logSpan = scale == .log ? Glibc.log(upper / lower) : 0
        for i in 0...count {
            let t = Double(i) / Double(count)
            e[i] = scale == .linear ? lower + (upper - lower) * t : lower * Glibc.exp(logSpan * t)
        }
        e[0] = lower
        e[count] = upper
        edges = e
    }

    // MARK: - Geometry

    /// Bin widths, [count].
    public var widths: [Double] { (0..<count).map { edges[$0 + 1] - edges[$0] } }

    /// Bin centres, [count]: arithmetic for linear bins, geometric for log bins.
    public var centres: [Double] {
        (0..<count).map { (k: Int) -> Double in
            let a = edges[k], b = edges[k + 1]
            return scale == .linear ? 0.5 * (a + b) : (a * b).squareRoot()
        }
    }

    // MARK: - Lookup

    /// The bin holding `x`, or nil when `x` is NaN or outside [lower, upper].
    @inlinable public func index(of x: Double) -> Int? {
        guard x >= lower, x <= upper else { return nil }
        var k: Int
        switch scale {
        case .linear: k = Int((x - lower) / (upper - lower) * Double(count))
        case .log: k = Int(Glibc.log(x / lower) / Glibc.log(upper / lower) * Double(count))
        }
        // The formula can land one bin off next to an edge; the stored edges decide.
        k = min(max(k, 0), count - 1)
        if k < count - 1, x >= edges[k + 1] { k += 1 }
        if k > 0, x < edges[k] { k -= 1 }
        return k
    }
}
