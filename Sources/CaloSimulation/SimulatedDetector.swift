import CaloData

/// A calorimeter the simulator can shower particles in: the readout geometry (which voxel a spot
/// lands in), the longitudinal stack (`DepthGrid`: materials, depths, which readout layer each
/// depth step belongs to), the active-layer response, the particles its physics covers, a
/// readout threshold and the dataset's incident-energy spectrum.
///
/// | name | stack | readout | particles |
/// |---|---|---|---|
/// | calogan | 80 × (2 mm Pb + 4 mm LAr), 480 mm = 30.8 X0 = 1.28 λ_I | 3 Cartesian layers, 504 cells | e+, e−, γ, π+ |
/// | ds2, ds3 | 90 × (1.4 mm W + 0.3 mm Si), 153 mm = 36.3 X0 = 1.33 λ_I | 45 polar layers (2 periods each), 6480 / 40,500 voxels | e−, e+, γ |
/// | ds1-photons, ds1-pions | planar ATLAS-like barrel: Al, LAr presampler, Pb/LAr (22.4 X0), Al, Fe/scintillator Tile (7.4 λ_I); `SimulatedDetector+Dataset1.swift` | 5 / 7 polar layers, 368 / 533 voxels, calibrated | γ / π+ |
///
/// **Datasets 2 and 3 (Par04-like silicon-tungsten stack).** Each of the 45 readout layers of
/// 3.4 mm is two periods of 1.4 mm tungsten (0.400 X0) followed by 0.3 mm silicon (0.0032 X0),
/// 0.806 X0 per readout layer; the shower axis is the stack's axis, the voxels the binning
/// files' (r, α) bins. Effective medium (`SamplingMedium`): Z_eff 72.5, X0 4.22 mm, Ec 8.2 MeV, R_M 10.9 mm.
/// The cells hold the energy deposited in the silicon (`.active`, the default): a MIP leaves
/// f_mip = 0.0363 of its loss there (0.116 of 3.21 MeV per period); an electromagnetic shower
/// e/mip · f_mip with e/mip = 0.75 [set] (soft photons absorbed in the tungsten, as for lead),
/// a sampling fraction of 0.0272. Per-cell sampling fluctuations follow `ActiveResponse` as for
/// argon, with Amaldi's crossing count (⟨cos θ⟩ = 0.67) and a silicon crossing-signal spread
/// c² = 1 [set] (the Landau spread of 0.3 mm of silicon; Bichsel, Rev. Mod. Phys. 60 (1988)
/// 663): quantum θ = 0.26 MeV, a stochastic term of about 9.8 %/√E (CALICE-type Si-W
/// calorimeters measure 15–20 %/√E with thicker plates). A sampled cell signal below one
/// electron–hole pair (3.6 eV) is 0; then the readout threshold: 0.5 keV (dataset 2) or
/// 15.15 keV (dataset 3), the values the CaloChallenge applies, sets smaller cells to 0.
/// Not modelled: the Par04 cylinder's finite radius (the readout ends at 41.85 mm; energy
/// beyond is counted as overflow and not written) and hadrons (the π+ model's constants are
/// those of the lead/argon stack).
public struct SimulatedDetector: Sendable {
    /// The readout: which voxel a spot lands in.
    public let geometry: CalorimeterGeometry
    /// The longitudinal stack; step `layer` indexes `geometry.layers`.
    public let grid: DepthGrid
    /// Response of the active layers (`.active` deposit mode).
    public let response: ActiveResponse
    /// Particles the detector's physics covers.
    public let particles: [Particle]
    /// Cells whose stored energy is below this (MeV) are stored as 0; 0 for none.
    public let readoutThreshold: Double
    /// The dataset's incident-energy spectrum (GeV).
    public let spectrum: EnergySpectrum
    /// One line for the file attributes: materials and depths.
    public let stackSummary: String
    /// A readout calibrated to the electromagnetic scale (dataset 1) used by the `.active`
    /// mode instead of the raw active-layer signal; nil for the raw signal.
    public let calibration: CalibratedReadout?

