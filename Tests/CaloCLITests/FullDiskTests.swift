import CaloTestSupport
import Foundation
import Testing

/// A full disk (here: a file-size limit, `ulimit -f`, which makes write(2) fail with EFBIG the way
/// ENOSPC does) through the real executable: exit 1 with one error line naming the cause, no
/// crash in HDF5's exit-time cleanup, no temporary file left behind and no output file.
@Suite("a full disk: a clear error, exit 1, nothing left behind")
struct FullDiskTests {
    static func expectCleanFailure(_ r: Executable.Result, in dir: TemporaryDirectory, sub: String? = nil,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.code == 1, "exit \(r.code), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one error line: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains("File too large"), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Program crashed"), sourceLocation: sourceLocation)
        #expect(!(sub.map { dir.contents(of: $0) } ?? dir.contents).contains { $0.contains(".tmp-") }, "temporary files left: \(sub.map { dir.contents(of: $0) } ?? dir.contents)",
                sourceLocation: sourceLocation)
    }

    @Test("simulate")
    func simulate() throws {
        let dir = TemporaryDirectory()
        let r = try Executable.run(["simulate", "-p", "eplus", "-n", "2000", "-o", dir.file("s.h5"), "-j", "2", "-q"],
                                   fileSizeLimitBlocks: 200)
        Self.expectCleanFailure(r, in: dir)
        #expect(dir.contents.isEmpty)
    }

    @Test("generate")
    func generate() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let r = try Executable.run(["generate", "--model", fixture.runPath, "--flow", "teacher", "-n", "600",
                                    "-o", dir.file("g.h5"), "-j", "2", "-q"], fileSizeLimitBlocks: 100)
        Self.expectCleanFailure(r, in: dir)
        #expect(dir.contents.isEmpty)
    }

    @Test("train-teacher: the checkpoint write fails, no temporary checkpoint stays in the run directory")
    func trainTeacher() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let r = try Executable.run(["train-teacher", "--data", fixture.dataPath, "--config", fixture.configPath,
                                    "--run", dir.file("run"), "--stage", "flow1", "--max-events", "400", "-j", "2", "-q"],
                                   fileSizeLimitBlocks: 40)
        Self.expectCleanFailure(r, in: dir, sub: "run")
        #expect(!dir.contents(of: "run").contains("flow1-best.h5"))
    }
}
