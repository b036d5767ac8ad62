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
}

#if canImport(Glibc)
import Glibc
#endif
