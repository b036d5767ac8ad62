/// What a shower file records when it holds one part of a run that several processes generate
/// (`caloflow generate --part i/n`, or one MPI rank's share under mpirun): root attributes
/// `part_index` (i), `part_count` (n), `part_first_shower` and `part_end_shower` (the run's
/// shower indices a ..< b the file holds, in order) and `part_run_showers` (N, showers of the
/// whole run). Further `part_…` attributes (the models' SHA-256, an MPI job's token) identify
/// the run; `ShowerFileMerge` compares them with every other attribute and drops all `part_…`
/// attributes from the merged file, which therefore records what one process would.
public struct ShowerFilePart: Sendable, Equatable, CustomStringConvertible {
    /// Every attribute of a part starts with this; the merged file keeps none of them.
    public static let attributePrefix = "part_"
    public static let indexAttribute = "part_index"
    public static let countAttribute = "part_count"
    public static let firstAttribute = "part_first_shower"
    public static let endAttribute = "part_end_shower"
    public static let runShowersAttribute = "part_run_showers"
    /// Attributes that differ from part to part of one run (everything else must agree).
    public static let perPartAttributes: Set<String> = [indexAttribute, firstAttribute, endAttribute, ShowerFileLayout.AttributeName.created]

    /// i, 0 ≤ i < n.
    public let index: Int
    /// n, parts of the run.
    public let count: Int
    /// The run's showers this part holds, a ..< b.
    public let showers: Range<Int>
    /// N, showers of the whole run.
    public let runShowers: Int

    public init(index: Int, count: Int, showers: Range<Int>, runShowers: Int) {
        self.index = index
        self.count = count
        self.showers = showers
        self.runShowers = runShowers
    }

    /// The attributes to record (text, as `ShowerFileMetadata.extra`).
    public var attributes: [String: String] {
        [Self.indexAttribute: String(index), Self.countAttribute: String(count), Self.firstAttribute: String(showers.lowerBound),
         Self.endAttribute: String(showers.upperBound), Self.runShowersAttribute: String(runShowers)]
    }

    /// The part a file's attributes record, nil when it records none (a file of a whole run);
    /// throws when the part attributes are incomplete or inconsistent.
    public init?(attributes: [String: String], path: String) throws {
        guard attributes[Self.indexAttribute] != nil else { return nil }
        func integer(_ key: String) throws -> Int {
            guard let text = attributes[key], let v = Int(text), v >= 0 else {
                throw ShowerFileMergeError.notAPart(path: path, detail: "attribute \(key) is \(attributes[key].map { "'\($0)'" } ?? "missing")")
            }
            return v
        }
        let i = try integer(Self.indexAttribute), n = try integer(Self.countAttribute)
        let a = try integer(Self.firstAttribute), b = try integer(Self.endAttribute), total = try integer(Self.runShowersAttribute)
        guard i < n, a <= b, b <= total else {
            throw ShowerFileMergeError.notAPart(path: path, detail: "its part attributes (part \(i)/\(n), showers \(a)..<\(b) of \(total)) are inconsistent")
        }
        self.init(index: i, count: n, showers: a..<b, runShowers: total)
    }

    /// "part 1/3 (showers 100..<200 of 300)".
    public var description: String {
        "part \(index)/\(count) (showers \(showers.lowerBound)..<\(showers.upperBound) of \(runShowers))"
    }
}
