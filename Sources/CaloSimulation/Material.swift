/// A homogeneous material of the sampling calorimeter, with the constants the GFlash-style
/// parametrization needs.
///
/// Values are PDG tables (marked [lit] in /work/shared/reference/reference-simulator.md,
/// section 1). Lengths per unit mass are in g/cm², densities in g/cm³; `criticalEnergyMeV`
/// uses the GFlash fit Ec = 2.66 (X0[g/cm²] Z/A)^1.1 MeV so that the effective medium is
/// consistent with the GFlash tuning constants.
public struct Material: Sendable, Equatable {
    /// Short name, e.g. "G4_Pb".
    public var name: String
    /// Atomic number Z.
    public var atomicNumber: Double
    /// Molar mass A in g/mol.
    public var atomicMass: Double
    /// Density in g/cm³.
    public var density: Double
    /// Radiation length in g/cm².
    public var radiationLengthMass: Double
    /// Nuclear interaction length in g/cm².
    public var interactionLengthMass: Double
    /// Minimum ionization dE/dx in MeV cm²/g.
    public var minimumIonization: Double

    public init(name: String, atomicNumber: Double, atomicMass: Double, density: Double,
                radiationLengthMass: Double, interactionLengthMass: Double, minimumIonization: Double) {
        self.name = name
        self.atomicNumber = atomicNumber
        self.atomicMass = atomicMass
        self.density = density
        self.radiationLengthMass = radiationLengthMass
        self.interactionLengthMass = interactionLengthMass
        self.minimumIonization = minimumIonization
    }

    // MARK: - Derived lengths

    /// Radiation length in mm.
    public var radiationLengthMM: Double { radiationLengthMass / density * 10 }
    /// Nuclear interaction length in mm.
    public var interactionLengthMM: Double { interactionLengthMass / density * 10 }
    /// Critical energy in MeV from the GFlash fit 2.66 (X0 Z / A)^1.1 with X0 in g/cm²
    /// (Geant4 plugs X0 in mm here, which is wrong for LAr; we do not copy that).
    public var criticalEnergyMeV: Double {
        2.66 * pow(radiationLengthMass * atomicNumber / atomicMass, 1.1)
    }

    // MARK: - The CaloGAN materials

    /// Lead (G4_Pb), 11.35 g/cm³.
    public static let lead = Material(name: "G4_Pb", atomicNumber: 82, atomicMass: 207.2, density: 11.35,
                                      radiationLengthMass: 6.37, interactionLengthMass: 199.6,
                                      minimumIonization: 1.122)
    /// Liquid argon, 1.390 g/cm³.
    public static let liquidArgon = Material(name: "LAr", atomicNumber: 18, atomicMass: 39.95, density: 1.390,
                                             radiationLengthMass: 19.55, interactionLengthMass: 119.7,
                                             minimumIonization: 1.519)

    // MARK: - The ATLAS-like stack of CaloChallenge dataset 1

    /// Aluminium (G4_Al), 2.699 g/cm³: X0 24.01 g/cm² = 89.0 mm, λ_I 107.2 g/cm² = 397 mm
    /// (cryostat walls, the solenoid and services, seen as aluminium).
    public static let aluminium = Material(name: "G4_Al", atomicNumber: 13, atomicMass: 26.98, density: 2.699,
                                           radiationLengthMass: 24.01, interactionLengthMass: 107.2,
                                           minimumIonization: 1.615)
    /// Iron (G4_Fe), 7.874 g/cm³: X0 13.84 g/cm² = 17.6 mm, λ_I 132.1 g/cm² = 168 mm.
    public static let iron = Material(name: "G4_Fe", atomicNumber: 26, atomicMass: 55.845, density: 7.874,
                                      radiationLengthMass: 13.84, interactionLengthMass: 132.1,
                                      minimumIonization: 1.451)
    /// Polystyrene scintillator (C8H8 per atom: Z 3.5, A 6.51), 1.032 g/cm³: X0 43.79 g/cm² =
    /// 424 mm, λ_I 77.07 g/cm² = 747 mm.
    public static let scintillator = Material(name: "G4_POLYSTYRENE", atomicNumber: 3.5, atomicMass: 6.51,
                                              density: 1.032, radiationLengthMass: 43.79,
                                              interactionLengthMass: 77.07, minimumIonization: 2.052)

    // MARK: - The silicon-tungsten materials (CaloChallenge datasets 2 and 3)

    /// Tungsten (G4_W), 19.3 g/cm³: X0 6.76 g/cm² = 3.50 mm, λ_I 191.9 g/cm² = 99.4 mm.
    public static let tungsten = Material(name: "G4_W", atomicNumber: 74, atomicMass: 183.84, density: 19.3,
                                          radiationLengthMass: 6.76, interactionLengthMass: 191.9,
                                          minimumIonization: 1.145)
    /// Silicon (G4_Si), 2.329 g/cm³: X0 21.82 g/cm² = 93.7 mm, λ_I 108.4 g/cm² = 465 mm.
    public static let silicon = Material(name: "G4_Si", atomicNumber: 14, atomicMass: 28.0855, density: 2.329,
                                         radiationLengthMass: 21.82, interactionLengthMass: 108.4,
                                         minimumIonization: 1.664)
}

#if canImport(Glibc)
import Glibc
#endif
