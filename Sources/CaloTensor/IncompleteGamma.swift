import Glibc

/// The regularized incomplete gamma functions P(a, x) = γ(a, x) / Γ(a) and Q = 1 − P, in Double.
///
/// Power series for x < a + 1, modified Lentz continued fraction for Q otherwise (the method
/// of Numerical Recipes §6.2, written from the formulas); relative accuracy about 1e-14, and
/// each function is computed on the side where it does not cancel (Q stays accurate in the
/// upper tail, e.g. for χ² p-values). Used by the shower simulator (longitudinal profiles,
/// with ln Γ(a) cached per shower) and by the evaluation (χ² distribution).
/// Edge cases: x ≤ 0 → P = 0, Q = 1; x = +∞ → P = 1, Q = 0; a must be > 0.
public enum IncompleteGamma {
    /// ln Γ(a) (thread-safe `lgamma_r`).
    @inlinable
    public static func logGamma(_ a: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(a, &sign)
    }

    /// P(a, x).
    @inlinable
    public static func regularizedP(_ a: Double, _ x: Double) -> Double {
        regularizedP(a, x, logGammaA: logGamma(a))
    }

    /// Q(a, x) = 1 − P(a, x).
    @inlinable
    public static func regularizedQ(_ a: Double, _ x: Double) -> Double {
        if !(x > 0) { return 1 }
        if x == .infinity { return 0 }
        let lg = logGamma(a)
        return x < a + 1 ? 1 - series(a, x, logGammaA: lg) : continuedFraction(a, x, logGammaA: lg)
    }

    /// P(a, x) with a precomputed ln Γ(a): the shower loops evaluate one profile at ~80 depths.
    @inlinable
    public static func regularizedP(_ a: Double, _ x: Double, logGammaA: Double) -> Double {
        if !(x > 0) { return 0 }
        if x == .infinity { return 1 }
        return x < a + 1 ? min(1, series(a, x, logGammaA: logGammaA)) : max(0, 1 - continuedFraction(a, x, logGammaA: logGammaA))
    }

    /// P by its series: e^-x x^a / Γ(a+1) Σ_n x^n / ((a+1)...(a+n)).
    @inlinable
    static func series(_ a: Double, _ x: Double, logGammaA: Double) -> Double {
        var ap = a, term = 1 / a, sum = term
        for _ in 0..<100_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-16 { break }
        }
        return sum * exp(a * log(x) - x - logGammaA)
    }

    /// Q by the continued fraction e^-x x^a / Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− ...)), modified Lentz.
    @inlinable
    static func continuedFraction(_ a: Double, _ x: Double, logGammaA: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(a * log(x) - x - logGammaA) * h
    }
}
