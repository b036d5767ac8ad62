import Testing
import Foundation
import CaloCLI
import CaloData
import CaloPipeline
import CaloTestSupport

/// Bad input through the real program: a non-zero exit code, exactly one `error:` line that
/// names the problem (nothing else on stderr with --quiet, except the help hint of a usage
/// error), nothing written at the output path, and no existing checkpoint or file changed.
@Suite("bad input, end to end: one error line, nothing written, nothing destroyed")
struct BadInputTests {
    /// Checks the failure shape and that the error line mentions every string of `mentions`.
    static func expectFailure(_ r: CLIRun, code: Int32 = 1, mentions: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.code == code, "\(r.summary)", sourceLocation: sourceLocation)
        #expect(r.errorLines.count == 1, "\(r.summary)", sourceLocation: sourceLocation)
        #expect(r.messageLines.count == 1, "only the error line on stderr: \(r.summary)", sourceLocation: sourceLocation)
        let line = r.errorLines.first ?? ""
        for m in mentions { #expect(line.contains(m), "'\(m)' missing from: \(line)", sourceLocation: sourceLocation) }
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    static func train(data: String, config: String, run: String, _ extra: [String] = []) -> CLIRun {
        CLIRun(["train-teacher", "--data", data, "--config", config, "--run", run, "--seed", "5", "-j", "2", "-q"] + extra)
    }

    static func generate(model: String, output: String, _ extra: [String] = []) -> CLIRun {
        CLIRun(["generate", "--model", model, "--flow", "teacher", "-n", "20", "-o", output, "-j", "2", "-q"] + extra)
    }

    // MARK: - train-teacher

    @Test("a missing data file: named, and no run directory is created")
    func missingData() throws {
        let dir = TemporaryDirectory()
        try write(TrainedPipeline.configJSON, to: dir.file("config.json"))
        let r = Self.train(data: dir.file("missing.h5"), config: dir.file("config.json"), run: dir.file("run"))
        Self.expectFailure(r, mentions: ["missing.h5"])
        #expect(dir.contents == ["config.json"])
    }

    @Test("a data file without the layer_2 dataset: named, and no run directory is created")
    func wrongLayout() throws {
        let dir = TemporaryDirectory()
        try write(TrainedPipeline.configJSON, to: dir.file("config.json"))
        let f = try HDF5File(path: dir.file("bad.h5"), mode: .create(overwrite: false))
        let n = 20
        try f.createDataset("energy", values: [Float](repeating: 10, count: n), shape: [n, 1])
        try f.createDataset("layer_0", values: [Float](repeating: 1, count: n * 288), shape: [n, 3, 96])
        try f.createDataset("layer_1", values: [Float](repeating: 1, count: n * 144), shape: [n, 12, 12])
        try f.createDataset("overflow", values: [Float](repeating: 0, count: n * 3), shape: [n, 3])
        try f.close()
        let r = Self.train(data: dir.file("bad.h5"), config: dir.file("config.json"), run: dir.file("run"))
        Self.expectFailure(r, mentions: ["bad.h5", "layer_2"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("run")))
    }

    @Test("a config with an unknown key or an impossible value: the key is named, no run directory is created",
          arguments: [
            (#""dropout": 0.05}"#, #""dropuot": 0.05}"#, "teacher.architecture.dropuot"),
            (#""dropout": 0.05}"#, #""dropout": 1.5}"#, "teacher.architecture.dropout"),
            (#""epochs": 40"#, #""epochs": -3"#, "flowI.training.epochs"),
            (#""batchSize": 200, "schedule": {"kind": "constant", "rate": 3e-3}"#,
             #""batchSize": 0, "schedule": {"kind": "constant", "rate": 3e-3}"#, "flowI.training.batchSize"),
          ])
    func badConfig(_ original: String, _ replacement: String, _ key: String) throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        #expect(TrainedPipeline.configJSON.components(separatedBy: original).count == 2, "the edit applies once")
        try write(TrainedPipeline.configJSON.replacingOccurrences(of: original, with: replacement), to: dir.file("bad.json"))
        let r = Self.train(data: fixture.dataPath, config: dir.file("bad.json"), run: dir.file("run"))
        Self.expectFailure(r, mentions: [key])
        #expect(!FileManager.default.fileExists(atPath: dir.file("run")))
    }

    @Test("a run directory holding checkpoints is not overwritten without --resume")
    func existingRunWithoutResume() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try fixture.copyRun(into: dir)
        let before = snapshot(run)
        #expect(before.keys.contains("teacher-best.h5"))
        let r = Self.train(data: fixture.dataPath, config: fixture.configPath, run: run)
        Self.expectFailure(r, mentions: ["--resume", "flow1-best.h5"])
        #expect(snapshot(run) == before, "every file of the run directory is unchanged")
    }

    @Test("--resume on an empty or missing run directory fails instead of training from scratch")
    func resumeNothing() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: false)
        let r = Self.train(data: fixture.dataPath, config: fixture.configPath, run: dir.file("empty"), ["--resume"])
        Self.expectFailure(r, mentions: ["--resume", "flow1-last.h5"])
        #expect(dir.contents(of: "empty").isEmpty)
        let missing = Self.train(data: fixture.dataPath, config: fixture.configPath, run: dir.file("none"), ["--resume", "--stage", "teacher"])
        Self.expectFailure(missing, mentions: ["--resume", "teacher-last.h5"])
        #expect(dir.contents == ["empty"])
    }

    @Test("--resume on a finished run trains nothing and leaves every checkpoint as it was")
    func resumeFinished() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try fixture.copyRun(into: dir)
        let before = snapshot(run).filter { $0.key.hasSuffix(".h5") }
        let r = Self.train(data: fixture.dataPath, config: fixture.configPath, run: run, ["--resume"])
        #expect(r.code == 0, "\(r.summary)")
        #expect(snapshot(run).filter { $0.key.hasSuffix(".h5") } == before)
    }

