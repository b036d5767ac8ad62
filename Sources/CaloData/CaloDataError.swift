/// Every failure of the data layer: HDF5 access, shower-file layout and content validation,
/// atomic writes. Each case carries the file path and the object concerned, so the message
/// (`description`) tells a user exactly what is wrong and where; tests match on the case.
public enum CaloDataError: Error, CustomStringConvertible, Sendable {
    /// What is wrong with a stored value.
    public enum ValueProblem: String, Sendable {
        case nan = "NaN"
        case infinite = "infinite"
        case negative = "negative"
        /// An incident energy of 0 (a shower needs a particle with energy).
        case zero = "zero"
    }

    // MARK: - Files

    /// No file (or no readable file) at `path`.
    case fileNotFound(path: String)
    /// The file exists but does not carry the HDF5 signature (e.g. a text file).
    case notHDF5(path: String)
    /// The file has the HDF5 signature but cannot be opened: truncated or corrupt.
    case corruptFile(path: String, detail: String)
    /// Any other failed HDF5 call: `operation` on `object`, with HDF5's own innermost message.
    case hdf5(path: String, object: String, operation: String, detail: String)
    /// A file-system call (rename, unlink, fsync) failed.
    case io(path: String, operation: String, detail: String)

    // MARK: - Objects

    /// No group, dataset or attribute named `object` in the file.
    case objectNotFound(path: String, object: String)
    /// `object` exists but is not of the kind the operation needs (e.g. a group where a dataset is expected).
    case wrongObjectKind(path: String, object: String, expected: String, found: String)
    /// No attribute `name` on `object`.
    case attributeNotFound(path: String, object: String, name: String)
    /// The element type of a dataset or attribute is not one this code reads.
    case unsupportedType(path: String, object: String, found: String, expected: String)
    /// Rows `requested` lie outside the `available` rows of `object`, or buffer sizes disagree.
    case invalidRequest(path: String, object: String, detail: String)

    // MARK: - Shower layout

    /// A dataset of the CaloGAN layout is missing; `found` lists what the file contains.
    case missingDataset(path: String, dataset: String, found: [String])
    /// The dataset has `found.count` dimensions where `expected.count` are needed (shapes as (N, ...)).
    case wrongRank(path: String, dataset: String, expected: [Int], found: [Int])
    /// The dataset has the right rank but a wrong per-event shape.
    case wrongShape(path: String, dataset: String, expected: [Int], found: [Int])
    /// The datasets disagree on the number of events; `counts` is (dataset, events) in layout order.
    case eventCountMismatch(path: String, counts: [String: Int])
    /// A flat file whose voxel count belongs to no named geometry and that records no geometry.
    case unknownGeometry(path: String, dataset: String, voxels: Int)
    /// The file's showers do not fit the geometry asked for or recorded (`detail` says how).
    case geometryMismatch(path: String, detail: String)
    /// Showers of a geometry other than CaloGAN's in the CaloGAN layout, which has no place for them.
    case layoutNeedsCaloGAN(path: String, geometry: String)
    /// A NaN, infinite or negative value at `event` (absolute index in the file), flat `index` in that event's row.
    case invalidValue(path: String, dataset: String, event: Int, index: Int, value: Float, problem: ValueProblem)

    // MARK: - Writers

    /// The writer was already finished or aborted (after a failed append it aborts itself).
    case writerClosed(path: String)
    /// A file that must not be replaced exists at `path` (it appeared while the new one was being
    /// written); the new file was removed.
    case outputExists(path: String)
    /// Reading `events` showers of `path` would need `bytes` of memory, more than `limit`.
    case tooLarge(path: String, events: Int, bytes: Int, limit: Int)

