#if canImport(Glibc)
import Glibc
#endif

/// The periodic absorber/active stack seen as one effective medium, following the GFlash
/// sampling class (reference-simulator.md, section 1 "effective medium").
///
/// All effective constants are computed from the two `Material`s and the layer thicknesses:
/// mass weights wᵢ = dᵢρᵢ / Σ dⱼρⱼ; Z_eff = Σ wᵢZᵢ; 1/X0_eff = Σ (dᵢ/d)/X0ᵢ (lengths in mm);
/// Ec_eff = X0_eff[g/cm²] Σ wᵢ Ecᵢ/X0ᵢ[g/cm²]; R_M = 21.2 MeV · X0_eff / Ec_eff;
/// Fs = X0_eff / (d_abs + d_act); ê = 1 / (1 + 0.007 (Z_abs − Z_act)).
/// For CaloGAN (2 mm Pb + 4 mm LAr): Z_eff 69.41, X0 15.59 mm, Ec 8.96 MeV, R_M 36.9 mm,
/// Fs 2.599, ê 0.691, λ_I 374.6 mm.
public struct SamplingMedium: Sendable, Equatable {
    public let absorber: Material
    public let active: Material
    /// Absorber thickness per period in mm (upstream part of each period).
    public let absorberThickness: Double
    /// Active thickness per period in mm.
    public let activeThickness: Double

    // MARK: - Effective constants (computed once in init)

    /// Mass weight of the absorber (0.803 for CaloGAN).
    public let absorberMassWeight: Double
    /// Effective atomic number Z_eff.
    public let effectiveZ: Double
    /// Effective molar mass in g/mol.
    public let effectiveA: Double
    /// Mean density in g/cm³.
    public let effectiveDensity: Double
    /// Effective radiation length in mm.
    public let radiationLength: Double
    /// Effective critical energy in MeV.
    public let criticalEnergy: Double
    /// Effective Molière radius in mm.
    public let moliereRadius: Double
    /// Effective nuclear interaction length in mm.
    public let interactionLength: Double
    /// GFlash Fs = X0_eff / period thickness.
    public let samplingFs: Double
    /// GFlash ê = 1/(1 + 0.007 (Z_abs − Z_act)), the e/mip ratio of its fits (0.691); a variable of
    /// the GFlash sampling parametrisation only (the argon response uses `ActiveResponse`).
    public let eHat: Double
    /// Fraction of a MIP's energy loss deposited in the active layers (0.249 for CaloGAN).
    public let mipSamplingFraction: Double

    public init(absorber: Material, active: Material, absorberThickness: Double, activeThickness: Double) {
        self.absorber = absorber
        self.active = active
        self.absorberThickness = absorberThickness
        self.activeThickness = activeThickness
        let period = absorberThickness + activeThickness
        let massAbs = absorberThickness * absorber.density, massAct = activeThickness * active.density
        let wAbs = massAbs / (massAbs + massAct), wAct = 1 - wAbs
        absorberMassWeight = wAbs
        effectiveZ = wAbs * absorber.atomicNumber + wAct * active.atomicNumber
        effectiveA = wAbs * absorber.atomicMass + wAct * active.atomicMass
        effectiveDensity = (massAbs + massAct) / period
        let fAbs = absorberThickness / period, fAct = activeThickness / period
        radiationLength = 1 / (fAbs / absorber.radiationLengthMM + fAct / active.radiationLengthMM)
        interactionLength = 1 / (fAbs / absorber.interactionLengthMM + fAct / active.interactionLengthMM)
        let x0Mass = radiationLength / 10 * effectiveDensity
        criticalEnergy = x0Mass * (wAbs * absorber.criticalEnergyMeV / absorber.radiationLengthMass
                                   + wAct * active.criticalEnergyMeV / active.radiationLengthMass)
        moliereRadius = 21.2 * radiationLength / criticalEnergy
        samplingFs = radiationLength / period
        eHat = 1 / (1 + 0.007 * (absorber.atomicNumber - active.atomicNumber))
        let mipAbs = absorber.minimumIonization * massAbs, mipAct = active.minimumIonization * massAct
        mipSamplingFraction = mipAct / (mipAbs + mipAct)
    }

    /// The CaloGAN stack: 2 mm Pb upstream, 4 mm LAr.
    public static let caloGAN = SamplingMedium(absorber: .lead, active: .liquidArgon,
                                               absorberThickness: 2, activeThickness: 4)
}
