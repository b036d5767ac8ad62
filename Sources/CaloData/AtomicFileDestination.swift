import CFileCleanup
import Glibc
import Synchronization

/// "Write to a temporary file, then move it into place": the way every writer of the app produces
/// a file, so a reader never sees a half-written one and an existing file survives a failed write
/// untouched.
///
/// Write to `temporaryPath` (same directory as `finalPath`, so the move is atomic), then call
/// `commit()`, which fsyncs the file, moves it onto `finalPath` and fsyncs the directory.
/// `discard()`, or deinit without a commit, removes the temporary file.
///
/// - With `replaceExisting` false, `commit()` never replaces a file: it links the temporary file
///   to `finalPath` (link(2) fails when the name exists, atomically) and throws `outputExists`
///   if something appeared there meanwhile, e.g. from a concurrent run.
/// - The temporary name is registered for removal when SIGINT, SIGTERM or SIGHUP ends the process
///   (`TemporaryFiles.installSignalHandlers()`), and a new destination removes the temporary files
///   that killed processes (SIGKILL, power loss) left for the same final path.
public final class AtomicFileDestination {
    /// The path the file will have after `commit()`.
    public let finalPath: String
    /// Where to write meanwhile: `<dir>/<name>.tmp-<pid>-<n>` (the name shortened when needed
    /// to fit NAME_MAX, see `temporaryStem`).
    public let temporaryPath: String
    /// Whether `commit()` may replace an existing file at `finalPath`.
    public let replaceExisting: Bool
    /// Whether `commit()` succeeded.
    public private(set) var isCommitted = false
    private var isDiscarded = false
    private var cleanupSlot: Int32 = -1

    private static let counter = Atomic<Int>(0)

    /// Prepares a destination for `path`. Throws if the directory does not exist or is not
    /// writable, or if the file name is too long for the file system.
    public init(path: String, replaceExisting: Bool = true) throws {
        finalPath = path
        self.replaceExisting = replaceExisting
        let dir = Self.directory(of: path)
        let name = Self.fileName(of: path)
        guard access(dir, W_OK) == 0 else {
            throw CaloDataError.io(path: path, operation: "preparing to write", detail: "directory '\(dir)' does not exist or is not writable")
        }
        guard !name.isEmpty, name.utf8.count <= Self.nameMax else {
            throw CaloDataError.io(path: path, operation: "preparing to write",
                                   detail: "the file name is \(name.utf8.count) bytes long; the limit is \(Self.nameMax)")
        }
        let stem = Self.temporaryStem(name)
        Self.removeStaleTemporaryFiles(directory: dir, stem: stem)
        let n = Self.counter.add(1, ordering: .relaxed).oldValue
        temporaryPath = Self.prefix(of: path) + stem + ".tmp-\(getpid())-\(n)"
        unlink(temporaryPath)
        cleanupSlot = caloCleanupRegister(temporaryPath)
    }

    deinit { if !isCommitted { discard() } }

