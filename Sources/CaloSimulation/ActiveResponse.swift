#if canImport(Glibc)
import Glibc
#endif

/// How much of the deposited energy the liquid-argon gaps see, and how it fluctuates
/// (the `.active` deposit mode).
///
/// **Mean response.** A minimum-ionising particle leaves f_mip = 0.249 of its energy loss in
/// the argon (`SamplingMedium.mipSamplingFraction`: 0.845 of 3.39 MeV per 2 mm Pb + 4 mm LAr
/// period). An electromagnetic shower leaves less, e/mip · f_mip: most of its energy ends in
/// soft photons (below ~1 MeV) that the lead absorbs by the photoelectric effect, far more
/// often than the argon (σ ∝ Z⁴⁻⁵), so their electrons seldom reach a gap. e/mip = 0.763
/// [set] makes the e+ response 0.190 of E_inc, the Geant4 11 figure for this geometry
/// (issue #14). The GFlash fit ê = 1/(1 + 0.007 ΔZ) = 0.691 (fitted to calorimeters with
/// thicker plates) would give 0.172; with 2 mm (0.36 X0) plates more of the soft electrons
/// made near a plate surface escape into the argon, which raises e/mip. Where the response
/// changes along the shower is in the profile, not here: the visible energy follows the GFlash
/// sampling parametrisation (T, α of the *visible* profile, shifted ≈ 0.4 X0 earlier than
/// the total, `EMShowerParameters.sampling`), so young parts of the shower, whose particles are
/// still MIP-like, have a higher local sampling fraction than its soft tail.
///
/// **Sampling fluctuations.** The argon signal counts gap crossings by shower particles. With
/// Amaldi's estimate (Phys. Scripta 23 (1981) 409) a shower of total deposit E crosses gaps
/// N = E ⟨cos θ⟩ / ΔE_mip times, ΔE_mip = 3.39 MeV per period, ⟨cos θ⟩ = cos(E_s/(π ε_Pb)) =
/// 0.609 (E_s = 21.2 MeV, ε_Pb = 7.36 MeV); each crossing carries on average
/// θ = f_e ΔE_mip / ⟨cos θ⟩ = 1.06 MeV of argon signal (f_e = e/mip · f_mip). A cell whose
/// mean argon deposit is m is drawn from Gamma(shape m/θ, scale θ): the continuous form of
/// Poisson(m/θ) crossings of θ each, so variance = θ m. Gammas of a common scale add, so the
/// cells of a shower add up to Gamma(M/θ, θ) for its whole argon deposit M, a stochastic term
/// a = √(θ/f_e) = 7.5 %/√(E/GeV): the per-shower and the per-cell fluctuations are one model.
///
/// **Hadrons.** A pion that does not interact deposits as a MIP: its argon share f_mip with its
/// own Landau fluctuation, ξ of the argon alone. The non-electromagnetic part of a hadronic
/// shower, after the 40 % that nuclear binding, neutrons and neutrinos take (`PionModel`),
/// deposits by ionisation of charged hadrons and spallation protons and by nuclear γs; per
/// unit of that deposit the argon sees η_h · f_mip, η_h = 0.75 [set]: charged pions are MIPs
/// (η = 1), but the protons and fragments made in the lead (80 % of the mass) mostly stop
/// there (a 20 MeV proton has a 0.8 mm range in lead) and the nuclear γs behave like soft
/// electromagnetic energy (≈ e/mip). This gives h/mip = 0.6 · 0.75 = 0.45 and e/h = 1.7, a
/// non-compensating lead/argon calorimeter (measured e/π of lead/LAr calorimeters 1.3-1.5 at
/// 10-30 GeV). Its argon deposits come in larger quanta: a slow proton that ends in a gap
/// deposits several MeV at once, so the hadronic quantum is θ_h = 4 θ [set], which doubles the
/// relative sampling fluctuation per unit of signal (Wigmans, Calorimetry, 2nd ed. (2017),
/// ch. 4: hadronic sampling fluctuations are about twice the electromagnetic ones).
///
/// **Ionisation quantum.** A sampled cell deposit below W = 23.6 eV (the mean energy per
/// electron–ion pair in liquid argon) is no signal and is stored as 0.
public struct ActiveResponse: Sendable, Equatable {
    /// e/mip of electromagnetic showers in this stack.
    public let electronToMIP: Double
    /// f_mip: argon share of a MIP's energy loss.
    public let mipFraction: Double
    /// Energy loss of a MIP per period, MeV (lead + argon, at the ionisation minimum).
    public let mipLossPerPeriod: Double
    /// ⟨cos θ⟩ of the shower particles crossing a gap (Amaldi).
    public let meanCosine: Double
    /// Mean argon signal per gap crossing of an electromagnetic shower, θ, MeV.
    public let emQuantum: Double
    /// Argon response of deposited non-electromagnetic hadronic energy relative to a MIP, η_h.
    public let hadronToMIP: Double
    /// Quantum of the hadronic argon signal, θ_h, MeV.
    public let hadronQuantum: Double
    /// Landau width ξ of the argon part of a MIP track per mm of stack depth, MeV/mm.
    public let mipLandauWidthPerMM: Double
    /// Smallest signal stored, MeV (one electron–ion pair, W = 23.6 eV in argon; 3.6 eV per
    /// electron–hole pair in silicon).
    public let ionisationQuantum: Double

