#if canImport(Glibc)
import Glibc
#endif

/// The GFlash two-component radial profile with the sampling corrections
/// (reference-simulator.md section 3): per unit r,
/// f(r) = p·2r Rc²/(r² + Rc²)² + (1 − p)·2r Rt²/(r² + Rt²)², as a function of the age τ.
///
/// Rc = z1 + z2 τ; Rt = k1[e^(k3(τ−k2)) + e^(k4(τ−k2))]; p = p1 exp((p2−τ)/p3 − e^((p2−τ)/p3)),
/// plus Rc += −0.0203(1−ê) + (0.0397/Fs)e^(−τ), Rt += −0.14(1−ê) − (0.495/Fs)e^(−τ),
/// p += (1−ê)(0.348 − (0.642/Fs)e^(−(τ−1)²)); then p ∈ [0,1], Rc, Rt ≥ 1e-3 R_M.
/// At 10 GeV: τ = 1 gives Rc 4.5 mm, Rt 22 mm, p 0.91.
public struct EMLateralProfile: Sendable, Equatable {
    public let moliereRadius: Double
    let z1: Double, z2: Double, k1: Double, k2: Double, k3: Double, k4: Double
    let p1: Double, p2: Double, p3: Double, oneMinusEHat: Double, fs: Double

    /// - Parameter energyGeV: shower energy (> 0), enters through ln E.
    public init(energyGeV: Double, medium: SamplingMedium = .caloGAN) {
        let z = medium.effectiveZ, lnE = log(energyGeV)
        moliereRadius = medium.moliereRadius
        z1 = 0.0251 + 0.00319 * lnE
        z2 = 0.1162 - 0.000381 * z
        k1 = 0.659 - 0.00309 * z
        k2 = 0.645
        k3 = -2.59
        k4 = 0.3585 + 0.0412 * lnE
        p1 = 2.632 - 0.00094 * z
        p2 = 0.401 + 0.00187 * z
        p3 = 1.313 - 0.0686 * lnE
        oneMinusEHat = 1 - medium.eHat
        fs = medium.samplingFs
    }

    /// Core radius, tail radius (both in mm) and core probability at age τ.
    public func parameters(age tau: Double) -> (coreRadius: Double, tailRadius: Double, coreProbability: Double) {
        let eTau = exp(-tau)
        var rc = z1 + z2 * tau
        var rt = k1 * (exp(k3 * (tau - k2)) + exp(k4 * (tau - k2)))
        let q = (p2 - tau) / p3
        var p = p1 * exp(q - exp(q))
        rc += -0.0203 * oneMinusEHat + (0.0397 / fs) * eTau
        rt += -0.14 * oneMinusEHat - (0.495 / fs) * eTau
        p += oneMinusEHat * (0.348 - (0.642 / fs) * exp(-(tau - 1) * (tau - 1)))
        return (max(rc, 1e-3) * moliereRadius, max(rt, 1e-3) * moliereRadius, min(1, max(0, p)))
    }
}

/// Analytic containment of the single-component 2-D density R²/(π(x² + y² + R²)²)
/// (the radial law 2r R²/(r² + R²)²), used as a test oracle.
public enum LateralOracle {
    /// G(X, Y) = (1/2π)[(X/a) atan(Y/a) + (Y/b) atan(X/b)], a = √(X²+R²), b = √(Y²+R²):
    /// the fraction in [0, X]×[0, Y] (signed for negative X or Y).
    public static func cornerIntegral(_ x: Double, _ y: Double, scale r: Double) -> Double {
        let a = (x * x + r * r).squareRoot(), b = (y * y + r * r).squareRoot()
        return ((x / a) * atan(y / a) + (y / b) * atan(x / b)) / (2 * Double.pi)
    }

    /// Expected fraction of the energy of a component with scale `r` (mm), centred at the
    /// origin, that lands in the rectangle [x1, x2]×[y1, y2] (mm).
    public static func containment(x1: Double, x2: Double, y1: Double, y2: Double, scale r: Double) -> Double {
        cornerIntegral(x2, y2, scale: r) - cornerIntegral(x1, y2, scale: r)
            - cornerIntegral(x2, y1, scale: r) + cornerIntegral(x1, y1, scale: r)
    }
}
