import CaloCLI
import CaloPipeline
import CaloTestSupport
import Foundation
import Glibc
import Testing

/// Training as an MPI job (`mpirun -np 2 caloflow train-teacher`): the same weights as one process
/// with two workers and the same gradient shards, rank 0 alone writing the run; a rank killed
/// mid-run ends the job with an error; commands that do not run as several processes are refused.
/// Needs Open MPI's mpirun (scripts/setup.sh installs openmpi-bin); run as root it passes
/// --allow-run-as-root.
@Suite("MPI: two ranks train like one process with two workers")
struct MPITests {
    static let mpirun = "/usr/bin/mpirun"

    /// The teacher alone (2 blocks, hidden 16, dropout) for `epochs` epochs on the first 1000 showers.
    static func config(epochs: Int) -> String {
        """
        {
          "name": "mpi-test",
          "flowI": {"architecture": {"blocks": 2, "hiddenFeatures": 8, "hiddenLayers": 2},
                    "training": {"epochs": 1, "batchSize": 200, "schedule": {"kind": "constant", "rate": 1e-3}}},
          "teacher": {"architecture": {"blocks": 2, "hiddenFeatures": 16, "hiddenLayers": 2, "dropout": 0.05},
                      "training": {"epochs": \(epochs), "batchSize": 100, "maxEvents": 1000, "schedule": {"kind": "constant", "rate": 1e-3}}},
          "student": {"architecture": {"blocks": 2, "hiddenFeatures": 16, "hiddenLayers": 2},
                      "training": {"epochs": 1, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}}
        }
        """
    }

