import CaloTestSupport
import Foundation
import Glibc
import Testing
import CaloCLI
import CaloData
import CaloEvaluation
import CaloPipeline

/// A CaloGAN-layout file written directly through HDF5 (bypassing the shower writer's checks),
/// `n` showers with incident energies `energies(i)` GeV and small positive voxels.
func writeRawShowerFile(_ path: String, n: Int, energies: (Int) -> Float) throws {
    let f = try HDF5File(path: path, mode: .create(overwrite: true))
    try f.createDataset("energy", values: (0..<n).map(energies), shape: [n, 1])
    for (name, shape) in [("layer_0", [3, 96]), ("layer_1", [12, 12]), ("layer_2", [12, 6])] {
        let size = shape.reduce(1, *)
        try f.createDataset(name, values: (0..<(n * size)).map { Float(($0 * 7919) % 101) * 0.01 }, shape: [n] + shape)
    }
    try f.createDataset("overflow", values: [Float](repeating: 0, count: n * 3), shape: [n, 3])
    try f.close()
}

/// The bad inputs of issue #13 through the real program (in-process), each with the behaviour
/// the issue asks for. The full-disk, signal and concurrency cases run the executable
/// (FullDiskTests, SignalCleanupTests, ConcurrentRunTests).
@Suite("issue #13: bad input found by crafted files and flags")
struct IssueThirteenTests {
    // MARK: - 2: evaluate with a zero incident energy

