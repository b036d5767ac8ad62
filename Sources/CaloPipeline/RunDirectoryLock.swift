import CaloData
import Glibc

/// The exclusive lock of a run directory, held by a training command (train-teacher, distill)
/// for its whole life, so two runs never write one directory's checkpoints and metrics at once.
///
/// An flock(2) on `<run>/run.lock`: the kernel drops it when the process ends in any way
/// (SIGKILL included), so a stale lock cannot block a later run. The holder writes its pid and
/// command line into the file for the error message of whoever finds the lock taken. The file
/// itself stays in the directory (removing it would let two processes lock different files).
public final class RunDirectoryLock {
    /// The lock file.
    public let path: String
    private var fd: Int32

    /// Takes the lock without waiting; throws `RunDirectoryError.inUse` naming the holder when
    /// another process (or another lock of this process) has it.
    init(path: String, directory: String, holder: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunDirectoryError.io(path: path, operation: "opening the run lock", detail: RunJSON.errnoText())
        }
        var status: Int32
        repeat { status = flock(fd, LOCK_EX | LOCK_NB) } while status != 0 && errno == EINTR
        guard status == 0 else {
            let code = errno
            let other = Self.contents(fd)
            close(fd)
            fd = -1
            guard code == EWOULDBLOCK else {
                throw RunDirectoryError.io(path: path, operation: "locking the run directory", detail: String(cString: strerror(code)))
            }
            throw RunDirectoryError.inUse(directory: directory, holder: other)
        }
        ftruncate(fd, 0)
        _ = RunJSON.writeAll(fd, Array((holder + "\n").utf8))
    }

    deinit { release() }

    /// Whether the lock is still held by this object.
    public var isHeld: Bool { fd >= 0 }

    /// Releases the lock (also done on deinit and by the kernel at exit).
    public func release() {
        guard fd >= 0 else { return }
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    /// The first line of the lock file (the holder's note), at most 500 bytes.
    static func contents(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 500)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buffer.prefix(n).prefix { $0 != 10 }, as: UTF8.self)
    }
}

extension RunDirectory {
    /// `<dir>/run.lock`.
    public var lockPath: String { file("run.lock") }

    /// Takes the directory's exclusive lock for this process (`RunDirectoryLock`); the directory
    /// must exist. `command` is recorded for the message another process gets.
    public func lock(command: String) throws -> RunDirectoryLock {
        let holder = "pid \(getpid()), started \(ShowerFileMetadata.utcTimestamp()): \(command)"
        return try RunDirectoryLock(path: lockPath, directory: path, holder: holder)
    }
}
