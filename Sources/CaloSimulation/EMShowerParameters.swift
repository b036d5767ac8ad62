#if canImport(Glibc)
import CaloTensor
import Glibc
#endif

/// Means, widths and correlation of (ln T, ln α) for one GFlash parameter set.
///
/// T is the depth of the profile maximum and α the gamma shape (depth t in X0 from the
/// shower start). Sampling: ln T = ⟨ln T⟩ + σ_T (c1 z1 + c2 z2), ln α = ⟨ln α⟩ + σ_α (c1 z1 − c2 z2)
/// with c1 = √((1+ρ)/2), c2 = √((1−ρ)/2) and z1, z2 ~ N(0,1), so corr(ln T, ln α) = ρ.
public struct GammaProfileFluctuation: Sendable, Equatable {
    public var meanLnT: Double
    public var meanLnAlpha: Double
    public var sigmaLnT: Double
    public var sigmaLnAlpha: Double
    /// Correlation of ln T and ln α, in [−1, 1].
    public var rho: Double

    /// (ln T, ln α) for the standard normals (z1, z2).
    @inlinable
    public func sample(z1: Double, z2: Double) -> (lnT: Double, lnAlpha: Double) {
        let c1 = ((1 + rho) / 2).squareRoot(), c2 = ((1 - rho) / 2).squareRoot()
        return (meanLnT + sigmaLnT * (c1 * z1 + c2 * z2), meanLnAlpha + sigmaLnAlpha * (c1 * z1 - c2 * z2))
    }
}

/// The GFlash (Grindhammer–Peters) EM parameters for one shower energy in the effective
/// medium: homogeneous set (profile of the total deposit), sampling set (profile of the argon
/// deposit and lateral age), spot count.
///
/// Reference: reference-simulator.md sections 2–3; Geant4 GVFlashHomoShowerTuning and
/// GFlashSamplingShowerTuning constants. y = E / Ec_eff (1 GeV → ln y 4.71; 100 GeV → 9.32).
/// Widths use min(0.5, 1/den) with a denominator ≤ 2 (very low energies) giving 0.5.
public struct EMShowerParameters: Sendable, Equatable {
    /// Shower energy in GeV.
    public let energyGeV: Double
    /// ln(E / Ec_eff).
    public let lnY: Double
    /// Effective Z used in the fits.
    public let effectiveZ: Double
    /// Homogeneous set (profile of the total deposit).
    public let homogeneous: GammaProfileFluctuation
    /// Sampling set (profile of the argon deposit; lateral age τ).
    public let sampling: GammaProfileFluctuation
    /// Mean number of spots, 93.6 E^0.959 = (10.3/0.11) E^0.959.
    public let spotCount: Double

    /// - Parameter energyGeV: > 0.
    public init(energyGeV: Double, medium: SamplingMedium = .caloGAN) {
        self.energyGeV = energyGeV
        let z = medium.effectiveZ, fs = medium.samplingFs, ehat = medium.eHat
        let ly = log(1000 * energyGeV / medium.criticalEnergy)
        lnY = ly
        effectiveZ = z
        let tHom = max(ly - 0.812, 0.1)
        let aHom = max(0.81 + (0.458 + 2.26 / z) * ly, 0.1)
        homogeneous = GammaProfileFluctuation(
            meanLnT: log(tHom), meanLnAlpha: log(aHom),
            sigmaLnT: Self.width(-1.4 + 1.26 * ly), sigmaLnAlpha: Self.width(-0.58 + 0.86 * ly),
            rho: min(1, max(-1, 0.705 - 0.023 * ly)))
        sampling = GammaProfileFluctuation(
            meanLnT: log(max(tHom - 0.55 / fs - 0.69 * (1 - ehat), 0.1)),
            meanLnAlpha: log(max(aHom - 0.476 / fs, 0.1)),
            sigmaLnT: Self.width(-2.5 + 1.25 * ly), sigmaLnAlpha: Self.width(-0.82 + 0.79 * ly),
            rho: min(1, max(-1, 0.784 - 0.023 * ly)))
        spotCount = 10.3 / 0.11 * pow(energyGeV, 0.959)
    }

