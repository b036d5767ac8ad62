/// The interval of values a numeric option accepts, with open or closed ends.
///
/// Written in help as `1...100`, `>= 1`, `> 0` or `0 < x <= 1`.
public struct AllowedRange: Sendable, Equatable {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    public init(lower: Double? = nil, lowerInclusive: Bool = true,
                upper: Double? = nil, upperInclusive: Bool = true) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// Strictly positive numbers (learning rates, widths).
    public static let positive = AllowedRange(lower: 0, lowerInclusive: false)
    /// Zero or more.
    public static let nonNegative = AllowedRange(lower: 0)

    public static func atLeast(_ x: Double) -> AllowedRange { AllowedRange(lower: x) }
    public static func greaterThan(_ x: Double) -> AllowedRange { AllowedRange(lower: x, lowerInclusive: false) }
    public static func atMost(_ x: Double) -> AllowedRange { AllowedRange(upper: x) }

    public func contains(_ x: Double) -> Bool {
        if let lo = lower, lowerInclusive ? x < lo : x <= lo { return false }
        if let hi = upper, upperInclusive ? x > hi : x >= hi { return false }
        return true
    }

    /// Help and error text for the range; `integer` prints bounds without decimals.
    public func description(integer: Bool) -> String {
        let lo = lower.map { Self.format($0, integer) }
        let hi = upper.map { Self.format($0, integer) }
        switch (lo, hi) {
        case (nil, nil): return "any value"
        case (let l?, nil): return (lowerInclusive ? ">= " : "> ") + l
        case (nil, let h?): return (upperInclusive ? "<= " : "< ") + h
        case (let l?, let h?):
            if lowerInclusive && upperInclusive { return "\(l)...\(h)" }
            return "\(l) \(lowerInclusive ? "<=" : "<") x \(upperInclusive ? "<=" : "<") \(h)"
        }
    }

    static func format(_ x: Double, _ integer: Bool) -> String {
        if integer || (x == x.rounded() && abs(x) < 1e15) { return String(Int(x)) }
        return String(x)
    }
}

// MARK: - Building ranges from Swift range literals

/// Lets option constructors take `1...100`, `1...`, `0.0...1.0` or an `AllowedRange`.
public protocol AllowedRangeConvertible: Sendable {
    var allowedRange: AllowedRange { get }
}

extension AllowedRange: AllowedRangeConvertible {
    public var allowedRange: AllowedRange { self }
}

extension ClosedRange: AllowedRangeConvertible where Bound: BinaryInteger {
    public var allowedRange: AllowedRange { AllowedRange(lower: Double(lowerBound), upper: Double(upperBound)) }
}

extension PartialRangeFrom: AllowedRangeConvertible where Bound: BinaryInteger {
    public var allowedRange: AllowedRange { AllowedRange(lower: Double(lowerBound)) }
}

extension AllowedRange {
    /// `lower...upper`, both ends included.
    public static func between(_ lower: Double, _ upper: Double) -> AllowedRange {
        AllowedRange(lower: lower, upper: upper)
    }
}