    /// Relative variance of the active signal of one gap crossing, c² (0 for argon: the gap
    /// crossings of Amaldi's count carry their mean; thin silicon adds its Landau spread, and a
    /// sum of N crossings of mean θ then has variance N θ² (1 + c²), i.e. quantum θ (1 + c²)).
    public let crossingSpread: Double

    /// - Parameters:
    ///   - crossingSpread: c², see `crossingSpread` (enters `emQuantum` as the factor 1 + c²).
    ///   - ionisationQuantum: W, the mean energy per electron–ion (argon, 23.6 eV) or
    ///     electron–hole (silicon, 3.6 eV) pair, MeV.
    public init(medium: SamplingMedium = .caloGAN, electronToMIP: Double = 0.763, hadronToMIP: Double = 0.75,
                hadronQuantumRatio: Double = 4, crossingSpread: Double = 0, ionisationQuantum: Double = 23.6e-6) {
        self.crossingSpread = crossingSpread
        self.electronToMIP = electronToMIP
        mipFraction = medium.mipSamplingFraction
        let a = medium.absorber, g = medium.active
        // dE/dx [MeV cm²/g] · ρ [g/cm³] · d [mm] / 10.
        mipLossPerPeriod = (a.minimumIonization * a.density * medium.absorberThickness
                            + g.minimumIonization * g.density * medium.activeThickness) / 10
        meanCosine = cos(21.2 / (Double.pi * a.criticalEnergyMeV))
        emQuantum = electronToMIP * mipFraction * mipLossPerPeriod / meanCosine * (1 + crossingSpread)
        self.hadronToMIP = hadronToMIP
        hadronQuantum = hadronQuantumRatio * emQuantum
        // ξ = 0.1535 MeV cm²/g · Z/A · ρ · x: argon only, x = its share of each mm of depth.
        mipLandauWidthPerMM = 0.1535 * g.atomicNumber / g.atomicMass * g.density / 10
            * medium.activeThickness / (medium.absorberThickness + medium.activeThickness)
        self.ionisationQuantum = ionisationQuantum
    }

    /// The CaloGAN stack.
    public static let caloGAN = ActiveResponse()

    /// Argon share of an electromagnetic shower's energy, e/mip · f_mip (0.190).
    public var electronFraction: Double { electronToMIP * mipFraction }

    /// Argon share of the deposited non-electromagnetic energy of a hadronic shower, η_h · f_mip.
    public var hadronFraction: Double { hadronToMIP * mipFraction }

    /// Stochastic term of the electromagnetic argon signal, σ/E · √(E/GeV) = √(θ / (f_e · 1 GeV)).
    public var stochasticTerm: Double { (emQuantum / (electronFraction * 1000)).squareRoot() }
}
