/// The CaloGAN shower-file layout (design.md section 3): five datasets with one row per event.
///
/// - `energy` (N, 1): incident kinetic energy, GeV ((N,) is accepted on read too)
/// - `layer_0` (N, 3, 96), `layer_1` (N, 12, 12), `layer_2` (N, 12, 6): cell energies, MeV
/// - `overflow` (N, 3): energy outside the readout window per layer, MeV
public enum ShowerFileLayout {
    /// Dataset names in layout order.
    public static let datasetNames = ["energy", "layer_0", "layer_1", "layer_2", "overflow"]

    /// Per-event shape (the dimensions after N) of each dataset.
    public static let eventShapes: [String: [Int]] = [
        "energy": [1],
        "layer_0": [CaloGANGeometry.nx[0], CaloGANGeometry.ny[0]],
        "layer_1": [CaloGANGeometry.nx[1], CaloGANGeometry.ny[1]],
        "layer_2": [CaloGANGeometry.nx[2], CaloGANGeometry.ny[2]],
        "overflow": [CaloGANGeometry.layerCount],
    ]

    /// The `units` attribute every writer sets.
    public static let units = "energy: GeV; layer_*, overflow: MeV"

    /// Root attribute names of the metadata the writer sets.
    public enum AttributeName {
        public static let units = "units"
        public static let particle = "particle"
        public static let generator = "generator"
        public static let seed = "seed"
        public static let appVersion = "app_version"
        public static let created = "created"
        /// What the cells hold: "active" (liquid-argon gaps only) or "total" (lead + argon).
        /// Written by `simulate`, carried to generated files; absent from files of other tools.
        public static let deposit = "deposit"
        /// A one-line human description of `deposit`.
        public static let depositNote = "deposit_note"
        /// The showers' geometry by name ("calogan", "ds2", "my-binning.xml"); every file caloflow writes has it.
        public static let geometry = "geometry"
        /// The full geometry record (JSON, `CalorimeterGeometry` Codable form), written for
        /// geometries that are not named ones, so the file can be read without the binning file.
        public static let geometryBinning = "geometry_binning"
    }
}