    @Test("evaluate refuses a file with a zero incident energy, naming the event, instead of looping forever")
    func zeroIncidentEnergy() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        try writeRawShowerFile(dir.file("zero.h5"), n: 600) { $0 == 5 ? 0 : 10 + Float($0 % 90) }
        let r = CLIRun(["evaluate", "-r", fixture.dataPath, "-g", dir.file("zero.h5"), "-o", dir.file("report"),
                        "--classifier", "none", "-j", "2", "-q"])
        BadInputTests.expectFailure(r, mentions: ["zero.h5", "'energy'", "event 5", "positive"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("report")))
    }

    @Test("the energy bins of the report are total: a zero or equal energies give one bin, non-finite ones none")
    func energyBinsAreTotal() {
        #expect(EvaluationRun.energyBinEdges([0, 5, 50]).count == 1)
        #expect(EvaluationRun.energyBinEdges([.infinity, 5]).isEmpty)
        #expect(EvaluationRun.energyBinEdges([200, 3000]).count >= 2)
    }

    // MARK: - 3: a file declaring 10^9 events

    @Test("train-teacher on a chunked, compressed file declaring 10^9 events refuses with the size and --max-events")
    func hugeDeclaredFile() throws {
        let dir = TemporaryDirectory()
        let n = 1_000_000_000
        let f = try HDF5File(path: dir.file("huge.h5"), mode: .create(overwrite: false))
        for (name, row) in [("energy", [1]), ("layer_0", [3, 96]), ("layer_1", [12, 12]), ("layer_2", [12, 6]), ("overflow", [3])] {
            try f.createDataset(name, type: .float32, shape: [n] + row,
                                options: .streaming(gzipLevel: 4, shuffle: false, chunkRows: 512, rowShape: row))
        }
        try f.close()
        #expect((try FileManager.default.attributesOfItem(atPath: dir.file("huge.h5"))[.size] as? Int ?? 0) < 100_000)
        try write(TrainedPipeline.configJSON, to: dir.file("config.json"))
        let r = BadInputTests.train(data: dir.file("huge.h5"), config: dir.file("config.json"), run: dir.file("run"))
        BadInputTests.expectFailure(r, mentions: ["huge.h5", "1000000000 showers", "TB", "--max-events"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("run")), "refused before the run directory is made")
    }

    // MARK: - 6: convert overflowing float32

    @Test("convert refuses an incident energy that overflows float32 in MeV and writes nothing")
    func convertOverflow() throws {
        let dir = TemporaryDirectory()
        try writeRawShowerFile(dir.file("e36.h5"), n: 20) { $0 == 3 ? 1e36 : 50 }
        let r = CLIRun(["convert", "--input", dir.file("e36.h5"), "-o", dir.file("flat.h5")])
        #expect(r.code == 1, "\(r.summary)")
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains("event 3") && r.errorLines[0].contains("incident_energies"), "\(r.summary)")
        #expect(dir.contents == ["e36.h5"])
    }

    // MARK: - 8: distill --resume

    @Test("distill --resume without student-last.h5 fails instead of starting from scratch")
    func distillResumeNothing() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try fixture.copyRun(into: dir)
        let before = snapshot(run).filter { $0.key.hasSuffix(".h5") }
        let r = CLIRun(["distill", "--run", run, "--resume", "-j", "2", "-q"])
        BadInputTests.expectFailure(r, mentions: ["student-last.h5"])
        #expect(snapshot(run).filter { $0.key.hasSuffix(".h5") } == before)
    }

    /// Rewrites `<run>/flow1-last.h5` with `edit` applied (through the checkpoint API).
    static func editLast(_ run: String, _ edit: (inout Checkpoint) -> Void) throws {
        let path = run + "/flow1-last.h5"
        var c = try Checkpoint.read(from: path)
        edit(&c)
        try c.write(to: path)
    }

    static func resumeFlow1(_ fixture: TrainedPipeline, _ run: String) -> CLIRun {
        BadInputTests.train(data: fixture.dataPath, config: fixture.configPath, run: run, ["--resume", "--stage", "flow1"])
    }

    @Test("--resume refuses a last checkpoint without optimizer state (Adam would silently restart)")
    func resumeWithoutOptimizer() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try fixture.copyRun(into: dir)
        try Self.editLast(run) { $0.optimizer = nil }
        BadInputTests.expectFailure(Self.resumeFlow1(fixture, run), mentions: ["flow1-last.h5", "no optimizer state"])
    }

    @Test("--resume refuses an epoch or step the run cannot have reached", arguments: [1_000_000_000_000, 41, 39])
    func resumeImpossibleEpoch(_ epoch: Int) throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try fixture.copyRun(into: dir)
        try Self.editLast(run) { c in
            c.training!.epoch = epoch
            if epoch == 39 { c.training!.globalStep = 10_000 }   // a real epoch with an impossible step
        }
        BadInputTests.expectFailure(Self.resumeFlow1(fixture, run), mentions: ["flow1-last.h5", "cannot have reached"])
    }

    @Test("--resume refuses when the best checkpoint is truncated, instead of reporting it as the result")
    func resumeWithTruncatedBest() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try fixture.copyRun(into: dir)
        let best = run + "/flow1-best.h5"
        #expect(truncate(best, 3000) == 0)
        BadInputTests.expectFailure(Self.resumeFlow1(fixture, run), mentions: ["flow1-best.h5", "damaged"])
    }

    // MARK: - 9: incident energies outside the supported range

    @Test("train-teacher refuses incident energies outside 1 MeV-10 TeV", arguments: [Float(1e9), 3e38])
    func absurdTrainingEnergies(_ energy: Float) throws {
        let dir = TemporaryDirectory()
        try write(TrainedPipeline.configJSON, to: dir.file("config.json"))
        try writeRawShowerFile(dir.file("far.h5"), n: 200) { $0 == 7 ? energy : 40 }
        let r = BadInputTests.train(data: dir.file("far.h5"), config: dir.file("config.json"), run: dir.file("run"))
        BadInputTests.expectFailure(r, mentions: ["far.h5", "event 7", "outside the range", "10000 GeV"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("run/flow1-best.h5")))
    }

    @Test("the training data path is stored absolute, so distill finds it from another directory")
    func absoluteTrainingPath() throws {
        let fixture = try TrainedPipeline.get()
        let c = try Checkpoint.read(from: fixture.runPath + "/flow1-best.h5")
        #expect(try ModelCheckpoint.info(c).trainingData.file.hasPrefix("/"))
        let cwd = FileManager.default.currentDirectoryPath
        #expect(FileSystem.absolutePath("no/such/file.h5") == (cwd == "/" ? "" : cwd) + "/no/such/file.h5")
        #expect(FileSystem.absolutePath("/abs/x.h5") == "/abs/x.h5")
    }

    // MARK: - 10: info runs generate's checks

    @Test("info exits 1 for a checkpoint with a NaN weight, naming it; generate refuses it the same way")
    func infoNaNCheckpoint() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try fixture.copyRun(into: dir)
        let path = run + "/teacher-best.h5"
        let name = try Checkpoint.read(from: path).parameters[0].name
        let f = try HDF5File(path: path, mode: .readWrite)
        var values: [Float] = try f.read("/parameters/" + name)
        values[0] = .nan
        try f.write("/parameters/" + name, values)
        try f.close()
        let info = CLIRun(["info", path])
        #expect(info.code == 1 && info.errorLines.count == 1 && info.errorLines[0].contains(name), "\(info.summary)")
        let dirInfo = CLIRun(["info", run])
        #expect(dirInfo.code == 1 && dirInfo.errorLines.first == info.errorLines.first, "\(dirInfo.summary)")
        let generate = BadInputTests.generate(model: run, output: dir.file("out.h5"))
        #expect(generate.errorLines == info.errorLines, "\(generate.summary)")
    }

    @Test("info: any directory is not a run directory; a trained run is")
    func infoDirectories() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: false)
        BadInputTests.expectFailure(CLIRun(["info", dir.file("empty")]), mentions: ["not a run directory", "config.json"])
        let good = CLIRun(["info", fixture.runPath])
        #expect(good.code == 0 && good.stderr.isEmpty, "\(good.summary)")
        let noFlowII = try fixture.copyRun(into: dir)
        try FileManager.default.removeItem(atPath: noFlowII + "/teacher-best.h5")
        let r = CLIRun(["info", noFlowII])
        #expect(r.code == 1 && r.errorLines.first?.contains("teacher-best.h5") == true, "\(r.summary)")
    }

    // MARK: - 11: smaller ones

    @Test("--classifier none combined with a variant says so")
    func classifierNoneCombined() throws {
        let r = CLIRun(["evaluate", "-r", "a.h5", "-g", "b.h5", "-o", "out", "--classifier", "none,low"])
        #expect(r.code == 2 && r.errorLines.first?.contains("'none' stands alone") == true, "\(r.summary)")
    }

    @Test("evaluate --threshold 1e30 is a usage error naming the flag")
    func evaluateThreshold() throws {
        let r = CLIRun(["evaluate", "-r", "a.h5", "-g", "b.h5", "-o", "out", "--threshold", "1e30"])
        #expect(r.code == 2 && r.errorLines.first?.contains("--threshold") == true, "\(r.summary)")
    }

    @Test("a binary --energies-from file is named as such, without printing its bytes")
    func binaryEnergiesFrom() throws {
        let dir = TemporaryDirectory()
        try Data((0..<2000).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }).write(to: URL(fileURLWithPath: dir.file("bin.dat")))
        let r = CLIRun(["simulate", "-n", "10", "--energies-from", dir.file("bin.dat"), "-o", dir.file("s.h5"), "-q"])
        #expect(r.code != 0 && r.errorLines.count == 1, "\(r.summary)")
        #expect(r.errorLines.first?.contains("binary data") == true && r.stderr.utf8.count < 300, "\(r.summary)")
        #expect(r.stderr.unicodeScalars.allSatisfy { $0.isASCII }, "\(r.summary)")
    }

    @Test("bench --json to an unwritable place fails before measuring")
    func benchUnwritableJSON() throws {
        let r = CLIRun(["bench", "--json", "/nonexistent-dir/bench.json", "-q"])
        #expect(r.code == 1 && r.stdout.isEmpty, "\(r.summary)")
        #expect(r.errorLines.first?.contains("/nonexistent-dir") == true, "\(r.summary)")
    }

    @Test("generate warns when the requested energies reach outside the training range")
    func extrapolationWarning() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let inside = BadInputTests.generate(model: fixture.runPath, output: dir.file("in.h5"), ["--energy", "50"])
        #expect(inside.code == 0 && inside.stderr.isEmpty, "\(inside.summary)")
        let outside = BadInputTests.generate(model: fixture.runPath, output: dir.file("out.h5"), ["--energy", "10000"])
        #expect(outside.code == 0, "\(outside.summary)")
        #expect(outside.stderr.contains("warning: ") && outside.stderr.contains("outside the training range"), "\(outside.summary)")
    }
}
