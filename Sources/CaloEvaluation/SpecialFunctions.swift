import Glibc
import CaloTensor

/// Special functions in Double for the latent-space checks: the regularized incomplete gamma
/// function, the chi-squared distribution and the Kolmogorov distribution.
public enum SpecialFunctions {
    // MARK: - Incomplete gamma

    /// Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), a > 0, x >= 0 (CaloTensor's
    /// `IncompleteGamma`, shared with the simulator). Returns NaN for a <= 0, x < 0 or NaN input.
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, a.isFinite else { return .nan }
        return IncompleteGamma.regularizedP(a, x)
    }

    /// Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate in the upper tail.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, a.isFinite else { return .nan }
        return IncompleteGamma.regularizedQ(a, x)
    }

    // MARK: - Chi-squared

    /// CDF of the chi-squared distribution with `k` degrees of freedom: P(k/2, x/2); 0 for x <= 0.
    public static func chiSquaredCDF(_ x: Double, degreesOfFreedom k: Double) -> Double {
        x <= 0 ? 0 : regularizedGammaP(k / 2, x / 2)
    }

    /// Density of the chi-squared distribution with `k` degrees of freedom; 0 for x < 0.
    public static func chiSquaredPDF(_ x: Double, degreesOfFreedom k: Double) -> Double {
        if x < 0 { return 0 }
        if x == 0 { return k == 2 ? 0.5 : (k < 2 ? .infinity : 0) }
        let h = k / 2
        return Glibc.exp((h - 1) * Glibc.log(x) - x / 2 - h * Glibc.log(2.0) - Glibc.lgamma(h))
    }

    // MARK: - Kolmogorov distribution

    /// Survival function of the Kolmogorov distribution, Q(λ) = P(K > λ) =
    /// 2 Σ_{j>=1} (−1)^{j−1} exp(−2 j² λ²); for small λ the equivalent theta-function form
    /// 1 − √(2π)/λ Σ_j exp(−(2j−1)² π² / (8 λ²)) converges faster. Q(0) = 1.
    public static func kolmogorovSurvival(_ lambda: Double) -> Double {
        guard lambda > 0 else { return 1 }
        if lambda < 1.18 {
            let f = -Double.pi * Double.pi / (8 * lambda * lambda)
            var s = 0.0
            for j in 1...20 {
                let m = Double(2 * j - 1)
                let t = Glibc.exp(f * m * m)
                s += t
                if t < 1e-17 * s { break }
            }
            return max(0, min(1, 1 - (2 * Double.pi).squareRoot() / lambda * s))
        }
        var s = 0.0, sign = 1.0
        for j in 1...100 {
            let jd = Double(j)
            let t = Glibc.exp(-2 * jd * jd * lambda * lambda)
            s += sign * t
            sign = -sign
            if t < 1e-17 { break }
        }
        return max(0, min(1, 2 * s))
    }
}
