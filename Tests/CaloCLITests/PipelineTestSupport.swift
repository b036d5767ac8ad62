import Foundation
import Glibc
import Synchronization
import CaloCLI
import CaloData
import CaloPipeline
import CaloTensor
import CaloTestSupport

// MARK: - Running the real program in-process

/// One run of the real `caloflow` program (`CaloflowCLI.program`) with captured output.
/// Every run holds the process-wide training lock (see `withTrainingLock`), because commands set
/// process globals: thread counts, signal handlers and the training stop flag.
struct CLIRun {
    let arguments: [String]
    let code: Int32
    let stdout: String
    let stderr: String

    init(_ arguments: [String]) {
        self.arguments = arguments
        let out = StringSink(), err = StringSink()
        let result = try? withTrainingLock {
            CaloflowCLI.program.run(arguments, console: Console(output: out, errorOutput: err))
        }
        code = result ?? -1
        stdout = out.text
        stderr = err.text
    }

    /// The `error:` lines of stderr.
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("error: ") } }

    /// stderr without the usage hint line ("Run 'caloflow ... --help' ...").
    var messageLines: [String] {
        stderr.split(separator: "\n").map(String.init).filter { !($0.hasPrefix("Run 'caloflow") && $0.contains("--help")) }
    }

    var summary: String { "caloflow \(arguments.joined(separator: " ")) -> \(code)\nstderr:\n\(stderr)" }
}

// MARK: - Files

func write(_ text: String, to path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

func copy(_ from: String, to: String) throws {
    if FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
    try FileManager.default.copyItem(atPath: from, toPath: to)
}

/// Every file of a directory tree with its bytes, for "nothing changed" checks.
func snapshot(_ dir: String) -> [String: Data] {
    var out: [String: Data] = [:]
    for name in (FileManager.default.subpaths(atPath: dir) ?? []) {
        var isDir: ObjCBool = false
        let p = dir + "/" + name
        if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue { out[name] = fileBytes(p) }
    }
    return out
}

// MARK: - A trained run shared by the end-to-end tests

/// Simulated e+ showers, a config, a run trained by `caloflow train-teacher` and showers generated
/// from it with the teacher, made once per test process (about 10 s in a release build, 1 minute in a debug build).
/// Tests that modify a run work on a copy (`copyRun(into:)`).
final class TrainedPipeline: Sendable {
    /// Flow I learns the layer energies well in 40 cheap epochs on all 4000 showers; the teacher
    /// (2 blocks, hidden 16) gets one epoch on the first 1000: enough to exercise generation (each
    /// layer is rescaled to its Flow I energy), not to learn the voxel images.
    static let configJSON = """
        {
          "name": "cli-test",
          "description": "tiny models for the end-to-end tests",
          "flowI": {
            "architecture": {"blocks": 2, "hiddenFeatures": 32, "hiddenLayers": 2},
            "training": {"epochs": 40, "batchSize": 200, "schedule": {"kind": "constant", "rate": 3e-3}}
          },
          "teacher": {
            "architecture": {"blocks": 2, "hiddenFeatures": 16, "hiddenLayers": 2, "dropout": 0.05},
            "training": {"epochs": 1, "batchSize": 200, "maxEvents": 1000, "schedule": {"kind": "constant", "rate": 1e-3}}
          },
          "student": {
            "architecture": {"blocks": 2, "hiddenFeatures": 32, "hiddenLayers": 2},
            "training": {"epochs": 1, "batchSize": 200, "schedule": {"kind": "constant", "rate": 1e-3}}
          }
        }
        """
    static let referenceEvents = 4000
    static let generatedEvents = 2000

    let root: String
    var dataPath: String { root + "/eplus.h5" }
    var configPath: String { root + "/config.json" }
    var runPath: String { root + "/run" }
    var generatedPath: String { root + "/generated.h5" }
    /// Output of each step, for failure messages.
    let log: String

    private init(root: String) throws {
        self.root = root
        try write(Self.configJSON, to: root + "/config.json")
        var log = ""
        let steps: [[String]] = [
            ["simulate", "-p", "eplus", "-n", "\(Self.referenceEvents)", "-o", root + "/eplus.h5", "--seed", "21", "-j", "2", "-q"],
            ["train-teacher", "--data", root + "/eplus.h5", "--config", root + "/config.json", "--run", root + "/run",
             "--seed", "5", "-j", "2", "-q"],
            ["generate", "--model", root + "/run", "--flow", "teacher", "-n", "\(Self.generatedEvents)",
             "-o", root + "/generated.h5", "--seed", "6", "-j", "2", "-q"],
        ]
        for step in steps {
            let r = CLIRun(step)
            log += r.summary + "\n"
            guard r.code == 0 else { throw TestFailure("pipeline fixture failed:\n\(log)") }
        }
        self.log = log
    }

    /// The shared fixture (built on first use; its directory is removed when the process exits).
    static let shared: Result<TrainedPipeline, Error> = {
        let root: String
        do { root = try TemporaryDirectory.makeUnique(prefix: "caloflow-pipeline-fixture") } catch { return .failure(error) }
        fixtureRoot.withLock { $0 = root }
        atexit { fixtureRoot.withLock { if let r = $0 { try? FileManager.default.removeItem(atPath: r) } } }
        return Result { try TrainedPipeline(root: root) }
    }()

    static func get() throws -> TrainedPipeline { try shared.get() }

    /// Copies the trained run directory to `<dir>/run` and returns that path.
    func copyRun(into dir: TemporaryDirectory) throws -> String {
        let target = dir.file("run")
        try copy(runPath, to: target)
        return target
    }
}

private let fixtureRoot = Mutex<String?>(nil)
