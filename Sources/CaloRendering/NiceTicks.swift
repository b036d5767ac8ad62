import Foundation

// MARK: - NiceTicks

/// Axis tick positions and labels: 1-2-5 steps on linear axes, decades on logarithmic ones.
public enum NiceTicks {
    /// The 1-2-5 × 10^k step giving about `target` intervals over `span` (> 0).
    public static func niceStep(span: Double, target: Int = 5) -> Double {
        let raw = span / Double(Swift.max(1, target))
        let p = pow(10, floor(log10(raw)))
        let m = raw / p
        let f: Double = m < 1.5 ? 1 : (m < 3.5 ? 2 : (m < 7.5 ? 5 : 10))
        return f * p
    }

    /// Multiples of a 1-2-5 step inside [min, max] (inclusive up to rounding), about `target`
    /// intervals. Returns `[min]` when min == max, `[]` for non-finite input.
    public static func linear(min: Double, max: Double, target: Int = 5) -> [Double] {
        guard min.isFinite, max.isFinite else { return [] }
        let lo = Swift.min(min, max), hi = Swift.max(min, max)
        guard hi > lo else { return [lo] }
        let step = niceStep(span: hi - lo, target: target)
        let eps = step * 1e-9
        var k = ceil((lo - eps) / step)
        var out: [Double] = []
        while k * step <= hi + eps {
            let v = k * step
            out.append(abs(v) < eps ? 0 : v)   // avoid -0 and 1e-17 for the zero tick
            k += 1
        }
        return out
    }

    /// Tick values on a log axis over [min, max] (min > 0): every decade 10^k inside the range;
    /// when fewer than three decades fall inside, also 2·10^k and 5·10^k; for wide ranges every
    /// n-th decade so that at most about 8 labels remain. Empty for invalid ranges.
    public static func logarithmic(min: Double, max: Double) -> [Double] {
        guard min > 0, max > min, min.isFinite, max.isFinite else { return [] }
        let tol = 1e-9
        let k0 = Int(ceil(log10(min) - tol)), k1 = Int(floor(log10(max) + tol))
        let decades = k1 >= k0 ? Array(k0...k1) : []
        if decades.count >= 3 {
            let every = Swift.max(1, Int(ceil(Double(decades.count) / 8)))
            return decades.filter { ($0 - k0) % every == 0 }.map { pow(10, Double($0)) }
        }
        var out: [Double] = []
        for k in (k0 - 1)...(k1 + 1) {
            for m in [1.0, 2.0, 5.0] {
                let v = m * pow(10, Double(k))
                if v >= min * (1 - tol) && v <= max * (1 + tol) { out.append(v) }
            }
        }
        return out
    }

    /// Label for a linear-axis tick with the given step: as many decimals as the step needs,
    /// never "-0". Very large or small magnitudes use exponent notation ("2e+06").
    public static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let mag = Swift.max(abs(v), abs(step))
        if mag >= 1e6 || mag < 1e-4 { return compact(String(format: "%.3g", v)) }
        let decimals = Swift.max(0, Int(-floor(log10(step) + 1e-9)))
        let s = String(format: "%.\(decimals)f", v)
        return s == "-0" ? "0" : s
    }

    /// Label for a log-axis tick: plain decimal between 1e-3 and 1e4 ("0.01", "500"), otherwise
    /// "1e-05"-style exponent notation.
    public static func logLabel(_ v: Double) -> String {
        if v >= 1e-3 && v < 1e5 { return compact(String(format: "%.4g", v)) }
        return compact(String(format: "%.0e", v))
    }

    /// The decimal exponent when `v` is a power of ten (for superscript labels), else nil.
    public static func decadeExponent(_ v: Double) -> Int? {
        guard v > 0 else { return nil }
        let k = log10(v).rounded()
        return abs(v / pow(10, k) - 1) < 1e-9 ? Int(k) : nil
    }

    /// Drops exponent padding ("1e-05" → "1e-5", "2e+06" → "2e6").
    private static func compact(_ s: String) -> String {
        guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return s }
        let mant = s[..<e]
        var exp = s[s.index(after: e)...]
        var sign = ""
        if exp.first == "-" { sign = "-"; exp = exp.dropFirst() } else if exp.first == "+" { exp = exp.dropFirst() }
        let digits = exp.drop { $0 == "0" }
        return "\(mant)e\(sign)\(digits.isEmpty ? "0" : String(digits))"
    }
}
