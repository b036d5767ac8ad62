import CHDF5
import Glibc

/// An open HDF5 file: a small, general wrapper over the HDF5 C library used for shower files and
/// checkpoints alike. Objects are addressed by absolute paths ("/group/dataset"; a leading "/" is
/// optional). Every failure throws a `CaloDataError` naming the file, the object and the problem;
/// HDF5's own error printing is silenced and its innermost message is carried in the error.
///
/// Dataset handles are cached while the file is open (so chunk caches survive between appends);
/// `close()` or deinit closes them and the file. Not thread-safe: use one instance per thread.
public final class HDF5File {
    /// How to open a file.
    public enum Mode: Sendable, Equatable {
        /// Existing file, read only.
        case readOnly
        /// Existing file, read and write.
        case readWrite
        /// New file; an existing one is replaced when `overwrite`, else opening fails.
        case create(overwrite: Bool)
    }

    /// File-system path as given.
    public let path: String
    /// Whether writes are allowed.
    public let isWritable: Bool
    var fileID: hid_t
    var datasetHandles: [String: hid_t] = [:]

    // MARK: - Open and close

    /// Opens or creates `path`. Detects a missing file, a file that is not HDF5 (`H5Fis_hdf5`)
    /// and a truncated or corrupt one, each with its own error.
    public init(path: String, mode: Mode = .readOnly) throws {
        caloH5SilenceErrors()
        self.path = path
        switch mode {
        case .readOnly, .readWrite:
            guard access(path, R_OK) == 0 else { throw CaloDataError.fileNotFound(path: path) }
            let signature = H5Fis_hdf5(path)
            if signature == 0 { throw CaloDataError.notHDF5(path: path) }
            if signature < 0 { throw CaloDataError.corruptFile(path: path, detail: HDF5File.errorDetail()) }
            let access = mode == .readOnly ? Self.unlockedReadAccess() : hid_t(H5P_DEFAULT)
            defer { if access != hid_t(H5P_DEFAULT) { H5Pclose(access) } }
            let id = H5Fopen(path, mode == .readOnly ? caloH5F_ACC_RDONLY() : caloH5F_ACC_RDWR(), access)
            if id < 0 { throw CaloDataError.corruptFile(path: path, detail: HDF5File.errorDetail()) }
            fileID = id
            isWritable = mode == .readWrite
        case .create(let overwrite):
            let id = H5Fcreate(path, overwrite ? caloH5F_ACC_TRUNC() : caloH5F_ACC_EXCL(), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            if id < 0 {
                throw CaloDataError.hdf5(path: path, object: "/", operation: "creating the file", detail: HDF5File.errorDetail())
            }
            fileID = id
            isWritable = true
        }
    }

    deinit { try? close() }

    /// File access properties for reading without HDF5's file lock. HDF5 takes an flock() lock
    /// on every file it opens, and a read fails ("unable to lock file, errno = 11") while any
    /// other process holds an exclusive one on the same file: a writer elsewhere, or a process
    /// that inherited a writer's descriptor. caloflow does not rely on that lock (files are
    /// written under a temporary name and renamed when complete; a run directory has its own
    /// lock), and on cluster file systems without flock it makes every open fail, so reads go
    /// without it, as `HDF5_USE_FILE_LOCKING=FALSE` would do. Writes keep HDF5's default.
    /// Falls back to the default properties if the list cannot be made.
    static func unlockedReadAccess() -> hid_t {
        let fapl = H5Pcreate(caloH5P_FILE_ACCESS())
        guard fapl >= 0 else { return hid_t(H5P_DEFAULT) }
        if H5Pset_file_locking(fapl, false, true) < 0 {
            H5Pclose(fapl)
            return hid_t(H5P_DEFAULT)
        }
        return fapl
    }

    /// Closes every cached dataset handle and the file (flushing it). Further calls throw.
    public func close() throws {
        guard fileID >= 0 else { return }
        caloH5SilenceErrors()
        for (_, d) in datasetHandles { H5Dclose(d) }
        datasetHandles = [:]
        let status = H5Fclose(fileID)
        fileID = -1
        if status < 0 { throw hdf5Error("/", "closing the file") }
    }

    /// Writes buffered data to disk without closing.
    public func flush() throws {
        try checkOpen("/")
        if H5Fflush(fileID, H5F_SCOPE_GLOBAL) < 0 { throw hdf5Error("/", "flushing the file") }
    }

    /// Whether `close()` has not been called yet.
    public var isOpen: Bool { fileID >= 0 }

    // MARK: - Groups and objects

    /// The kind of an object in the file.
    public enum ObjectKind: String, Sendable { case group, dataset, datatype, other }

    /// Whether an object exists at `object` (every intermediate link is checked, so a missing
    /// parent gives false rather than an error).
    public func exists(_ object: String) -> Bool {
        guard fileID >= 0 else { return false }
        caloH5SilenceErrors()
        let parts = Self.components(object)
        var prefix = ""
        for p in parts {
            prefix += "/" + p
            if H5Lexists(fileID, prefix, hid_t(H5P_DEFAULT)) <= 0 { return false }
        }
        return parts.isEmpty || H5Oexists_by_name(fileID, prefix, hid_t(H5P_DEFAULT)) > 0
    }

    /// The kind of the object at `object`; throws `objectNotFound` when absent.
    public func kind(of object: String) throws -> ObjectKind {
        try checkOpen(object)
        let name = Self.normalized(object)
        guard exists(name) else { throw CaloDataError.objectNotFound(path: path, object: name) }
        let o = H5Oopen(fileID, name, hid_t(H5P_DEFAULT))
        if o < 0 { throw hdf5Error(name, "opening the object") }
        defer { H5Oclose(o) }
        switch H5Iget_type(o) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        case H5I_DATATYPE: return .datatype
        default: return .other
        }
    }

