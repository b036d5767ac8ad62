#if canImport(Glibc)
import Glibc
#endif

/// Messages of a running command: to stderr at the chosen verbosity and, once a run directory
/// exists, appended to its `log.txt` with UTC timestamps. Batch jobs leave no console, so the
/// log file receives every message whatever the console verbosity.
///
/// File lines look like `2025-01-31T12:34:56Z info    epoch 3 / 50: loss 1.234`.
public final class Logger {
    public let console: Console
    public let verbosity: Verbosity
    private var logFile: FileDescriptorSink?
    private let now: () -> Int

    /// - Parameter now: epoch seconds for file timestamps (tests pass a fixed clock).
    public init(console: Console, verbosity: Verbosity = .normal, now: @escaping () -> Int = Clock.epochSeconds) {
        self.console = console
        self.verbosity = verbosity
        self.now = now
    }

    deinit { closeLogFile() }

    // MARK: - Log file

    /// Appends from now on to `path` (created with mode 0644 if missing).
    /// - Throws: `LogFileError` when the file cannot be opened.
    public func openLogFile(_ path: String) throws {
        closeLogFile()
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LogFileError(path: path, reason: String(cString: strerror(errno))) }
        logFile = FileDescriptorSink(descriptor: fd)
    }

    public func closeLogFile() {
        if let logFile { close(logFile.descriptor) }
        logFile = nil
    }

    // MARK: - Messages

    /// A main step or result; shown unless `--quiet`.
    public func info(_ message: String) {
        if verbosity >= .normal { console.printError(message) }
        record(message, level: "info")
    }

    /// Extra detail; shown with `--verbose`, always written to the log file.
    public func detail(_ message: String) {
        if verbosity >= .verbose { console.printError(message) }
        record(message, level: "detail")
    }

    /// Something the user should know about; always shown.
    public func warning(_ message: String) {
        console.printError("warning: " + message)
        record(message, level: "warning")
    }

    /// A failure; always shown.
    public func error(_ message: String) {
        console.printError("error: " + message)
        record(message, level: "error")
    }

    /// Writes only to the log file (e.g. progress milestones already shown as a live line).
    public func record(_ message: String, level: String = "info") {
        guard let logFile else { return }
        let tag = level + String(repeating: " ", count: max(1, 8 - level.count))
        logFile.write(Clock.iso8601(now()) + " " + tag + message + "\n")
    }
}

/// A log file that could not be opened for appending.
public struct LogFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot open log file '\(path)': \(reason)" }
}