    /// Moves the finished temporary file onto `finalPath` atomically: replacing any old file when
    /// `replaceExisting`, otherwise failing with `outputExists` (the temporary file is removed).
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
        if replaceExisting {
            if rename(temporaryPath, finalPath) != 0 {
                let e = Self.errnoText()
                discard()
                throw CaloDataError.io(path: finalPath, operation: "renaming \(temporaryPath) onto it", detail: e)
            }
        } else {
            try linkWithoutReplacing()
        }
        isCommitted = true
        caloCleanupUnregister(cleanupSlot)
        cleanupSlot = -1
        let dfd = open(Self.directory(of: finalPath), O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Removes the temporary file (if any); the final path is not touched.
    public func discard() {
        guard !isCommitted, !isDiscarded else { return }
        isDiscarded = true
        unlink(temporaryPath)
        caloCleanupUnregister(cleanupSlot)
        cleanupSlot = -1
    }

    // MARK: - Internals

    /// link(2) then unlink of the temporary name: creates `finalPath` only if nothing is there.
    /// File systems without hard links (EPERM, ENOTSUP, ENOSYS) fall back to a checked rename,
    /// which leaves a short window for a concurrent writer.
    private func linkWithoutReplacing() throws {
        if link(temporaryPath, finalPath) == 0 {
            unlink(temporaryPath)
            return
        }
        let code = errno
        if code == EEXIST {
            discard()
            throw CaloDataError.outputExists(path: finalPath)
        }
        guard code == EPERM || code == ENOTSUP || code == ENOSYS || code == EOPNOTSUPP else {
            let e = String(cString: strerror(code))
            discard()
            throw CaloDataError.io(path: finalPath, operation: "linking \(temporaryPath) to it", detail: e)
        }
        if FileSystem.exists(finalPath) {
            discard()
            throw CaloDataError.outputExists(path: finalPath)
        }
        if rename(temporaryPath, finalPath) != 0 {
            let e = Self.errnoText()
            discard()
            throw CaloDataError.io(path: finalPath, operation: "renaming \(temporaryPath) onto it", detail: e)
        }
    }

    /// Longest file name (bytes) of the usual Linux file systems.
    static let nameMax = 255
    /// Room kept for ".tmp-<pid>-<n>".
    static let suffixRoom = 40

    /// The final name, or its first bytes (whole characters) when the name plus the temporary
    /// suffix would exceed `nameMax`.
    static func temporaryStem(_ name: String) -> String {
        let limit = nameMax - suffixRoom
        guard name.utf8.count > limit else { return name }
        var stem = "", bytes = 0
        for c in name {
            let n = c.utf8.count
            if bytes + n > limit { break }
            stem.append(c)
            bytes += n
        }
        return stem
    }

    /// Removes `<stem>.tmp-<pid>-<n>` files of `directory` whose process no longer exists (killed
    /// by SIGKILL, or the machine stopped), so they do not pile up. Files of live processes,
    /// including this one, are kept.
    static func removeStaleTemporaryFiles(directory: String, stem: String) {
        let prefix = stem + ".tmp-"
        guard let d = opendir(directory) else { return }
        defer { closedir(d) }
        let me = getpid()
        while let e = readdir(d) {
            // Read the name through a pointer, up to its NUL: glibc's record is only d_reclen
            // bytes long, so copying the whole 256-byte d_name field can run past the end of
            // readdir's buffer into an unmapped page.
            let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
            let name = String(cString: (UnsafeRawPointer(e) + offset).assumingMemoryBound(to: CChar.self))
            guard name.hasPrefix(prefix) else { continue }
            let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt64(parts[1]) != nil, pid != me else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink((directory == "." ? "" : directory + "/") + name)
            }
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    /// Everything up to and including the last "/", or "" for a bare name.
    static func prefix(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// The process-wide removal of temporary files when a signal ends the process.
public enum TemporaryFiles {
    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every registered temporary
    /// file and then end the process by the same signal (exit status 128 + n); ignores SIGXFSZ,
    /// so writing past `ulimit -f` fails with an error instead of killing the process.
    /// Call once at program start; training replaces the SIGINT/SIGTERM handlers while it runs.
    public static func installSignalHandlers() { caloCleanupInstallSignalHandlers() }

    /// Whether `installSignalHandlers()` ran in this process.
    public static var signalHandlersInstalled: Bool { caloCleanupHandlersInstalled() != 0 }

    /// Registers `path` (a finished file that is still a temporary of a larger job, such as
    /// one process's part of a generation run under MPI) for removal when a signal ends the
    /// process; returns the slot for `unregister` (negative if the table is full).
    public static func register(_ path: String) -> Int32 { caloCleanupRegister(path) }

    /// Forgets a registration of `register` (the file stays).
    public static func unregister(_ slot: Int32) { if slot >= 0 { caloCleanupUnregister(slot) } }

    /// Removes every registered temporary file now (async-signal-safe: for a signal handler
    /// that is about to `_exit`).
    public static func removeAll() { caloCleanupRemoveAll() }
}