    public init(geometry: CalorimeterGeometry, grid: DepthGrid, response: ActiveResponse, particles: [Particle],
                readoutThreshold: Double, spectrum: EnergySpectrum, stackSummary: String,
                calibration: CalibratedReadout? = nil) {
        precondition(grid.readoutLayerCount == geometry.layerCount,
                     "the depth grid must have one layer per readout layer of \(geometry.name)")
        self.calibration = calibration
        self.geometry = geometry
        self.grid = grid
        self.response = response
        self.particles = particles
        self.readoutThreshold = readoutThreshold
        self.spectrum = spectrum
        self.stackSummary = stackSummary
    }

    /// The CaloGAN calorimeter.
    public static let caloGAN = SimulatedDetector(
        geometry: .calogan, grid: .caloGAN, response: .caloGAN, particles: [.eplus, .eminus, .gamma, .piplus],
        readoutThreshold: 0, spectrum: .caloGAN,
        stackSummary: "80 periods of 2 mm Pb + 4 mm liquid argon (480 mm, 30.8 X0, 1.28 lambda_I); layers at 0-90, 90-437, 437-480 mm")

    /// The Par04-like silicon-tungsten period: 1.4 mm W upstream, 0.3 mm Si.
    public static let siliconTungstenMedium = SamplingMedium(absorber: .tungsten, active: .silicon,
                                                             absorberThickness: 1.4, activeThickness: 0.3)

    /// The Par04-like stack with 45 readout layers of two periods each.
    public static let siliconTungstenGrid = DepthGrid(medium: siliconTungstenMedium, periodCount: 90,
                                                      layerBoundaries: (0...45).map { Double($0) * 3.4 })

    /// Silicon response: e/mip 0.75, crossing spread c² = 1, 3.6 eV per electron–hole pair.
    public static let siliconResponse = ActiveResponse(medium: siliconTungstenMedium, electronToMIP: 0.75,
                                                       crossingSpread: 1, ionisationQuantum: 3.6e-6)

    static let siliconTungstenSummary = "90 periods of 1.4 mm W + 0.3 mm Si (153 mm, 36.3 X0, 1.33 lambda_I); 45 readout layers of 3.4 mm (2 periods)"

    /// CaloChallenge dataset 2 geometry on the silicon-tungsten stack, threshold 0.5 keV.
    public static let ds2 = SimulatedDetector(
        geometry: .ds2, grid: siliconTungstenGrid, response: siliconResponse, particles: [.eminus, .eplus, .gamma],
        readoutThreshold: 0.0005, spectrum: .logUniform(1...1000), stackSummary: siliconTungstenSummary)

    /// CaloChallenge dataset 3 geometry on the silicon-tungsten stack, threshold 15.15 keV.
    public static let ds3 = SimulatedDetector(
        geometry: .ds3, grid: siliconTungstenGrid, response: siliconResponse, particles: [.eminus, .eplus, .gamma],
        readoutThreshold: 0.01515, spectrum: .logUniform(1...1000), stackSummary: siliconTungstenSummary)

    /// Every detector the simulator has, by geometry name.
    public static let all: [SimulatedDetector] = [caloGAN, ds1Photons, ds1Pions, ds2, ds3]

    /// The detector for a geometry name ("calogan", "ds1-photons", "ds1-pions", "ds2", "ds3"), or nil.
    /// Aliases of the geometry catalogue resolve too ("ds1-gamma", "dataset_2").
    public static func named(_ name: String) -> SimulatedDetector? {
        let canonical = CalorimeterGeometry.named(name)?.name ?? name
        return all.first { $0.geometry.name == canonical }
    }

    /// Names of the geometries the simulator covers.
    public static var names: [String] { all.map(\.geometry.name) }

    /// The particle showers of this detector default to: the dataset's particle.
    public var defaultParticle: Particle { particles[0] }

    /// One line for file attributes: what the cells hold in `mode`.
    public func depositSummary(_ mode: DepositMode) -> String {
        if geometry.isCaloGAN { return mode.summary }
        guard calibration != nil else { return mode.siliconSummary }
        switch mode {
        case .active:
            return "active: energy deposited in each cell calibrated to the electromagnetic scale (active-layer signal / EM sampling fraction), with sampling fluctuations; dead material and non-voxelised layers not recorded"
        case .total:
            return "total: energy deposited in absorber and active material of each cell, no sampling fluctuations; dead material and non-voxelised layers not recorded"
        }
    }
}
