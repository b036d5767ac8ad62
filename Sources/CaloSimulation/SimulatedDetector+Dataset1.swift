import CaloData

/// CaloChallenge dataset 1: a simplified, planar stand-in for the ATLAS barrel at |η| ≈ 0.2
/// (the challenge files come from the ATLAS open simulation at |η| 0.20-0.25).
///
/// The stack, front to back (depths at normal incidence; at η = 0.225 real paths are 2.5 %
/// longer; the readout layer ids are the ATLAS calorimeter sampling numbers of the binning files):
///
/// | section | material | depth | X0 | λ_I | recorded as |
/// |---|---|---|---|---|---|
/// | upstream: cryostat wall, solenoid | 130 mm Al | 0-130 mm | 1.46 | 0.33 | not recorded |
/// | presampler (layer 0) | 11 mm LAr | 130-141 | 0.08 | 0.01 | layer 0 |
/// | services between presampler and accordion | 25 mm Al | 141-166 | 0.28 | 0.06 | not recorded |
/// | EM strips (layer 1) | 13 × (1.7 mm Pb + 4.5 mm LAr) | 166-247 | 4.35 | 0.19 | layer 1 |
/// | EM middle (layer 2) | 48 periods | 247-544 | 16.1 | 0.71 | layer 2 |
/// | EM back (layer 3) | 6 periods | 544-581 | 2.0 | 0.09 | layer 3 |
/// | outer cryostat walls | 60 mm Al | 581-641 | 0.67 | 0.15 | not recorded |
/// | Tile A (layer 12) | 17 × (14 mm Fe + 3 mm scintillator) | 641-930 | 13.7 | 1.49 | layer 12 |
/// | Tile BC (layer 13) | 47 periods | 930-1729 | 37.8 | 4.11 | pions: layer 13; photons: not recorded |
/// | Tile D (layer 14) | 21 periods | 1729-2086 | 16.9 | 1.84 | pions: layer 14; photons: not recorded |
///
/// The LAr/Pb accordion is approximated by a planar sampling stack: 1.7 mm of lead (1.5 mm of
/// lead plus the steel cladding as lead-equivalent) and 4.5 mm of liquid argon (the two gaps and
/// the electrode) per period, X0 18.5 mm; the layer depths are the ATLAS barrel's at η ≈ 0
/// (presampler 11 mm of argon, strips about 4.3 X0, middle about 16 X0, back about 2 X0, more
/// than 22 X0 in all), the Tile layers A, BC, D 1.5, 4.1 and 1.8 λ_I. Dead material (cryostats,
/// solenoid, services) is aluminium: about 1.5 X0 in front of the presampler (the particles of
/// the challenge start at the inner-detector/calorimeter boundary, behind the tracker) and
/// 0.15 λ_I between the accordion and the Tile calorimeter. Energy deposited in dead material and
/// in the detector layers a dataset does not voxelise (photons: Tile BC and D) is not recorded,
/// as in the challenge files, whose showers hold only the voxelised layers; energy behind the
/// Tile (9.4 λ_I in all) leaks out. Each readout layer's (r, α) bins are the binning file's,
/// around the particle's axis; energy beyond a layer's outer radial edge is not recorded.
///
/// Stored quantity: the energy deposited in each cell, calibrated to the electromagnetic scale
/// (`CalibratedReadout`, the default `.active` mode: sampling fluctuations of the active layers,
/// a photon reads about its deposited energy); `.total` stores absorber + active deposits
/// without fluctuations. The challenge's documentation in `calochallenge.md` gives the voxel
/// energies in MeV without saying whether they are calibrated; the published photon files sum
/// to about the incident energy, which a calibrated readout reproduces and a raw active-layer
/// signal (a fifth of it) would not.
///
/// Physics: photons convert and shower with the GFlash model, its parameters taken from the
/// sampling medium the shower starts in or, when it starts in dead material, the first one
/// behind (accordion or Tile); pions follow `PionModel` through the whole stack (interaction
/// point in pion interaction lengths of each section, 1.167 λ_I [set, the lead/argon ratio
/// 437/374.6 mm], MIP losses per section, the hadronic profile in λ_I). Energies: the challenge's
/// 15 discrete values 256 MeV × 2^k up to 4.19 TeV with equal probability.
extension SimulatedDetector {
    /// The lead/argon period standing in for the ATLAS accordion: 1.7 mm Pb, 4.5 mm LAr.
    public static let accordionMedium = SamplingMedium(absorber: .lead, active: .liquidArgon,
                                                       absorberThickness: 1.7, activeThickness: 4.5)
    /// The Tile period: 14 mm iron, 3 mm polystyrene scintillator.
    public static let tileMedium = SamplingMedium(absorber: .iron, active: .scintillator,
                                                  absorberThickness: 14, activeThickness: 3)

