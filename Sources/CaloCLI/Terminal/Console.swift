#if canImport(Glibc)
import Glibc
#endif

/// Somewhere text goes: a file descriptor or, in tests, a string.
public protocol TextSink: AnyObject {
    func write(_ text: String)
}

/// Unbuffered writes to a file descriptor (1 = stdout, 2 = stderr), retried until complete.
public final class FileDescriptorSink: TextSink {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// Collects everything written, for tests.
public final class StringSink: TextSink {
    public private(set) var text = ""
    public init() {}
    public func write(_ text: String) { self.text += text }
}

/// Standard output (results) and standard error (messages, progress) of a command.
///
/// On a terminal, stderr can carry one live status line (see `ProgressLine`) that is cleared
/// before any other message and redrawn after it, so messages never interleave with it.
public final class Console {
    public let output: TextSink
    public let errorOutput: TextSink
    /// Whether stderr is an interactive terminal that understands `\r` and `ESC[2K`.
    public let isTerminal: Bool
    /// Columns of the terminal (80 when unknown); live lines are cut to fit.
    public let terminalWidth: Int

    private var status: String?

    public init(output: TextSink, errorOutput: TextSink, isTerminal: Bool = false, terminalWidth: Int = 80) {
        self.output = output
        self.errorOutput = errorOutput
        self.isTerminal = isTerminal
        self.terminalWidth = terminalWidth
    }

    /// The process's stdout and stderr; terminal features only if stderr is a TTY and
    /// `TERM` is not `dumb`.
    public static func standard() -> Console {
        let term = getenv("TERM").map { String(cString: $0) }
        let tty = isatty(2) != 0 && term != "dumb"
        return Console(output: FileDescriptorSink(descriptor: 1), errorOutput: FileDescriptorSink(descriptor: 2),
                       isTerminal: tty, terminalWidth: tty ? Self.columns(of: 2) : 80)
    }

    // MARK: - Writing

    /// A line of results on stdout.
    public func print(_ line: String) {
        output.write(line + "\n")
    }

    /// A line on stderr; a live status line is cleared first and redrawn after.
    public func printError(_ line: String) {
        let saved = status
        if saved != nil { clearStatus() }
        errorOutput.write(line + "\n")
        if let saved { setStatus(saved) }
    }

    /// Replaces the live status line (terminal only; ignored otherwise).
    public func setStatus(_ line: String) {
        guard isTerminal else { return }
        let fitted = line.count >= terminalWidth ? String(line.prefix(max(1, terminalWidth - 1))) : line
        errorOutput.write("\r\u{1B}[2K" + fitted)
        status = fitted
    }

    /// Removes the live status line, leaving the cursor at the start of an empty line.
    public func clearStatus() {
        guard isTerminal, status != nil else { return }
        errorOutput.write("\r\u{1B}[2K")
        status = nil
    }

    private static func columns(of descriptor: Int32) -> Int {
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 10 { return Int(size.ws_col) }
        return 80
    }
}