    @inlinable static func width(_ den: Double) -> Double { den > 2 ? 1 / den : 0.5 }

    /// The per-shower profile for the standard normals (z1, z2), shared by both sets.
    public func realize(z1: Double, z2: Double) -> EMShowerRealization {
        let h = homogeneous.sample(z1: z1, z2: z2), s = sampling.sample(z1: z1, z2: z2)
        let tH = exp(h.lnT), aH = max(1.1, exp(h.lnAlpha))
        let tS = max(1, exp(s.lnT)), aS = max(1.1, exp(s.lnAlpha))
        let aBar = max(1.1, exp(sampling.meanLnAlpha))
        let tScale = 0.813 + 0.0019 * effectiveZ, aScale = 0.844 + 0.0026 * effectiveZ
        let tSp = max(0.5, tH * tScale), aSp = max(1.1, aH * aScale)
        let tSpS = max(0.5, tS * tScale), aSpS = max(1.1, aS * aScale)
        return EMShowerRealization(
            tHom: tH, alphaHom: aH, betaHom: (aH - 1) / tH,
            tSampling: tS, alphaSampling: aS, betaSampling: (aS - 1) / tS,
            ageScale: (1 / tS) * ((aS - 1) / aS) * (aBar / (aBar - 1)),
            alphaSpot: aSp, betaSpot: (aSp - 1) / tSp,
            alphaSpotSampling: aSpS, betaSpotSampling: (aSpS - 1) / tSpS)
    }
}

/// One shower's sampled longitudinal parameters (after the Geant4 clamps T_s ≥ 1,
/// α_s ≥ 1.1, α_h ≥ 1.1). β = (α − 1)/T per X0.
///
/// The homogeneous set (T_h, α_h) is the profile of the total (lead + argon) deposit; the
/// sampling set (T_s, α_s), which GFlash fits to the *visible* profiles of sampling
/// calorimeters, is the profile of the argon deposit and sets the lateral age. Each has its
/// spot profile (T_sp = (0.813 + 0.0019 Z) T, α_sp = (0.844 + 0.0026 Z) α).
public struct EMShowerRealization: Sendable, Equatable {
    public var tHom: Double, alphaHom: Double, betaHom: Double
    public var tSampling: Double, alphaSampling: Double, betaSampling: Double
    /// τ = ageScale · t (t in X0 from the shower start): (1/T_s)((α_s−1)/α_s)(ᾱ/(ᾱ−1)).
    public var ageScale: Double
    /// Spot profile of the total deposit (α_sp ≈ 1.024 α_h, T_sp ≈ 0.945 T_h).
    public var alphaSpot: Double, betaSpot: Double
    /// Spot profile of the argon deposit (α ≈ 1.024 α_s, T ≈ 0.945 T_s).
    public var alphaSpotSampling: Double, betaSpotSampling: Double

    /// Gamma shape and rate (per X0) of the energy and of the spot profile for `deposit`.
    public func profile(_ deposit: DepositMode) -> (alpha: Double, beta: Double, alphaSpot: Double, betaSpot: Double) {
        switch deposit {
        case .total: return (alphaHom, betaHom, alphaSpot, betaSpot)
        case .active: return (alphaSampling, betaSampling, alphaSpotSampling, betaSpotSampling)
        }
    }

    /// Fraction of the shower's `deposit` energy between depths t1 < t2 (X0 from the start).
    public func energyFraction(from t1: Double, to t2: Double, deposit: DepositMode = .total) -> Double {
        let p = profile(deposit)
        let lg = IncompleteGamma.logGamma(p.alpha)
        return IncompleteGamma.regularizedP(p.alpha, p.beta * t2, logGammaA: lg)
            - IncompleteGamma.regularizedP(p.alpha, p.beta * max(0, t1), logGammaA: lg)
    }
}