    /// The dataset-1 stack; `recordDeepTile` false leaves Tile BC and D unrecorded (photons).
    public static func dataset1Stack(recordDeepTile: Bool) -> DetectorStack {
        typealias S = DetectorStack.Section
        return DetectorStack(sections: [
            S(name: "upstream cryostat wall and solenoid (Al)", kind: .homogeneous(.aluminium, thickness: 130),
              readoutLayer: nil, periodsPerStep: 4),
            S(name: "presampler (LAr), layer 0", kind: .homogeneous(.liquidArgon, thickness: 11), readoutLayer: 0),
            S(name: "services (Al)", kind: .homogeneous(.aluminium, thickness: 25), readoutLayer: nil),
            S(name: "EM strips (Pb/LAr), layer 1", kind: .sampling(accordionMedium, periods: 13), readoutLayer: 1),
            S(name: "EM middle (Pb/LAr), layer 2", kind: .sampling(accordionMedium, periods: 48), readoutLayer: 2),
            S(name: "EM back (Pb/LAr), layer 3", kind: .sampling(accordionMedium, periods: 6), readoutLayer: 3),
            S(name: "outer cryostat walls (Al)", kind: .homogeneous(.aluminium, thickness: 60),
              readoutLayer: nil, periodsPerStep: 2),
            S(name: "Tile A (Fe/scintillator), layer 12", kind: .sampling(tileMedium, periods: 17), readoutLayer: 4),
            S(name: "Tile BC (Fe/scintillator), layer 13", kind: .sampling(tileMedium, periods: 47),
              readoutLayer: recordDeepTile ? 5 : nil),
            S(name: "Tile D (Fe/scintillator), layer 14", kind: .sampling(tileMedium, periods: 21),
              readoutLayer: recordDeepTile ? 6 : nil),
        ])
    }

    static let dataset1Summary = "planar ATLAS-like barrel: 130 mm Al, presampler 11 mm LAr (layer 0), 25 mm Al, "
        + "67 x (1.7 mm Pb + 4.5 mm LAr) as strips 13 / middle 48 / back 6 periods (layers 1-3, 22.4 X0), 60 mm Al, "
        + "Tile 85 x (14 mm Fe + 3 mm scintillator) as A 17 / BC 47 / D 21 periods (layers 12-14, 7.4 lambda_I)"

    static func dataset1(geometry: CalorimeterGeometry, particle: Particle, recordDeepTile: Bool) -> SimulatedDetector {
        let stack = dataset1Stack(recordDeepTile: recordDeepTile)
        return SimulatedDetector(
            geometry: geometry, grid: DepthGrid(stack: stack, medium: accordionMedium),
            response: ActiveResponse(medium: accordionMedium), particles: [particle], readoutThreshold: 0,
            spectrum: .caloChallengeDataset1,
            stackSummary: dataset1Summary + (recordDeepTile ? "" : "; Tile BC and D not recorded"),
            calibration: CalibratedReadout(stack: stack))
    }

    /// CaloChallenge dataset 1, photons: 368 voxels in layers 0, 1, 2, 3, 12.
    public static let ds1Photons = dataset1(geometry: .ds1Photons, particle: .gamma, recordDeepTile: false)

    /// CaloChallenge dataset 1, pions (π+): 533 voxels in layers 0, 1, 2, 3, 12, 13, 14.
    public static let ds1Pions = dataset1(geometry: .ds1Pions, particle: .piplus, recordDeepTile: true)
}
