import CaloTestSupport
import Foundation
import Glibc
import Testing
import CaloPipeline

/// A `caloflow` process started in the background (stdout and stderr to files, so neither can fill a pipe).
final class BackgroundRun {
    let process = Process()
    let dir: TemporaryDirectory
    let name: String

    init(_ arguments: [String], logs dir: TemporaryDirectory, name: String) throws {
        self.dir = dir
        self.name = name
        process.executableURL = Executable.url
        process.arguments = arguments
        FileManager.default.createFile(atPath: dir.file(name + ".out"), contents: nil)
        FileManager.default.createFile(atPath: dir.file(name + ".err"), contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: dir.file(name + ".out"))
        process.standardError = FileHandle(forWritingAtPath: dir.file(name + ".err"))
        try process.run()
    }

    /// Waits for the exit and returns (status, stderr).
    func finish() -> (code: Int32, stderr: String) {
        process.waitUntilExit()
        let err = (try? String(contentsOfFile: dir.file(name + ".err"), encoding: .utf8)) ?? ""
        return (process.terminationStatus, err)
    }
}

/// Two commands writing one output or one run directory at the same time (issue #13, 4 and 5).
@Suite("concurrent runs: one output, one run directory")
struct ConcurrentRunTests {
    @Test("two generate runs to one path: exactly one writes it, the other fails without replacing it")
    func concurrentGenerate() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory(), logs = TemporaryDirectory()
        let out = dir.file("same.h5")
        let runs = try (1...2).map { seed in
            try BackgroundRun(["generate", "--model", fixture.runPath, "--flow", "teacher", "-n", "300", "-o", out,
                               "--seed", "\(seed)", "-j", "1", "-q"], logs: logs, name: "g\(seed)")
        }
        let results = runs.map { $0.finish() }
        #expect(results.filter { $0.code == 0 }.count == 1, "\(results)")
        let failed = results.first { $0.code != 0 }
        #expect(failed?.stderr.contains("--force") == true, "\(results)")
        #expect(dir.contents == ["same.h5"])
        let winner = results.firstIndex { $0.code == 0 }.map { $0 + 1 }
        let r = CLIRun(["info", out])
        #expect(r.code == 0 && r.stdout.contains("seed: \(winner ?? 0)"), "\(r.summary)")
    }

    @Test("two train-teacher runs on one directory: one trains, the other is refused naming it")
    func concurrentTraining() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory(), logs = TemporaryDirectory()
        let run = dir.file("run")
        let first = try BackgroundRun(["train-teacher", "--data", fixture.dataPath, "--config", fixture.configPath, "--run", run,
                                       "--stage", "flow1", "--seed", "1", "-j", "1", "-q"], logs: logs, name: "t1")
        // Start the second once the first holds the lock (or has already finished).
        var waited = 0
        while !(lockIsHeld(run + "/run.lock")) && first.process.isRunning && waited < 3000 { usleep(10_000); waited += 1 }
        let second = try BackgroundRun(["train-teacher", "--data", fixture.dataPath, "--config", fixture.configPath, "--run", run,
                                        "--stage", "flow1", "--seed", "2", "-j", "1", "-q"], logs: logs, name: "t2")
        let a = first.finish(), b = second.finish()
        #expect(a.code == 0, "\(a)")
        #expect(b.code == 1, "\(b)")
        #expect(b.stderr.contains("in use by another caloflow process") || b.stderr.contains("already holds checkpoints"),
                "\(b.stderr)")
        let c = try Checkpoint.read(from: run + "/flow1-best.h5")
        #expect(c.seed == 1)
        let epochs = try RunDirectory(path: run).readMetrics().records.map(\.epoch)
        #expect(epochs == Array(1...epochs.count), "one run's metrics, in order: \(epochs)")
    }

    @Test("the run lock: a second lock is refused naming the holder; released, it can be taken again")
    func lockInProcess() throws {
        let dir = TemporaryDirectory()
        let run = try RunDirectory.create(at: dir.file("run"))
        let lock = try run.lock(command: "caloflow train-teacher --run x")
        #expect { try run.lock(command: "second") } throws: { e in
            "\(e)".contains("in use by another caloflow process (pid \(getpid())") && "\(e)".contains("train-teacher --run x")
        }
        lock.release()
        let again = try run.lock(command: "third")
        #expect(again.isHeld)
    }
}

/// Whether another open file description holds an flock on `path` (a non-blocking probe).
func lockIsHeld(_ path: String) -> Bool {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
    return true
}