    static func mpiArguments(_ np: Int, _ arguments: [String]) -> [String] {
        (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["--oversubscribe", "-np", "\(np)", Executable.url.path] + arguments
    }

    /// The weights of a checkpoint by parameter name, as bit patterns.
    static func weights(_ path: String) throws -> [String: [UInt32]] {
        let (flow, _) = try ModelCheckpoint.flow(from: try Checkpoint.read(from: path))
        return Dictionary(uniqueKeysWithValues: flow.parameters.map { ($0.name, $0.value.storage.map(\.bitPattern)) })
    }

    @Test("mpirun -np 2 x 1 thread gives the weights of 1 process x 2 workers (2 shards); rank 0 writes run.json")
    func twoRanksEqualTwoWorkers() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.mpirun), "Open MPI's mpirun is missing: run scripts/setup.sh")
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        try write(Self.config(epochs: 2), to: dir.file("config.json"))
        let common = ["train-teacher", "--stage", "teacher", "--data", fixture.dataPath, "--config", dir.file("config.json"),
                      "--seed", "9", "--shards", "2", "-q"]
        let mpi = try Executable.run(Self.mpiArguments(2, common + ["--run", dir.file("mpi"), "-j", "1"]),
                                     executable: URL(fileURLWithPath: Self.mpirun))
        #expect(mpi.code == 0, "mpirun failed: \(mpi.stderr)")
        let single = CLIRun(common + ["--run", dir.file("one"), "-j", "2"])
        #expect(single.code == 0, "\(single.summary)")
        for kind in ["teacher-last.h5", "teacher-best.h5"] {
            let a = try Self.weights(dir.file("mpi/" + kind)), b = try Self.weights(dir.file("one/" + kind))
            let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
            #expect(!a.isEmpty && differing.isEmpty, "\(kind): parameters differ between 2 ranks and 2 workers: \(differing)")
        }
        let invocation = try RunDirectory(path: dir.file("mpi")).invocations().last
        #expect(invocation?.processes == 2 && invocation?.gradientShards?["teacher"] == 2)
        let metrics = try String(contentsOfFile: dir.file("mpi/metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 2, "one metrics line per epoch, written once: \(metrics)")
    }

    @Test("SIGTERM to the ranks stops them at one step; one process with two workers resumes to the uninterrupted weights")
    func stopUnderMPIAndResumeInOneProcess() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        try write(Self.config(epochs: 60), to: dir.file("config.json"))
        let common = ["train-teacher", "--stage", "teacher", "--data", fixture.dataPath, "--config", dir.file("config.json"),
                      "--seed", "4", "-q"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.mpirun)
        process.arguments = Self.mpiArguments(2, common + ["--run", dir.file("mpi"), "-j", "1"])
        FileManager.default.createFile(atPath: dir.file("err"), contents: nil)
        process.standardError = FileHandle(forWritingAtPath: dir.file("err"))
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var waited = 0.0
        func epochs() -> Int {
            ((try? String(contentsOfFile: dir.file("mpi/metrics.jsonl"), encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        while process.isRunning && epochs() < 3 && waited < 120 { usleep(20_000); waited += 0.02 }
        #expect(process.isRunning, "the job ended before it could be stopped")
        // SIGTERM to the ranks, as a batch system's cancel signals every task (one rank alone
        // would do too: the stop is agreed at every step).
        for pid in Self.children(of: process.processIdentifier) { kill(pid, SIGTERM) }
        process.waitUntilExit()
        let stderr = (try? String(contentsOfFile: dir.file("err"), encoding: .utf8)) ?? ""
        // Rank 0's log says where it stopped. (mpirun 4.1's own status and its forwarding of the
        // ranks' stderr after a SIGTERM vary: seen as 1 with the ranks' messages, and as 0 without.)
        let log = (try? String(contentsOfFile: dir.file("mpi/log.txt"), encoding: .utf8)) ?? ""
        #expect(log.contains("SIGTERM") && log.contains("teacher-last.h5"), "rank 0 logs the stop (status \(process.terminationStatus), stderr: \(stderr))")
        #expect(FileManager.default.fileExists(atPath: dir.file("mpi/teacher-last.h5")))
        // Continued by one process (2 workers; the 2 shards come from the checkpoint).
        let resumed = CLIRun(common + ["--run", dir.file("mpi"), "-j", "2", "--resume"])
        #expect(resumed.code == 0, "\(resumed.summary)")
        let straight = CLIRun(common + ["--run", dir.file("one"), "-j", "2", "--shards", "2"])
        #expect(straight.code == 0, "\(straight.summary)")
        let a = try Self.weights(dir.file("mpi/teacher-last.h5")), b = try Self.weights(dir.file("one/teacher-last.h5"))
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(!a.isEmpty && differing.isEmpty, "stopped under MPI and resumed in one process vs uninterrupted: \(differing)")
    }

    @Test("a rank killed mid-run ends the job with an error instead of a hang")
    func killedRankFailsTheJob() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        try write(Self.config(epochs: 500), to: dir.file("config.json"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.mpirun)
        process.arguments = Self.mpiArguments(2, ["train-teacher", "--stage", "teacher", "--data", fixture.dataPath,
                                                  "--config", dir.file("config.json"), "--run", dir.file("run"), "-j", "1", "-q"])
        FileManager.default.createFile(atPath: dir.file("err"), contents: nil)
        process.standardError = FileHandle(forWritingAtPath: dir.file("err"))
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // Wait for training to be under way (the first epoch's metrics), then kill rank 1's process.
        var waited = 0.0
        while process.isRunning && !FileManager.default.fileExists(atPath: dir.file("run/metrics.jsonl")) && waited < 120 {
            usleep(100_000); waited += 0.1
        }
        let ranks = Self.children(of: process.processIdentifier)
        #expect(ranks.count == 2, "mpirun's rank processes: \(ranks)")
        if let victim = ranks.last { kill(victim, SIGKILL) }
        waited = 0
        while process.isRunning && waited < 180 { usleep(100_000); waited += 0.1 }
        if process.isRunning {
            Issue.record("the job still runs 180 s after a rank was killed")
            for pid in ranks { kill(pid, SIGKILL) }
            process.terminate()
        }
        process.waitUntilExit()
        let stderr = (try? String(contentsOfFile: dir.file("err"), encoding: .utf8)) ?? ""
        #expect(process.terminationStatus != 0, "the job must fail: \(stderr)")
        #expect(stderr.contains("signal 9") || stderr.lowercased().contains("killed"), "the launcher names the dead rank: \(stderr)")
    }

    @Test("commands that do not run as several processes are refused under mpirun")
    func simulateIsRefused() throws {
        let dir = TemporaryDirectory()
        let r = try Executable.run(Self.mpiArguments(2, ["simulate", "-p", "eplus", "-n", "10", "-o", dir.file("g.h5")]),
                                   executable: URL(fileURLWithPath: Self.mpirun))
        #expect(r.code != 0)
        #expect(r.stderr.contains("does not run as several processes"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("g.h5")))
    }

    /// Process ids whose parent is `parent` (from /proc/<pid>/stat).
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent else { return false }
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
            return exe.hasSuffix("caloflow")
        }.sorted()
    }
}
