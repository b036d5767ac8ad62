/// A readout calibrated to the electromagnetic scale (CaloChallenge dataset 1): every cell holds
/// its active-layer signal divided by the electromagnetic sampling fraction of its layer, so an
/// electromagnetic deposit of mean m MeV reads m MeV on average, with the sampling fluctuations
/// of the active layers.
///
/// Used by the `.active` deposit mode of a detector that has one: electromagnetic and the
/// (visible, after the invisible nuclear losses) non-electromagnetic hadronic deposits both
/// enter with weight 1 (η_h ≈ e/mip, as in `ActiveResponse`: e/h then comes from the invisible
/// energy alone, about 1.6), and a cell of mean m = m_e + m_h is drawn from a Gamma law of
/// variance θ_l m_e + θ_h,l m_h. A MIP track's loss is recorded as it is (Landau-fluctuated),
/// without the e/mip factor. The `.total` mode of the same detector stores the absorber and
/// active deposits without fluctuations.
///
/// Quanta per readout layer from Amaldi's crossing count (see `ActiveResponse`):
/// θ_l = (1 + c²) ΔE_mip / ⟨cos θ⟩, ΔE_mip the MIP loss of one period of the layer's medium,
/// c² = 1 [set] for the spread of the signal of one crossing, θ_h = 4 θ [set]. For the
/// lead/liquid-argon accordion stand-in (1.7 mm Pb + 4.5 mm LAr) θ = 10.2 MeV, a stochastic term
/// of √(θ / 1 GeV) ≈ 10 %/√E (ATLAS EM barrel: about 10 %/√E); iron/scintillator
/// (14 mm + 3 mm): θ = 35 MeV, 19 %/√E; a homogeneous layer (the 11 mm argon presampler) counts
/// the crossings of its whole thickness.
public struct CalibratedReadout: Sendable, Equatable {
    /// θ_l, MeV, per readout layer.
    public let emQuanta: [Double]
    /// θ_h,l, MeV, per readout layer.
    public let hadronQuanta: [Double]
    /// A sampled cell below this (MeV) is stored as 0 (0.1 keV: a few ionisation quanta of the
    /// active layers divided by the sampling fraction).
    public let floor: Double

    /// The quanta of the first section of each readout layer of `stack`.
    public init(stack: DetectorStack, crossingSpread: Double = 1, hadronQuantumRatio: Double = 4, floor: Double = 1e-4) {
        var em = [Double](repeating: 0, count: stack.readoutLayerCount)
        var seen = Set<Int>()
        for section in stack.sections {
            guard let l = section.readoutLayer, !seen.contains(l) else { continue }
            seen.insert(l)
            em[l] = Self.quantum(of: section.medium, crossingSpread: crossingSpread)
        }
        emQuanta = em
        hadronQuanta = em.map { hadronQuantumRatio * $0 }
        self.floor = floor
    }

    /// (1 + c²) ΔE_mip / ⟨cos θ⟩ of one period of `medium`, MeV.
    public static func quantum(of medium: SamplingMedium, crossingSpread: Double) -> Double {
        let r = ActiveResponse(medium: medium, crossingSpread: crossingSpread)
        return r.emQuantum / r.electronFraction
    }
}
