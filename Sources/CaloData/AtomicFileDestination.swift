import Glibc
import Synchronization

/// "Write to a temporary file, then rename": the way every writer of the app produces a file, so
/// a reader never sees a half-written one and an existing file survives a failed write untouched.
///
/// Write to `temporaryPath` (same directory as `finalPath`, so rename(2) is atomic), then call
/// `commit()`, which fsyncs the file, renames it onto `finalPath` and fsyncs the directory.
/// `discard()`, or deinit without a commit, removes the temporary file.
public final class AtomicFileDestination {
    /// The path the file will have after `commit()`.
    public let finalPath: String
    /// Where to write meanwhile: `<dir>/<name>.tmp-<pid>-<n>`.
    public let temporaryPath: String
    /// Whether `commit()` succeeded.
    public private(set) var isCommitted = false
    private var isDiscarded = false

    private static let counter = Atomic<Int>(0)

    /// Prepares a destination for `path`. Throws if the directory does not exist or is not writable.
    public init(path: String) throws {
        finalPath = path
        let dir = Self.directory(of: path)
        guard access(dir, W_OK) == 0 else {
            throw CaloDataError.io(path: path, operation: "preparing to write", detail: "directory '\(dir)' does not exist or is not writable")
        }
        let n = Self.counter.add(1, ordering: .relaxed).oldValue
        temporaryPath = path + ".tmp-\(getpid())-\(n)"
        unlink(temporaryPath)
    }

    deinit { if !isCommitted { discard() } }

    /// Moves the finished temporary file onto `finalPath` atomically (replacing any old file).
    public func commit() throws {
        guard !isCommitted, !isDiscarded else {
            throw CaloDataError.io(path: finalPath, operation: "commit", detail: "the destination was already committed or discarded")
        }
        let fd = open(temporaryPath, O_RDONLY)
        guard fd >= 0 else {
            throw CaloDataError.io(path: temporaryPath, operation: "opening the temporary file", detail: Self.errnoText())
        }
        let synced = fsync(fd)
        close(fd)
        if synced != 0 {
            let e = Self.errnoText()
            discard()
            throw CaloDataError.io(path: temporaryPath, operation: "fsync", detail: e)
        }
        if rename(temporaryPath, finalPath) != 0 {
            let e = Self.errnoText()
            discard()
            throw CaloDataError.io(path: finalPath, operation: "renaming \(temporaryPath) onto it", detail: e)
        }
        isCommitted = true
        let dfd = open(Self.directory(of: finalPath), O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Removes the temporary file (if any); the final path is not touched.
    public func discard() {
        guard !isCommitted, !isDiscarded else { return }
        isDiscarded = true
        unlink(temporaryPath)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