    /// Creates group `group`, with any missing parents. An existing group is left as it is.
    public func createGroup(_ group: String) throws {
        try checkWritable(group)
        let name = Self.normalized(group)
        if exists(name) {
            let k = try kind(of: name)
            if k != .group { throw CaloDataError.wrongObjectKind(path: path, object: name, expected: "group", found: k.rawValue) }
            return
        }
        let lcpl = H5Pcreate(caloH5P_LINK_CREATE())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let g = H5Gcreate2(fileID, name, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        if g < 0 { throw hdf5Error(name, "creating the group") }
        H5Gclose(g)
    }

    /// Names of the members (groups, datasets, ...) of `group`, sorted by name.
    public func members(of group: String = "/") throws -> [String] {
        try checkOpen(group)
        let name = Self.normalized(group)
        let k = try kind(of: name)
        if k != .group { throw CaloDataError.wrongObjectKind(path: path, object: name, expected: "group", found: k.rawValue) }
        let g = H5Gopen2(fileID, name, hid_t(H5P_DEFAULT))
        if g < 0 { throw hdf5Error(name, "opening the group") }
        defer { H5Gclose(g) }
        var info = H5G_info_t()
        if H5Gget_info(g, &info) < 0 { throw hdf5Error(name, "listing the group") }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, hid_t(H5P_DEFAULT))
            if n < 0 { throw hdf5Error(name, "reading member name \(i)") }
            var buf = [CChar](repeating: 0, count: Int(n) + 1)
            H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, Int(n) + 1, hid_t(H5P_DEFAULT))
            names.append(Self.string(fromNullTerminated: buf))
        }
        return names.sorted()
    }

    // MARK: - Helpers shared by the extensions

    func checkOpen(_ object: String) throws {
        caloH5SilenceErrors()
        if fileID < 0 { throw CaloDataError.invalidRequest(path: path, object: object, detail: "the file is closed") }
    }

    func checkWritable(_ object: String) throws {
        try checkOpen(object)
        if !isWritable { throw CaloDataError.invalidRequest(path: path, object: object, detail: "the file is open read-only") }
    }

    /// An `.hdf5` error for a failed call, with HDF5's innermost messages.
    func hdf5Error(_ object: String, _ operation: String) -> CaloDataError {
        .hdf5(path: path, object: object, operation: operation, detail: Self.errorDetail())
    }

    /// "/a/b" form of a user path ("a/b", "/a/b/", "/" all accepted).
    static func normalized(_ object: String) -> String { "/" + components(object).joined(separator: "/") }

    static func components(_ object: String) -> [String] { object.split(separator: "/").map(String.init) }

    static func string(fromNullTerminated buf: [CChar]) -> String {
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One HDF5 message on one line. The file driver's own report ("file write failed: time = ...,
    /// filename = ..., errno = 28, error message = 'No space left on device', buf = ...") spans
    /// lines and carries pointers and offsets; only its first words and the system's message are kept.
    static func tidy(_ message: String) -> String {
        var m = message
        if let range = m.firstRange(of: "error message = '"),
           let end = m[range.upperBound...].firstIndex(of: "'") {
            let head = m.prefix { $0 != ":" && $0 != "\n" }
            m = head + ": " + m[range.upperBound..<end]
        }
        return m.split(whereSeparator: \.isNewline)
            .map { line in line.drop { $0 == " " || $0 == "\t" } }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The messages on HDF5's error stack of this thread, innermost first (at most three), or a
    /// generic text when the stack is empty.
    static func errorDetail() -> String {
        final class Collector { var messages: [String] = [] }
        let collector = Collector()
        let walker: H5E_walk2_t = { _, desc, data in
            guard let desc, let data else { return 0 }
            let c = Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
            if let d = desc.pointee.desc { c.messages.append(String(cString: d)) }
            return 0
        }
        withExtendedLifetime(collector) {
            _ = H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_UPWARD, walker, Unmanaged.passUnretained(collector).toOpaque())
        }
        var seen = Set<String>(), out: [String] = []
        for m in collector.messages.map(tidy) where !m.isEmpty && seen.insert(m).inserted
            && !out.contains(where: { $0.hasPrefix(m) }) { out.append(m) }
        H5Eclear2(hid_t(H5E_DEFAULT))
        return out.isEmpty ? "HDF5 reported an error without a message" : out.prefix(3).joined(separator: "; ")
    }
}
