import CaloData

/// Every reason a checkpoint cannot be written or loaded. Each case names the file, and the
/// message (`description`) says what is wrong in terms a user can act on; tests match on the case.
public enum CheckpointError: Error, CustomStringConvertible, Sendable {
    // MARK: - The file itself

    /// No file (or no readable file) at `path`.
    case fileNotFound(path: String)
    /// The file is not HDF5 at all (no HDF5 signature), e.g. a text or JSON file.
    case notHDF5(path: String)
    /// HDF5 signature present but the file cannot be opened or read: cut short or damaged.
    case truncated(path: String, detail: String)
    /// A valid HDF5 file without the `caloflow_checkpoint_format` attribute: not written by caloflow
    /// (e.g. a shower file passed where a checkpoint was expected). `found` lists its top-level members.
    case foreign(path: String, found: [String])
    /// The format version is newer than (or otherwise unknown to) this build.
    case unsupportedVersion(path: String, found: String, supported: Int)
    /// The checkpoint is of another kind than the command needs (e.g. a student where a teacher is expected).
    case wrongKind(path: String, expected: String, found: String)
    /// A required attribute or group is missing or has the wrong type.
    case malformed(path: String, object: String, detail: String)

    // MARK: - Parameters

    /// Parameters the model needs that the file lacks.
    case missingParameters(path: String, names: [String])
    /// Parameters in the file that the model does not have (usually a different architecture).
    case unexpectedParameters(path: String, names: [String])
    /// A parameter's stored shape differs from the model's, as [rows, cols].
    case shapeMismatch(path: String, name: String, expected: [Int], found: [Int])
    /// A NaN or infinite entry in a parameter (or optimizer moment) at flat index `index`.
    case nonFinite(path: String, name: String, index: Int, value: Float)
    /// A JSON attribute differs from what the caller's configuration requires.
    case configMismatch(path: String, attribute: String, detail: String)

    // MARK: - Writing

    /// The checkpoint value cannot be written as it is (bad name, inconsistent optimizer state, ...).
    case invalidContent(path: String, detail: String)
    /// Writing failed in the HDF5 or file-system layer; an existing file at `path` is untouched.
    case writeFailed(path: String, detail: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "\(p): no such checkpoint file (or it is not readable)"
        case .notHDF5(let p):
            return "\(p): not an HDF5 file; expected a caloflow checkpoint (.h5) written by train-teacher or distill"
        case .truncated(let p, let d):
            return "\(p): checkpoint is truncated or corrupt and cannot be read (\(d)); use the other checkpoint of the run (best/last) or retrain"
        case .foreign(let p, let found):
            let list = found.isEmpty ? "nothing" : found.joined(separator: ", ")
            return "\(p): HDF5 file is not a caloflow checkpoint (no 'caloflow_checkpoint_format' attribute; it contains: \(list))"
        case .unsupportedVersion(let p, let f, let s):
            return "\(p): checkpoint format version \(f) is not supported by this caloflow (it reads version \(s)); use a newer caloflow"
        case .wrongKind(let p, let e, let f):
            return "\(p): this is a '\(f)' checkpoint, but a '\(e)' checkpoint is needed here"
        case .malformed(let p, let o, let d):
            return "\(p): checkpoint entry '\(o)' is malformed: \(d)"
        case .missingParameters(let p, let names):
            return "\(p): checkpoint lacks \(names.count) parameter(s) the model needs: \(Self.list(names)); was it written for another architecture?"
        case .unexpectedParameters(let p, let names):
            return "\(p): checkpoint holds \(names.count) parameter(s) the model does not have: \(Self.list(names)); was it written for another architecture?"
        case .shapeMismatch(let p, let n, let e, let f):
            return "\(p): parameter '\(n)' has shape \(Self.shape(f)) in the checkpoint, the model expects \(Self.shape(e))"
        case .nonFinite(let p, let n, let i, let v):
            return "\(p): '\(n)' holds a non-finite value (\(v)) at flat index \(i); the checkpoint is unusable"
        case .configMismatch(let p, let a, let d):
            return "\(p): '\(a)' of the checkpoint does not match the configuration: \(d)"
        case .invalidContent(let p, let d):
            return "\(p): cannot write checkpoint: \(d)"
        case .writeFailed(let p, let d):
            return "\(p): writing the checkpoint failed (any previous file there is untouched): \(d)"
        }
    }

    static func list(_ names: [String]) -> String {
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? shown + ", ... (\(names.count - 8) more)" : shown
    }

    static func shape(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ", ") + ")" }

    /// Maps a data-layer error met while reading `path` onto a checkpoint error.
    static func reading(_ path: String, _ error: Error) -> CheckpointError {
        if let e = error as? CheckpointError { return e }
        switch error as? CaloDataError {
        case .fileNotFound?: return .fileNotFound(path: path)
        case .notHDF5?: return .notHDF5(path: path)
        case .corruptFile(_, let d)?: return .truncated(path: path, detail: d)
        case .hdf5(_, let object, let operation, let d)?: return .truncated(path: path, detail: "\(operation) '\(object)': \(d)")
        case .objectNotFound(_, let o)?: return .malformed(path: path, object: o, detail: "missing")
        case .wrongObjectKind(_, let o, let expected, let found)?: return .malformed(path: path, object: o, detail: "is a \(found), expected a \(expected)")
        case .attributeNotFound(_, let o, let n)?: return .malformed(path: path, object: "\(o) attribute '\(n)'", detail: "missing")
        case .unsupportedType(_, let o, let found, let expected)?: return .malformed(path: path, object: o, detail: "type \(found), expected \(expected)")
        case let e?: return .malformed(path: path, object: "/", detail: e.description)
        case nil: return .malformed(path: path, object: "/", detail: "\(error)")
        }
    }
}
