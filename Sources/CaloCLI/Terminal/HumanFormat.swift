/// Human-readable durations, rates and sizes for progress lines and summaries.
/// Pure string formatting (no Foundation): rounding is half away from zero.
public enum HumanFormat {
    /// `x` with exactly `decimals` digits after the point, e.g. `fixed(3.14159, 2) == "3.14"`.
    /// Non-finite values print as `nan`, `inf`, `-inf`.
    public static func fixed(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<max(0, decimals) { scale *= 10 }
        let scaled = (abs(x) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return String(x) }
        let digits = String(UInt64(scaled))
        let sign = x < 0 && scaled > 0 ? "-" : ""
        guard decimals > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        return sign + padded.dropLast(decimals) + "." + padded.suffix(decimals)
    }

    /// `350ms`, `4.2ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 04h`; `?` for negative or non-finite.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 0.01 { return fixed(seconds * 1000, 1) + "ms" }
        if seconds < 1 { return fixed(seconds * 1000, 0) + "ms" }
        if seconds < 59.95 { return fixed(seconds, 1) + "s" }
        let total = Int(seconds.rounded())
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if total < 3600 { return "\(total / 60)m \(two(total % 60))s" }
        if total < 86400 { return "\(total / 3600)h \(two(total % 3600 / 60))m" }
        return "\(total / 86400)d \(two(total % 86400 / 3600))h"
    }

    /// Three significant digits with k/M/G prefixes: `0.0512 showers/s`, `812 showers/s`,
    /// `12.3k showers/s`. `?` for a negative or non-finite rate.
    public static func rate(_ perSecond: Double, unit: String) -> String {
        guard perSecond.isFinite, perSecond >= 0 else { return "? \(unit)/s" }
        let (number, prefix) = significant(perSecond)
        return number + prefix + " \(unit)/s"
    }

    /// Bytes with decimal prefixes: `512 B`, `1.50 kB`, `180 MB`, `2.10 GB`.
    public static func bytes(_ count: Int) -> String {
        if count < 1000 { return "\(count) B" }
        let (number, prefix) = significant(Double(count))
        return number + " " + prefix + "B"
    }

    /// Three significant digits and a k/M/G/T prefix from 1000 up.
    static func significant(_ x: Double) -> (number: String, prefix: String) {
        var value = x
        var prefix = ""
        for candidate in ["k", "M", "G", "T"] where value >= 999.5 {
            value /= 1000
            prefix = candidate
        }
        let decimals: Int
        if value >= 99.95 { decimals = 0 }
        else if value >= 9.995 { decimals = 1 }
        else if value >= 0.9995 || value == 0 { decimals = 2 }
        else { decimals = min(8, 2 - Int(value.decimalExponent)) }
        return (fixed(value, decimals), prefix)
    }
}

private extension Double {
    /// floor(log10(self)) for positive values, without Foundation.
    var decimalExponent: Double {
        var e = 0.0, v = self
        while v < 1 { v *= 10; e -= 1 }
        return e
    }
}
