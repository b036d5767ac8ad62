import Foundation
import Glibc
import Synchronization
import CaloCLI
import CaloPipeline
import CaloTensor

/// A tiny trained run (Flow I, teacher, student) made once per test process with the real
/// `caloflow` commands, in-process: simulate 2000 e+ showers, train-teacher, distill. About 5 s.
/// `dataset1Pions`: the same on 600 simulated CaloChallenge dataset-1 pion showers (533 voxels,
/// 7 layers) of 1-20 GeV; `dataset2` on 200 dataset-2 showers (6480 voxels, 45 layers).
final class TrainedRun: Sendable {
    /// The tiny configuration scripts/test-embedding.sh trains too (embedding/tiny-run-config.json).
    static var configPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("embedding/tiny-run-config.json").path
    }

    let root: String
    var runPath: String { root + "/run" }
    var dataPath: String { root + "/showers.h5" }

    /// - Parameter simulate: the options of `caloflow simulate` that choose the showers.
    private init(root: String, simulate: [String]) throws {
        self.root = root
        try FileManager.default.copyItem(atPath: Self.configPath, toPath: root + "/config.json")
        for step in [
            ["simulate"] + simulate + ["-o", dataPath, "--seed", "21", "-j", "2", "-q"],
            ["train-teacher", "--data", dataPath, "--config", root + "/config.json", "--run", runPath, "--seed", "5", "-j", "2", "-q"],
            ["distill", "--run", runPath, "--data", dataPath, "--seed", "6", "-j", "2", "-q"],
        ] {
            let r = try CLI.run(step)
            guard r.code == 0 else { throw Failure("fixture step failed: caloflow \(step.joined(separator: " "))\n\(r.stderr)") }
        }
    }

    static let shared = make(["-p", "eplus", "-n", "2000"])
    static let dataset1Pions = make(["--geometry", "ds1-pions", "-n", "600", "--energy-range", "1,20"])
    /// A dataset-2 run (iCaloFlow's layer-by-layer flows, 200 showers): the library refuses it.
    static let dataset2 = make(["--geometry", "ds2", "-n", "200"])

    private static func make(_ simulate: [String]) -> Result<TrainedRun, Error> {
        var template = Array((NSTemporaryDirectory() + "caloflow-embed-fixture-XXXXXX").utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            return .failure(Failure("mkdtemp failed"))
        }
        let root = String(cString: p)
        fixtureRoots.withLock { $0.append(root) }
        _ = removeFixturesAtExit
        return Result { try TrainedRun(root: root, simulate: simulate) }
    }

    private static let removeFixturesAtExit: Void = {
        atexit { fixtureRoots.withLock { for r in $0 { try? FileManager.default.removeItem(atPath: r) } } }
    }()

    static func get() throws -> TrainedRun { try shared.get() }
}

private let fixtureRoots = Mutex<[String]>([])

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs the real program in-process under the process-wide training lock that the other test
/// targets take (an flock on a per-process file), since commands set process globals.
enum CLI {
    struct Result { var code: Int32; var stdout: String; var stderr: String }

    static func run(_ arguments: [String]) throws -> Result {
        _ = removeLockAtExit
        let fd = open(lockPath, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw Failure("cannot open the training test lock") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 { guard errno == EINTR else { throw Failure("flock failed") } }
        defer { flock(fd, LOCK_UN) }
        TrainingSignals.reset()
        defer { TrainingSignals.reset() }
        let out = StringSink(), err = StringSink()
        let code = ComputeThreads.with(blas: 2, workers: 2) {
            CaloflowCLI.program.run(arguments, console: Console(output: out, errorOutput: err))
        }
        return Result(code: code, stdout: out.text, stderr: err.text)
    }

    static let lockPath = "/tmp/caloflow-training-tests-\(getpid()).lock"
    private static let removeLockAtExit: Void = { atexit { unlink(CLI.lockPath) } }()
}

/// A fresh temporary directory, removed with its contents when released.
final class ScratchDirectory {
    let path: String
    init() {
        var template = Array((NSTemporaryDirectory() + "caloflow-embed-test-XXXXXX").utf8CString)
        path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) } ?? NSTemporaryDirectory()
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}
