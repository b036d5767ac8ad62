import CaloCLI
import CaloData
import CaloTestSupport
import Foundation
import Glibc
import Testing

/// Generation cut into parts: `mpirun -np 2 caloflow generate` and `generate --part i/n` +
/// `caloflow merge` give the file of one process with the same seed, bit for bit in every
/// dataset, with the same attributes apart from `generation_processes` and `created`;
/// `merge` refuses parts that are missing, doubled or from another run; a rank that fails ends
/// the job with an error and leaves no file behind. Needs Open MPI's mpirun, like `MPITests`.
@Suite("Sharded generation: MPI ranks and --part + merge give the showers of one process")
struct ShardedGenerationTests {
    /// 2400 teacher showers (about a second): blocks of 1000 (the passes of the default batch
    /// size), so 2 ranks get 1000 and 1400, 3 parts 1000, 1000 and 400. More than one pass, so
    /// one process generates on single-threaded passes whatever its thread count, as the ranks
    /// do (with a single pass OpenBLAS threads inside it, and the rounding follows `--threads`).
    static func generate(_ run: String, seed: Int = 11, _ extra: [String]) -> [String] {
        ["generate", "--model", run, "--flow", "teacher", "-n", "2400", "--seed", "\(seed)", "-q"] + extra
    }

    /// Every dataset of a shower file as float32 bit patterns.
    static func datasets(_ path: String) throws -> [String: [UInt32]] {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { try? file.close() }
        var out = [String: [UInt32]]()
        for name in try file.members(of: "/") {
            let info = try file.datasetInfo(name)
            var values = [Float](repeating: 0, count: info.shape.reduce(1, *))
            try values.withUnsafeMutableBufferPointer { try file.readRows(name, 0..<info.shape[0], into: $0) }
            out[name] = values.map(\.bitPattern)
        }
        return out
    }

    static func attributes(_ path: String) throws -> [String: String] {
        let file = try HDF5File(path: path, mode: .readOnly)
        defer { try? file.close() }
        return try file.attributesAsStrings(of: "/")
    }

    /// Expects `a` and `b` to hold the same datasets bit for bit and the same attributes but
    /// `created` and `generation_processes`.
    static func expectSameRun(_ a: String, _ b: String, processes: (String, String)) throws {
        let da = try datasets(a), db = try datasets(b)
        #expect(!da.isEmpty && da.keys.sorted() == db.keys.sorted(), "datasets \(da.keys.sorted()) vs \(db.keys.sorted())")
        for (name, values) in da {
            #expect(values.count > 0 && values == db[name], "dataset \(name) differs between \(a) and \(b)")
        }
        var aa = try attributes(a), ab = try attributes(b)
        #expect(aa["generation_processes"] == processes.0 && ab["generation_processes"] == processes.1)
        for k in ["created", "generation_processes"] { aa[k] = nil; ab[k] = nil }
        #expect(aa == ab, "attributes differ: \(aa) vs \(ab)")
    }

    /// The directory's entries.
    static func entries(_ dir: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    @Test("mpirun -np 2 generate writes one file equal to one process's, and no part files stay")
    func twoRanksEqualOneProcess() throws {
        #expect(FileManager.default.isExecutableFile(atPath: MPITests.mpirun), "Open MPI's mpirun is missing: run scripts/setup.sh")
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let mpi = try Executable.run(MPITests.mpiArguments(2, Self.generate(fixture.runPath, ["-o", dir.file("mpi.h5"), "-j", "1"])),
                                     executable: URL(fileURLWithPath: MPITests.mpirun))
        #expect(mpi.code == 0, "mpirun failed: \(mpi.stderr)")
        let one = CLIRun(Self.generate(fixture.runPath, ["-o", dir.file("one.h5"), "-j", "2"]))
        #expect(one.code == 0, "\(one.summary)")
        try Self.expectSameRun(dir.file("mpi.h5"), dir.file("one.h5"), processes: ("2", "1"))
        #expect(Self.entries(dir) == ["mpi.h5", "one.h5"], "left behind: \(Self.entries(dir))")
    }

    @Test("--part 0/3, 1/3, 2/3 and merge (flat layout) equal one process; merge refuses missing, doubled and foreign parts")
    func partsAndMerge() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let flat = ["--format", "flat", "-j", "2"]
        for i in 0..<3 {
            let r = CLIRun(Self.generate(fixture.runPath, flat + ["--part", "\(i)/3", "-o", dir.file("p\(i).h5")]))
            #expect(r.code == 0, "\(r.summary)")
        }
        let p = (0..<3).map { dir.file("p\($0).h5") }
        let attributes = try Self.attributes(p[1])
        #expect(attributes["part_index"] == "1" && attributes["part_count"] == "3" && attributes["part_first_shower"] == "1000"
                && attributes["part_end_shower"] == "2000" && attributes["part_run_showers"] == "2400", "\(attributes)")
        // In any order.
        let merged = CLIRun(["merge", p[2], p[0], p[1], "-o", dir.file("merged.h5"), "-q"])
        #expect(merged.code == 0, "\(merged.summary)")
        let one = CLIRun(Self.generate(fixture.runPath, flat + ["-o", dir.file("one.h5")]))
        #expect(one.code == 0, "\(one.summary)")
        try Self.expectSameRun(dir.file("merged.h5"), dir.file("one.h5"), processes: ("3", "1"))
        #expect(try Self.attributes(dir.file("merged.h5")).keys.allSatisfy { !$0.hasPrefix("part_") })

