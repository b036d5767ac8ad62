import Foundation
import Testing
import CaloData
import Glibc
import CaloPipeline
import CaloTestSupport

/// Raises real signals in this process; the installed handler only sets the flag. Never raise a
/// second signal without `reset()`: that is the forced exit.
///
/// Swift Testing runs tests on threads that block SIGINT and SIGTERM, so a signal `raise`d there
/// would stay pending: `raiseUnblocked` unblocks both for this thread around the call (delivery
/// is then synchronous) and restores the thread's mask.
///
/// The stop flag is process-wide: every test here holds the training lock (`withTrainingLock`),
/// as the training tests do, so a reset here never clears a stop another test requested (seen in
/// CI as a distillation resume test whose stop was lost mid accumulation window).
@Suite(.serialized) struct TrainingSignalsTests {
    func currentHandlerIsDefault(_ sig: Int32) -> Bool {
        var old = sigaction()
        sigaction(sig, nil, &old)
        return old.__sigaction_handler.sa_handler == nil  // SIG_DFL is the null handler
    }

    func raiseUnblocked(_ sig: Int32) {
        var set = sigset_t(), saved = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, &saved)
        raise(sig)
        pthread_sigmask(SIG_SETMASK, &saved, nil)
    }

    @Test func signalsSetTheFlagAndDefaultsComeBack() throws {
        try withTrainingLock { signalsSetTheFlagAndDefaultsComeBackLocked() }
    }

    func signalsSetTheFlagAndDefaultsComeBackLocked() {
        TrainingSignals.install()
        defer { TrainingSignals.restoreDefaults(); TrainingSignals.reset() }
        #expect(!currentHandlerIsDefault(SIGINT) && !currentHandlerIsDefault(SIGTERM))
        #expect(!TrainingSignals.stopRequested && TrainingSignals.receivedSignal == nil)

        raiseUnblocked(SIGINT)
        #expect(TrainingSignals.stopRequested && TrainingSignals.receivedSignal == SIGINT)
        #expect(TrainingSignals.stoppingMessage.hasPrefix("SIGINT received"))

        TrainingSignals.reset()
        #expect(!TrainingSignals.stopRequested)
        raiseUnblocked(SIGTERM)
        #expect(TrainingSignals.stopRequested && TrainingSignals.receivedSignal == SIGTERM)

        TrainingSignals.restoreDefaults()
        #expect(currentHandlerIsDefault(SIGINT) && currentHandlerIsDefault(SIGTERM))
    }

    /// A second signal exits at once with 128 + signal. Checked in a forked child, which only
    /// calls async-signal-safe functions (the handler is inherited from this process).
    ///
    /// The child comes from `_Fork`, not `fork`: `fork` runs OpenBLAS's at-fork handler, which
    /// shuts down its thread pool in this (parent) process; a threaded product running at that
    /// moment in a concurrent test then waits forever for workers that no longer exist (seen as
    /// a hung suite). `_Fork` runs no at-fork handlers, and the child needs none.
    @Test func secondSignalForcesExit() throws {
        try withTrainingLock { try secondSignalForcesExitLocked() }
    }

    func secondSignalForcesExitLocked() throws {
        // glibc ≥ 2.34 exports `_Fork`; Swift's Glibc module does not declare it (it needs
        // _GNU_SOURCE), so it is looked up by name.
        typealias ForkFunction = @convention(c) () -> pid_t
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "_Fork"), "glibc has no _Fork")
        let forkWithoutHandlers = unsafeBitCast(symbol, to: ForkFunction.self)
        // A file this process is writing: the child's forced exit removes only its own
        // temporary files, never those it inherited in the cleanup table.
        let dir = "/tmp/caloflow-signals-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        #expect(mkdir(dir, 0o700) == 0)
        defer { unlink(dir + "/out.h5"); rmdir(dir) }
        let destination = try AtomicFileDestination(path: dir + "/out.h5")
        #expect(FileManager.default.createFile(atPath: destination.temporaryPath, contents: Data("x".utf8)))
        TrainingSignals.install()
        defer { TrainingSignals.restoreDefaults(); TrainingSignals.reset() }
        let child = forkWithoutHandlers()
        if child == 0 {
            raiseUnblocked(SIGINT)   // first: flag only
            raiseUnblocked(SIGINT)   // second: _exit(130) inside the handler
            _exit(0)
        }
        #expect(child > 0)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let exited = (status & 0x7f) == 0, code = (status >> 8) & 0xff
        #expect(exited && code == 128 + SIGINT, "status \(status)")
        #expect(!TrainingSignals.stopRequested, "the parent saw no signal")
        #expect(FileManager.default.fileExists(atPath: destination.temporaryPath), "the parent's temporary file survives")
        destination.discard()
    }

    @Test func programmaticStopRequest() throws {
        try withTrainingLock { programmaticStopRequestLocked() }
    }

    func programmaticStopRequestLocked() {
        TrainingSignals.reset()
        TrainingSignals.requestStop()
        #expect(TrainingSignals.stopRequested && TrainingSignals.receivedSignal == SIGTERM)
        TrainingSignals.reset()
        #expect(!TrainingSignals.stopRequested)
    }
}