    // MARK: - Messages

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "\(p): no such file (or it is not readable)"
        case .notHDF5(let p):
            return "\(p): not an HDF5 file (no HDF5 signature); expected a CaloGAN-style .h5 file"
        case .corruptFile(let p, let d):
            return "\(p): HDF5 file is truncated or corrupt and cannot be opened (\(d))"
        case .hdf5(let p, let o, let op, let d):
            return "\(p): \(op) failed for '\(o)': \(d)"
        case .io(let p, let op, let d):
            return "\(p): \(op) failed: \(d)"
        case .objectNotFound(let p, let o):
            return "\(p): no object '\(o)' in the file"
        case .wrongObjectKind(let p, let o, let e, let f):
            return "\(p): '\(o)' is a \(f), expected a \(e)"
        case .attributeNotFound(let p, let o, let n):
            return "\(p): no attribute '\(n)' on '\(o)'"
        case .unsupportedType(let p, let o, let f, let e):
            return "\(p): '\(o)' has element type \(f), expected \(e)"
        case .invalidRequest(let p, let o, let d):
            return "\(p): invalid access to '\(o)': \(d)"
        case .missingDataset(let p, let d, let found):
            let list = found.isEmpty ? "nothing" : found.joined(separator: ", ")
            return "\(p): dataset '\(d)' is missing (the file contains: \(list)); a shower file needs either energy, layer_0, layer_1, layer_2, overflow (CaloGAN layout) or incident_energies, showers (flat layout)"
        case .unknownGeometry(let p, let d, let v):
            let known = CalorimeterGeometry.builtIn.map { "\($0.name) \($0.voxelCount)" }.joined(separator: ", ")
            return "\(p): dataset '\(d)' has \(v) voxels per shower, the count of no named geometry (\(known)), "
                + "and the file records no geometry; give its binning file with --geometry <file.xml>"
        case .geometryMismatch(let p, let d):
            return "\(p): \(d)"
        case .layoutNeedsCaloGAN(let p, let g):
            return "\(p): the CaloGAN layout (energy, layer_0, layer_1, layer_2, overflow) holds showers of the CaloGAN "
                + "geometry only; showers of \(g) are written in the flat layout (incident_energies, showers)"
        case .wrongRank(let p, let d, let e, let f):
            return "\(p): dataset '\(d)' has rank \(f.count) with shape \(Self.shape(f)), expected rank \(e.count) with shape \(Self.shape(e))"
        case .wrongShape(let p, let d, let e, let f):
            return "\(p): dataset '\(d)' has shape \(Self.shape(f)), expected \(Self.shape(e))"
        case .eventCountMismatch(let p, let counts):
            let list = counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            return "\(p): datasets disagree on the number of events (\(list))"
        case .invalidValue(let p, let d, let e, let i, let v, let problem):
            let rule = problem == .zero ? "incident energies must be positive" : "shower files must hold finite, non-negative energies"
            return "\(p): dataset '\(d)', event \(e), element \(i): \(problem.rawValue) value \(v); \(rule)"
        case .writerClosed(let p):
            return "\(p): the shower writer is already finished or aborted"
        case .outputExists(let p):
            return "\(p) was created by someone else while this file was being written; it was left as it is "
                + "and the new file removed (pass --force to replace it)"
        case .tooLarge(let p, let e, let b, let l):
            return "\(p): reading \(e) showers at once needs \(Self.bytes(b)) of memory, more than this machine can give "
                + "(\(Self.bytes(l))); use fewer showers (--max-events, or maxEvents in the config)"
        }
    }

    /// "1.9 GB"-style rendering of a byte count (decimal units).
    static func bytes(_ n: Int) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB"]
        var v = Double(n), u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        if u == 0 { return "\(n) bytes" }
        let r = (v * 10).rounded() / 10
        return "\(r) \(units[u])"
    }

    /// `(N, 3, 96)`-style rendering; `-1` in an expected shape stands for "any" (the event count N).
    static func shape(_ dims: [Int]) -> String {
        "(" + dims.map { $0 < 0 ? "N" : String($0) }.joined(separator: ", ") + (dims.count == 1 ? ",)" : ")")
    }
}
