/// Why `ShowerFileMerge` refuses a set of part files: each case names the files and what
/// does not fit, so the message tells the user which part is missing, doubled or foreign.
public enum ShowerFileMergeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file records no (or no consistent) part of a run.
    case notAPart(path: String, detail: String)
    /// Two files were not written by the same run (an attribute, the layout or the geometry differs).
    case differentRuns(first: String, other: String, what: String, firstValue: String, otherValue: String)
    /// Two files hold the same part, or overlapping showers.
    case overlap(first: String, other: String, detail: String)
    /// Parts of the run are not among the files.
    case missing(detail: String)
    /// A file holds another number of showers than its attributes say.
    case countMismatch(path: String, holds: Int, recorded: Int)
    /// The output would replace one of the parts.
    case outputIsAPart(path: String)

    public var description: String {
        switch self {
        case .notAPart(let p, let d):
            return "\(p) is not a part of a generation run (\(d)); parts are written by 'caloflow generate --part i/n'"
        case .differentRuns(let a, let b, let what, let va, let vb):
            return "\(a) and \(b) are not parts of one generation run: \(what) is \(va) in \(a) but \(vb) in \(b)"
        case .overlap(let a, let b, let d):
            return "\(a) and \(b) overlap: \(d); give each part once"
        case .missing(let d):
            return "parts are missing: \(d)"
        case .countMismatch(let p, let holds, let recorded):
            return "\(p) holds \(holds) showers but its part attributes say \(recorded); the file is damaged or not a caloflow part"
        case .outputIsAPart(let p):
            return "the output \(p) is one of the parts; choose another output path"
        }
    }
}