        // Refusals: nothing is written.
        func refused(_ parts: [String], _ expected: String) {
            let r = CLIRun(["merge"] + parts + ["-o", dir.file("bad.h5")])
            #expect(r.code != 0 && r.errorLines.contains { $0.contains(expected) }, "expected '\(expected)': \(r.summary)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("bad.h5")))
        }
        refused([p[0], p[2]], "parts are missing: 1 of the run's 3 parts not given (1/3)")
        refused([p[0], p[1], p[1], p[2]], "both are part 1/3")
        refused([p[0], p[1], dir.file("one.h5")], "is not a part of a generation run")
        let otherSeed = CLIRun(Self.generate(fixture.runPath, seed: 12, flat + ["--part", "1/3", "-o", dir.file("seed12.h5")]))
        #expect(otherSeed.code == 0, "\(otherSeed.summary)")
        refused([p[0], dir.file("seed12.h5"), p[2]], "not parts of one generation run: attribute seed is '11'")
        let copy = try fixture.copyRun(into: dir)
        let otherModel = CLIRun(Self.generate(copy, flat + ["--part", "2/3", "-o", dir.file("copy.h5")]))
        #expect(otherModel.code == 0, "\(otherModel.summary)")
        refused([p[0], p[1], dir.file("copy.h5")], "not parts of one generation run: attribute flow1_checkpoint")
        let layout = CLIRun(Self.generate(fixture.runPath, ["--part", "2/3", "-o", dir.file("calogan.h5"), "-j", "2"]))
        #expect(layout.code == 0, "\(layout.summary)")
        refused([p[0], p[1], dir.file("calogan.h5")], "the layout is flat")

        // --part must name one of n parts.
        for bad in ["3/3", "1", "1/0", "a/b"] {
            let r = CLIRun(Self.generate(fixture.runPath, ["--part", bad, "-o", dir.file("x.h5")]))
            #expect(r.code == 2 && r.errorLines.contains { $0.contains("--part takes i/n") }, "\(r.summary)")
        }
    }

    @Test("a rank that fails ends the job with its error; no output and no part or temporary file stays")
    func failingRankFailsTheJob() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let arguments = Self.generate(fixture.runPath, ["-o", dir.file("g.h5"), "-j", "1"])
        let exe = Executable.url.path
        // MPMD: rank 0 as usual, rank 1 may write files of at most 8 blocks of 512 bytes (a full
        // disk). Over TCP: Open MPI's shared-memory transport would fail first, sizing its
        // segment file under the same limit.
        let mpirun = (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["--mca", "btl", "self,tcp", "--oversubscribe", "-np", "1", exe] + arguments
            + [":", "-np", "1", "/bin/sh", "-c", "ulimit -f 8; exec \"$0\" \"$@\"", exe] + arguments
        let r = try Executable.run(mpirun, executable: URL(fileURLWithPath: MPITests.mpirun))
        #expect(r.code != 0, "the job must fail: \(r.stderr)")
        let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("rank 1 of 2") && $0.contains("error: ") }
        #expect(line?.contains("File too large") == true, "rank 1 reports its error: \(r.stderr)")
        #expect(!r.stderr.contains("shared memory"), "\(r.stderr)")
        // The other rank's files go with the SIGTERM that ends it; give its handler a moment.
        var waited = 0.0
        while !Self.entries(dir).isEmpty && waited < 10 { usleep(50_000); waited += 0.05 }
        #expect(Self.entries(dir).isEmpty, "left behind: \(Self.entries(dir))")
    }
}