    @Test("a loss that becomes non-finite stops training with one line naming epoch and step; epoch-1 checkpoints stay usable")
    func nonFiniteLoss() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let original = #""epochs": 40, "batchSize": 200, "schedule": {"kind": "constant", "rate": 3e-3}"#
        #expect(TrainedPipeline.configJSON.contains(original))
        // Epoch 1 at 1e-3, then 1e19: the first step of epoch 2 overflows the weights.
        let exploding = #""epochs": 3, "batchSize": 200, "schedule": {"kind": "step", "initialRate": 1e-3, "stepSize": 1, "gamma": 1e22}"#
        try write(TrainedPipeline.configJSON.replacingOccurrences(of: original, with: exploding), to: dir.file("nan.json"))
        let run = dir.file("run")
        let r = Self.train(data: fixture.dataPath, config: dir.file("nan.json"), run: run, ["--stage", "flow1"])
        Self.expectFailure(r, mentions: ["flow1", "at epoch 2, step ", "last good checkpoint"])
        for slot in ["best", "last"] {
            let c = try Checkpoint.read(from: run + "/flow1-\(slot).h5", expectedKind: "flow1")  // also checks every value is finite
            #expect(c.training?.epoch == 1)
        }
        #expect(try RunDirectory(path: run).readMetrics().records.map(\.epoch) == [1])
    }

    // MARK: - generate

    /// A copy of the trained run with `teacher-best.h5` replaced by `replacement` (a path, or raw bytes).
    static func runWithBadTeacher(_ dir: TemporaryDirectory, _ fixture: TrainedPipeline,
                                  _ damage: (String) throws -> Void) throws -> String {
        let run = try fixture.copyRun(into: dir)
        try damage(run + "/teacher-best.h5")
        return run
    }

    @Test("generate refuses a damaged or wrong teacher checkpoint and writes nothing",
          arguments: ["flow1 checkpoint", "truncated", "foreign HDF5", "text file", "absent"])
    func badCheckpoint(_ kind: String) throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let run = try Self.runWithBadTeacher(dir, fixture) { path in
            switch kind {
            case "flow1 checkpoint": try copy(fixture.runPath + "/flow1-best.h5", to: path)
            case "truncated":
                let data = fileBytes(path)!
                try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
            case "foreign HDF5": try copy(fixture.dataPath, to: path)
            case "text file": try write("{\"not\": \"a checkpoint\"}\n", to: path)
            default: try FileManager.default.removeItem(atPath: path)
            }
        }
        let before = snapshot(run)
        let r = Self.generate(model: run, output: dir.file("out.h5"))
        let expected: [String] = switch kind {
        case "flow1 checkpoint": ["teacher-best.h5", "'flow1'", "'teacher'"]
        case "truncated": ["teacher-best.h5", "truncated or corrupt"]
        case "foreign HDF5": ["teacher-best.h5", "not a caloflow checkpoint", "layer_0"]
        case "text file": ["teacher-best.h5", "not an HDF5 file"]
        default: ["teacher-best.h5"]
        }
        Self.expectFailure(r, mentions: expected)
        #expect(dir.contents == ["run"], "no output and no temporary file left behind")
        #expect(snapshot(run) == before)
    }

    @Test("generate does not replace an existing output without --force")
    func existingOutput() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        try copy(fixture.generatedPath, to: dir.file("out.h5"))
        let before = fileBytes(dir.file("out.h5"))
        let r = Self.generate(model: fixture.runPath, output: dir.file("out.h5"))
        #expect(r.code != 0)
        #expect(r.errorLines.count == 1 && r.errorLines.first?.contains("--force") == true, "\(r.summary)")
        #expect(fileBytes(dir.file("out.h5")) == before, "the existing file is byte-identical")
        #expect(dir.contents == ["out.h5"])
    }

    @Test("generate from a directory that is not a run fails and writes nothing")
    func notARun() throws {
        let dir = TemporaryDirectory()
        let r = Self.generate(model: dir.file("nope"), output: dir.file("out.h5"))
        Self.expectFailure(r, mentions: ["nope"])
        #expect(dir.contents.isEmpty)
    }

    // MARK: - Flags

    @Test("bad flags are usage errors (exit 2) naming the flag, and nothing is written",
          arguments: [
            (["generate", "--model", "R", "-o", "OUT", "--evnts", "5"], "--evnts"),
            (["generate", "--model", "R", "-o", "OUT", "--events", "0"], "--events"),
            (["generate", "--model", "R", "-o", "OUT", "--events", "-5"], "--events"),
            (["generate", "--model", "R", "-o", "OUT", "--events", "many"], "--events"),
            (["generate", "--model", "R", "-o", "OUT", "--flow", "studnet"], "--flow"),
            (["generate", "--model", "R", "-o", "OUT", "--energy", "5", "--energies", "1,2"], "--energies"),
            (["generate", "--model", "R"], "--output"),
            (["train-teacher", "--data", "D", "--run", "RUN", "--stage", "flow2"], "--stage"),
            (["train-teacher", "--data", "D", "--run", "RUN", "--max-events", "3"], "--max-events"),
            (["train-teacher", "--run", "RUN"], "--data"),
          ])
    func badFlags(_ template: [String], _ flag: String) throws {
        let dir = TemporaryDirectory()
        let args = template.map { a in
            switch a {
            case "OUT": dir.file("out.h5")
            case "R": dir.file("run")
            case "RUN": dir.file("newrun")
            case "D": dir.file("data.h5")
            default: a
            }
        }
        let r = CLIRun(args + ["-q"])
        #expect(r.code == 2, "\(r.summary)")
        #expect(r.errorLines.count == 1 && r.errorLines.first?.contains(flag) == true, "\(r.summary)")
        #expect(r.messageLines.count == 1, "\(r.summary)")
        #expect(dir.contents.isEmpty, "nothing written")
    }
}
