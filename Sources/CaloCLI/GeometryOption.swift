import CaloData

/// `--geometry <name|file.xml>`, shared by the commands that read shower files: the geometry
/// the showers must have, for files whose voxel count names no geometry (a user's binning) or to
/// insist on one. Without it, a flat file's geometry is the one it records or the named geometry
/// with its voxel count (`ShowerFileReader`).
struct GeometryOption {
    static let option = Option.optionalPath(
        "geometry", defaultLabel: "the file's", valueName: "name|file.xml",
        help: "Geometry of the showers: \(CalorimeterGeometry.builtInNames.joined(separator: ", ")) or a CaloChallenge binning file "
            + "(.xml). By default a flat file's recorded geometry, else the one its voxel count names (504, 368, 533, 6480, 40500).")

    /// The value as given.
    let spec: String?

    /// Checks that a name (not a file) is a known geometry: a usage error (exit 2) otherwise.
    init(_ a: ParsedArguments) throws {
        spec = a[Self.option]
        if let s = spec, !Self.isFile(s), CalorimeterGeometry.named(s) == nil {
            throw ValidationError("--geometry: \(GeometryError.unknownName(s, suggestion: CalorimeterGeometry.closestName(to: s)))")
        }
    }

    /// The geometry asked for, or nil; reads (and checks) a binning file.
    func resolve() throws -> CalorimeterGeometry? { try spec.map { try CalorimeterGeometry.resolve($0) } }

    /// How messages name the option's value: "--geometry ds2".
    var label: String { spec.map { "--geometry \($0)" } ?? "" }

    static func isFile(_ s: String) -> Bool { s.hasSuffix(".xml") || s.hasSuffix(".XML") || s.contains("/") }
}
