/// The two HDF5 layouts a shower file can have. Both hold the same showers of the CaloGAN
/// geometry (504 cells); they differ in dataset names, shapes and energy units.
///
/// - `calogan`: the CaloGAN Geant4 samples' layout (`ShowerFileLayout`): `energy` (N, 1) in GeV,
///   `layer_0` (N, 3, 96), `layer_1` (N, 12, 12), `layer_2` (N, 12, 6) and `overflow` (N, 3) in MeV.
///   What caloflow writes by default.
/// - `flat`: the CaloChallenge interchange layout: `incident_energies` (N, 1) and `showers`
///   (N, 504), both in MeV. The voxel order is CaloGAN's: layer 0, 1, 2, each row-major, which is
///   the order of `ShowerBatch.voxels`. There is no overflow: reading gives zero overflow, writing
///   drops it.
///
/// The reader recognises either layout by its dataset names; `caloflow convert` turns one into the
/// other.
public enum ShowerFileFormat: String, CaseIterable, Sendable, Codable {
    case calogan
    case flat

    /// The datasets of the layout, in the order `info` lists them.
    public var datasetNames: [String] {
        switch self {
        case .calogan: return ShowerFileLayout.datasetNames
        case .flat: return [Self.flatEnergy, Self.flatShowers]
        }
    }

    /// Per-event shape (the dimensions after N) of each dataset.
    public var eventShapes: [String: [Int]] {
        switch self {
        case .calogan: return ShowerFileLayout.eventShapes
        case .flat: return [Self.flatEnergy: [1], Self.flatShowers: [CaloGANGeometry.voxelCount]]
        }
    }

    /// The `units` attribute the writer sets.
    public var units: String {
        switch self {
        case .calogan: return ShowerFileLayout.units
        case .flat: return "incident_energies, showers: MeV"
        }
    }

    /// The dataset holding the incident energies.
    public var energyDataset: String { self == .calogan ? "energy" : Self.flatEnergy }

    /// The file's incident-energy unit per GeV (the unit of `ShowerBatch.incidentEnergy`): 1, or
    /// 1000 for MeV. Exact, so converting is one correctly rounded multiplication or division.
    public var energyUnitsPerGeV: Double { self == .calogan ? 1 : 1000 }

    /// One line for messages: "CaloGAN (energy, layer_0, layer_1, layer_2, overflow)".
    public var summary: String {
        (self == .calogan ? "CaloGAN" : "flat CaloChallenge-style") + " (" + datasetNames.joined(separator: ", ") + ")"
    }

    static let flatEnergy = "incident_energies"
    static let flatShowers = "showers"

    /// The layout whose datasets are all among `members`, or nil. A file holding both complete
    /// layouts is read as CaloGAN.
    public static func detect(members: [String]) -> ShowerFileFormat? {
        let present = Set(members)
        if ShowerFileLayout.datasetNames.allSatisfy(present.contains) { return .calogan }
        if ShowerFileFormat.flat.datasetNames.allSatisfy(present.contains) { return .flat }
        return nil
    }

    /// Voxels per shower of the CaloChallenge datasets that are not the CaloGAN geometry, for a
    /// message that says what a wrong file probably is.
    static let otherGeometries: [Int: String] = [
        368: "CaloChallenge dataset 1, photons", 533: "CaloChallenge dataset 1, pions",
        6480: "CaloChallenge dataset 2", 40500: "CaloChallenge dataset 3",
    ]
}
