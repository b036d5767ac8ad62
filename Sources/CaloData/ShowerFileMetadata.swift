import Glibc

/// The descriptive attributes of a shower file (root attributes in HDF5).
///
/// Known keys: `particle`, `generator`, `seed`, `app_version`, `units`, `created`, `geometry`
/// (with `geometry_binning`); everything else lands in `extra` (as text when read back).
public struct ShowerFileMetadata: Sendable, Equatable {
    /// Particle species name (e.g. "eplus", "gamma", "piplus").
    public var particle: String?
    /// What produced the showers (e.g. "caloflow-student", "geant4", "gflash-sim").
    public var generator: String?
    /// Random seed used to produce the file.
    public var seed: UInt64?
    /// Version of the app that wrote the file.
    public var appVersion: String?
    /// Units statement; the writer stores its layout's (`ShowerFileFormat.units`).
    public var units: String?
    /// Free-form creation information (the writer defaults to a UTC timestamp).
    public var creationInfo: String?
    /// The geometry name a file records (read only: the writer records its own geometry, and
    /// `ShowerFileReader.geometry` is the geometry of the showers).
    public var geometry: String?
    /// Any further string attributes.
    public var extra: [String: String]

    public init(particle: String? = nil, generator: String? = nil, seed: UInt64? = nil, appVersion: String? = nil,
                units: String? = nil, creationInfo: String? = nil, extra: [String: String] = [:]) {
        self.particle = particle
        self.generator = generator
        self.seed = seed
        self.appVersion = appVersion
        self.units = units
        self.creationInfo = creationInfo
        self.geometry = nil
        self.extra = extra
    }

    /// Metadata from a file's root attributes rendered as text (see `HDF5File.attributesAsStrings`).
    public init(attributes: [String: String]) {
        typealias K = ShowerFileLayout.AttributeName
        var rest = attributes
        particle = rest.removeValue(forKey: K.particle)
        generator = rest.removeValue(forKey: K.generator)
        let seedText = rest.removeValue(forKey: K.seed)
        seed = seedText.flatMap { UInt64($0) }
        if let s = seedText, seed == nil { rest[K.seed] = s }
        appVersion = rest.removeValue(forKey: K.appVersion)
        units = rest.removeValue(forKey: K.units)
        creationInfo = rest.removeValue(forKey: K.created)
        geometry = rest.removeValue(forKey: K.geometry)
        rest.removeValue(forKey: K.geometryBinning)
        extra = rest
    }

    /// "YYYY-MM-DDTHH:MM:SSZ" for now, the writer's default creation info.
    public static func utcTimestamp() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
