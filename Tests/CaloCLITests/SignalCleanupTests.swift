import CaloTestSupport
import Foundation
import Glibc
import Testing

/// Temporary output files and signals (issue #13, 7): SIGINT and SIGTERM remove them before the
/// process ends by the signal; those of a SIGKILLed process are removed by the next run writing
/// the same output.
@Suite("signals: no temporary file left behind")
struct SignalCleanupTests {
    /// Starts a long simulate into `dir`, waits until its temporary file exists, sends `signal`.
    static func interruptedSimulate(_ dir: TemporaryDirectory, logs: TemporaryDirectory, signal: Int32) throws -> BackgroundRun {
        let run = try BackgroundRun(["simulate", "-p", "eplus", "-n", "2000000", "--batch-size", "1000", "-o", dir.file("s.h5"),
                                     "-j", "1", "-q"], logs: logs, name: "sim")
        var waited = 0
        while !dir.contents.contains(where: { $0.hasPrefix("s.h5.tmp-") }) && run.process.isRunning && waited < 6000 {
            usleep(10_000)
            waited += 1
        }
        #expect(run.process.isRunning, "simulate ended early: \(run.finish())")
        kill(run.process.processIdentifier, signal)
        return run
    }

    @Test("SIGINT and SIGTERM: the process ends by the signal and its temporary file is gone", arguments: [SIGINT, SIGTERM])
    func terminatingSignal(_ signal: Int32) throws {
        let dir = TemporaryDirectory(), logs = TemporaryDirectory()
        let run = try Self.interruptedSimulate(dir, logs: logs, signal: signal)
        _ = run.finish()
        #expect(run.process.terminationReason == .uncaughtSignal && run.process.terminationStatus == signal)
        #expect(dir.contents.isEmpty, "left: \(dir.contents)")
    }

    @Test("SIGKILL leaves the temporary file; the next run writing that output removes it")
    func killedRun() throws {
        let dir = TemporaryDirectory(), logs = TemporaryDirectory()
        let run = try Self.interruptedSimulate(dir, logs: logs, signal: SIGKILL)
        _ = run.finish()
        #expect(dir.contents.contains { $0.hasPrefix("s.h5.tmp-\(run.process.processIdentifier)-") })
        let next = try Executable.run(["simulate", "-p", "eplus", "-n", "10", "-o", dir.file("s.h5"), "-j", "1", "-q"])
        #expect(next.code == 0, "\(next.stderr)")
        #expect(dir.contents == ["s.h5"])
    }
}
