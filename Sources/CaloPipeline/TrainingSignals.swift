import CaloData
import Glibc
import Synchronization

/// Graceful interruption of training: SIGINT (Ctrl-C) and SIGTERM (batch-system wall time,
/// `kill`) only set a flag; the training loop polls `stopRequested` between steps, saves a `last`
/// checkpoint and exits, so `--resume` continues from there.
///
/// A second signal while the first is being handled (e.g. Ctrl-C pressed twice because saving
/// takes a while) exits at once with status 128 + signal number, after a one-line note on stderr.
/// Nothing is corrupted by that: checkpoints are written to a temporary file and renamed, so the
/// previous `last` checkpoint stays intact.
///
/// Delivery: a process-directed signal (terminal Ctrl-C, `kill`, a batch system) reaches any
/// thread that does not block it; the app's main thread does not. Threads of a test runner may
/// block SIGINT/SIGTERM, so tests unblock them around `raise` (see TrainingSignalsTests).
///
/// The handler touches only lock-free atomics and calls only async-signal-safe functions
/// (write(2), _exit(2)). Process-wide state: install once per process.
public enum TrainingSignals {
    /// Number of SIGINT/SIGTERM received since `install()` or `reset()`.
    private static let count = Atomic<Int32>(0)
    /// The most recent signal number (0 = none).
    private static let last = Atomic<Int32>(0)

    /// Installs the handlers for SIGINT and SIGTERM (replacing the defaults) and clears the flag.
    public static func install() {
        reset()
        for sig in [SIGINT, SIGTERM] { setHandler(sig, handler) }
    }

    /// Puts back the actions outside training: the temporary-file cleanup handlers when the
    /// program installed them (`TemporaryFiles.installSignalHandlers()`), else the defaults (terminate).
    public static func restoreDefaults() {
        if TemporaryFiles.signalHandlersInstalled {
            TemporaryFiles.installSignalHandlers()
        } else {
            for sig in [SIGINT, SIGTERM] { setHandler(sig, SIG_DFL) }
        }
    }

    /// True once SIGINT or SIGTERM arrived after `install()`.
    public static var stopRequested: Bool { count.load(ordering: .acquiring) > 0 }

    /// The signal that requested the stop (SIGINT or SIGTERM), or nil.
    public static var receivedSignal: Int32? {
        let s = last.load(ordering: .acquiring)
        return s == 0 ? nil : s
    }

    /// "SIGINT" / "SIGTERM" / "signal n", for log messages.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }

    /// What a command prints when it notices the stop request.
    public static var stoppingMessage: String {
        "\(receivedSignal.map(name(of:)) ?? "stop request") received: finishing the current step and saving the last checkpoint (send it again to quit at once without saving)"
    }

    /// Clears the flag (e.g. between tests or after a handled stop).
    public static func reset() {
        count.store(0, ordering: .releasing)
        last.store(0, ordering: .releasing)
    }

    /// Sets the flag as a signal would (for a NaN loss or a test), without sending a signal.
    public static func requestStop(signal: Int32 = SIGTERM) {
        last.store(signal, ordering: .releasing)
        count.add(1, ordering: .acquiringAndReleasing)
    }

    // MARK: - Internals

    private static let handler: @convention(c) (Int32) -> Void = { sig in
        TrainingSignals.last.store(sig, ordering: .releasing)
        let previous = TrainingSignals.count.add(1, ordering: .acquiringAndReleasing).oldValue
        if previous >= 1 {
            TemporaryFiles.removeAll()
            let note: StaticString = "\ncaloflow: second interrupt, exiting without saving\n"
            _ = write(2, note.utf8Start, note.utf8CodeUnitCount)
            _exit(128 + sig)
        }
    }

    private static func setHandler(_ sig: Int32, _ h: (@convention(c) (Int32) -> Void)?) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = h
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(sig, &action, nil)
    }
}
