/// The two HDF5 layouts a shower file can have. They differ in dataset names, shapes and energy
/// units, and in the geometries they can hold.
///
/// - `calogan`: the CaloGAN Geant4 samples' layout (`ShowerFileLayout`): `energy` (N, 1) in GeV,
///   `layer_0` (N, 3, 96), `layer_1` (N, 12, 12), `layer_2` (N, 12, 6) and `overflow` (N, 3) in MeV.
///   The CaloGAN geometry only; what caloflow writes by default for it.
/// - `flat`: the CaloChallenge interchange layout: `incident_energies` (N, 1) and `showers`
///   (N, D), both in MeV, for any geometry (`CalorimeterGeometry`): D is its voxel count and the
///   voxels are in its flat order (CaloGAN: layer 0, 1, 2, each row-major; CaloChallenge: layer
///   by layer, alpha-major then radius), the order of `ShowerBatch.voxels`. There is no overflow:
///   reading a CaloGAN-geometry flat file gives zero overflow, writing drops it.
///
/// The reader recognises either layout by its dataset names, and a flat file's geometry by its
/// `geometry` attribute or its voxel count; `caloflow convert` turns one layout into the other.
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

    /// Per-event shape (the dimensions after N) of each dataset for showers of `geometry` (the
    /// CaloGAN layout exists for the CaloGAN geometry only).
    public func eventShapes(geometry: CalorimeterGeometry = .calogan) -> [String: [Int]] {
        switch self {
        case .calogan: return ShowerFileLayout.eventShapes
        case .flat: return [Self.flatEnergy: [1], Self.flatShowers: [geometry.voxelCount]]
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
}
