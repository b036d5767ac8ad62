#if canImport(Glibc)
import Glibc
#endif

/// The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a).
///
/// Power series for x < a + 1, modified Lentz continued fraction for Q = 1 − P otherwise
/// (Numerical Recipes §6.2 method, written from the formulas). Relative accuracy ≈ 1e-14.
/// Edge cases: x ≤ 0 → 0; x = +∞ → 1; a must be > 0.
public enum IncompleteGamma {
    /// P(a, x), with ln Γ(a) computed here.
    @inlinable
    public static func regularizedP(_ a: Double, _ x: Double) -> Double {
        regularizedP(a, x, logGammaA: logGamma(a))
    }

    /// ln Γ(a) (thread-safe `lgamma_r`).
    @inlinable
    public static func logGamma(_ a: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(a, &sign)
    }

    /// P(a, x) with a precomputed ln Γ(a): the shower loops evaluate one profile at ~80 depths.
    @inlinable
    public static func regularizedP(_ a: Double, _ x: Double, logGammaA: Double) -> Double {
        if !(x > 0) { return 0 }
        if x == .infinity { return 1 }
        let prefactor = exp(a * log(x) - x - logGammaA)
        if x < a + 1 {
            // Series: P = e^-x x^a / Γ(a+1) Σ x^n / ((a+1)…(a+n)).
            var ap = a, term = 1 / a, sum = term
            for _ in 0..<1000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return min(1, sum * prefactor)
        }
        // Continued fraction for Q(a, x), modified Lentz.
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<1000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return max(0, 1 - prefactor * h)
    }
}
