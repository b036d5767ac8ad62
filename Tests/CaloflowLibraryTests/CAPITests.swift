import Testing
import Foundation
import Dispatch
import Synchronization
import CCaloflowAPI
import CaloData
import CaloPipeline
import CaloTensor
import CaloflowLibrary

/// The C API (caloflow.h) called from Swift, on a tiny run trained by the real commands.
@Suite("C API: caloflow.h from Swift")
struct CAPITests {
    static let ok = Int32(bitPattern: CALOFLOW_OK.rawValue)
    static func status(_ s: caloflow_status) -> Int32 { Int32(bitPattern: s.rawValue) }
    static var lastError: String { String(cString: caloflow_last_error()) }

    static func open(_ path: String, precision: Int32 = 0, threshold: Double = CALOFLOW_MODEL_THRESHOLD) -> (Int32, OpaquePointer?) {
        var m: OpaquePointer? = nil
        let s = caloflow_model_open(path, precision, threshold, &m)
        return (s, m)
    }

    static func context(_ m: OpaquePointer?, _ maxBatch: Int32 = 8) -> (Int32, OpaquePointer?) {
        var c: OpaquePointer? = nil
        let s = caloflow_context_create(m, maxBatch, &c)
        return (s, c)
    }

    /// Showers through caloflow_generate, [n][504].
    static func generate(_ c: OpaquePointer?, _ e: [Double], seed: UInt64, first: UInt64) -> (Int32, [Float]) {
        var out = [Float](repeating: -1, count: e.count * 504)
        let s = out.withUnsafeMutableBufferPointer { caloflow_generate(c, e, e.count, seed, first, $0.baseAddress, $0.count) }
        return (s, out)
    }

    @Test("the ABI version, version and kernel strings")
    func library() {
        #expect(caloflow_abi_version() == CALOFLOW_ABI_VERSION)
        #expect(String(cString: caloflow_version()) == AppVersion.current)
        #expect(String(cString: caloflow_kernel()).contains("avx2"))
        #expect(String(cString: caloflow_status_name(Self.status(CALOFLOW_ERROR_ENERGY))) == "CALOFLOW_ERROR_ENERGY")
        #expect(String(cString: caloflow_status_name(99)) == "CALOFLOW_UNKNOWN_STATUS")
    }

    @Test("the showers of `caloflow generate` for the same run, energies and seed")
    func equalsGenerate() throws {
        let run = try TrainedRun.get()
        let dir = ScratchDirectory()
        let file = dir.file("generated.h5")
        // Default spectrum: uniform over the training range; flat layout (energies in MeV).
        let r = try CLI.run(["generate", "--model", run.runPath, "-n", "40", "--seed", "13", "--batch-size", "16",
                             "--format", "flat", "-o", file, "-q"])
        #expect(r.code == 0, "\(r.stderr)")
        let reference = try ShowerFileReader(path: file).readAll()
        let energies = reference.incidentEnergy.map { Double($0) * 1000 }
        let (s, m) = Self.open(run.runPath)
        #expect(s == Self.ok, "\(Self.lastError)")
        defer { caloflow_model_close(m) }
        let (cs, c) = Self.context(m, 8)
        #expect(cs == Self.ok)
        defer { caloflow_context_destroy(c) }
        let (gs, library) = Self.generate(c, energies, seed: 13, first: 0)
        #expect(gs == Self.ok, "\(Self.lastError)")
        var worst: Float = 0, switched = 0
        let threshold = Float(caloflow_model_threshold(m))
        for (x, y) in zip(library, reference.voxels.storage) {
            if (x == 0) != (y == 0) {
                switched += 1
                #expect(max(x, y) < threshold * 1.001, "only a cell at the threshold may be zero in one of them: \(x) vs \(y)")
            } else if x != y {
                worst = max(worst, abs(x - y) / max(x, y))
            }
        }
        #expect(worst < 1e-3, "worst relative difference \(worst), \(switched) cells at the threshold")
        // One shower at a time, starting anywhere: the same showers.
        for k in [0, 17, 39] {
            let (s1, one) = Self.generate(c, [energies[k]], seed: 13, first: UInt64(k))
            #expect(s1 == Self.ok)
            #expect(one == Array(library[(k * 504)..<((k + 1) * 504)]))
        }
    }

    @Test("model queries: geometry, energy range, latent size, description")
    func queries() throws {
        let run = try TrainedRun.get()
        let (s, m) = Self.open(run.runPath)
        #expect(s == Self.ok)
        defer { caloflow_model_close(m) }
        #expect(caloflow_model_cell_count(m) == 504)
        #expect(caloflow_model_latent_size(m) == 507)
        #expect(caloflow_model_layer_count(m) == 3)
        var lo = 0.0, hi = 0.0
        #expect(caloflow_model_energy_range(m, &lo, &hi) == Self.ok)
        #expect(lo >= 1000 && lo < 2000 && hi > 99_000 && hi <= 100_000)
        var first: Int32 = 0, nx: Int32 = 0, ny: Int32 = 0, sx = 0.0, sy = 0.0, d0 = 0.0, d1 = 0.0
        #expect(caloflow_model_layer(m, 1, &first, &nx, &ny, &sx, &sy, &d0, &d1) == Self.ok)
        #expect((first, nx, ny, sx, sy) == (288, 12, 12, 40, 40))
        #expect((d0, d1) == (90, 437))
        var layer: Int32 = -1, x = 0.0, y = 0.0
        #expect(caloflow_model_cell_center(m, 0, &layer, &x, &y) == Self.ok)
        #expect((layer, x, y) == (0, -160, -237.5))
        #expect(caloflow_model_cell_center(m, 503, &layer, &x, &y) == Self.ok)
        #expect((layer, x, y) == (2, 220, 200))
        #expect(String(cString: caloflow_model_particle(m)) == "eplus")
        #expect(String(cString: caloflow_model_describe(m)).contains("student: 2 IAF blocks"))
        #expect(caloflow_model_threshold(m) == 0.01)
    }

    @Test("contexts on several threads sharing one model give the sequential showers")
    func threads() throws {
        let run = try TrainedRun.get()
        let (_, m) = Self.open(run.runPath)
        defer { caloflow_model_close(m) }
        let (_, c) = Self.context(m, 4)
        defer { caloflow_context_destroy(c) }
        let energies = (0..<32).map { 2000.0 + 3000.0 * Double($0) }
        let (_, sequential) = Self.generate(c, energies, seed: 99, first: 1000)
        let results = Mutex<[Int: [Float]]>([:])
        nonisolated(unsafe) let model = m
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            let (_, mine) = Self.context(model, Int32(1 + t))
            defer { caloflow_context_destroy(mine) }
            var out = [Float]()
            for k in 0..<8 {
                let i = t * 8 + k
                let (s, one) = Self.generate(mine, [energies[i]], seed: 99, first: UInt64(1000 + i))
                if s == Self.ok { out += one }
            }
            results.withLock { $0[t] = out }
        }
        let got = results.withLock { $0 }
        for t in 0..<4 { #expect(got[t] == Array(sequential[(t * 8 * 504)..<((t + 1) * 8 * 504)]), "thread \(t)") }
    }

    @Test("closing the model while a context lives keeps the context working; closed handles are errors")
    func handleLifetimes() throws {
        let run = try TrainedRun.get()
        let (_, m) = Self.open(run.runPath)
        let (_, c) = Self.context(m, 2)
        caloflow_model_close(m)
        #expect(Self.generate(c, [20_000], seed: 1, first: 0).0 == Self.ok)
        #expect(caloflow_model_cell_count(m) == -1)
        #expect(Self.context(m).0 == Self.status(CALOFLOW_ERROR_INVALID_ARGUMENT))
        caloflow_context_destroy(c)
        #expect(Self.generate(c, [20_000], seed: 1, first: 0).0 == Self.status(CALOFLOW_ERROR_INVALID_ARGUMENT))
        #expect(Self.lastError.contains("destroyed"))
        // A context handle is not a model handle, and the reverse.
        let (_, m2) = Self.open(run.runPath)
        let (_, c2) = Self.context(m2, 1)
        #expect(caloflow_model_cell_count(c2) == -1)
        #expect(Self.generate(m2, [20_000], seed: 1, first: 0).0 == Self.status(CALOFLOW_ERROR_INVALID_ARGUMENT))
        caloflow_context_destroy(c2)
        caloflow_model_close(m2)
        caloflow_model_close(nil)
        caloflow_context_destroy(nil)
    }

    // MARK: - Every error path

    /// Expects `status` and a non-empty message naming `fragment`.
    static func expectFailure(_ got: Int32, _ expected: caloflow_status, _ fragment: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got == status(expected), "got \(String(cString: caloflow_status_name(got))): \(lastError)", sourceLocation: sourceLocation)
        #expect(lastError.contains(fragment), "message '\(lastError)' should mention '\(fragment)'", sourceLocation: sourceLocation)
    }

    @Test("opening: bad arguments, missing, empty, teacher-only, corrupt, truncated and foreign runs")
    func openErrors() throws {
        let run = try TrainedRun.get()
        let dir = ScratchDirectory()
        let fm = FileManager.default
        var m: OpaquePointer? = nil
        Self.expectFailure(caloflow_model_open(run.runPath, 0, -1, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "output pointer")
        Self.expectFailure(caloflow_model_open(nil, 0, -1, &m), CALOFLOW_ERROR_INVALID_ARGUMENT, "run directory is NULL")
        Self.expectFailure(caloflow_model_open(run.runPath, 7, -1, &m), CALOFLOW_ERROR_INVALID_ARGUMENT, "precision 7")
        for t in [-2.0, .nan, .infinity, 1e6] {
            Self.expectFailure(caloflow_model_open(run.runPath, 0, t, &m), CALOFLOW_ERROR_INVALID_ARGUMENT, "threshold")
        }
        Self.expectFailure(caloflow_model_open("", 0, -1, &m), CALOFLOW_ERROR_INVALID_ARGUMENT, "empty")
        Self.expectFailure(caloflow_model_open(dir.file("missing"), 0, -1, &m), CALOFLOW_ERROR_NOT_FOUND, "no such run directory")
        Self.expectFailure(caloflow_model_open(run.dataPath, 0, -1, &m), CALOFLOW_ERROR_NOT_FOUND, "is a file")
        Self.expectFailure(caloflow_model_open(dir.path, 0, -1, &m), CALOFLOW_ERROR_NOT_FOUND, "flow1-best.h5")
        #expect(m == nil)

        // A run with Flow I and the teacher only.
        let teacherOnly = dir.file("teacher-only")
        try fm.createDirectory(atPath: teacherOnly, withIntermediateDirectories: true)
        for f in ["flow1-best.h5", "teacher-best.h5"] { try fm.copyItem(atPath: run.runPath + "/" + f, toPath: teacherOnly + "/" + f) }
        Self.expectFailure(caloflow_model_open(teacherOnly, 0, -1, &m), CALOFLOW_ERROR_NOT_FOUND, "distill")

        // Damaged student checkpoints: garbage, truncated, a Flow I file under the student's name.
        let student = run.runPath + "/student-best.h5"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: student))
        let damaged: [(String, Data)] = [
            ("garbage", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) })),
            ("truncated", bytes.prefix(bytes.count / 2)),
            ("foreign", try Data(contentsOf: URL(fileURLWithPath: run.runPath + "/flow1-best.h5"))),
            ("teacher", try Data(contentsOf: URL(fileURLWithPath: run.runPath + "/teacher-best.h5"))),
        ]
        for (name, data) in damaged {
            let d = dir.file(name)
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
            try fm.copyItem(atPath: run.runPath + "/flow1-best.h5", toPath: d + "/flow1-best.h5")
            try data.write(to: URL(fileURLWithPath: d + "/student-best.h5"))
            Self.expectFailure(caloflow_model_open(d, 0, -1, &m), CALOFLOW_ERROR_BAD_MODEL, d)
            #expect(m == nil)
        }
    }

    @Test("queries and contexts: NULL and bad handles, layer and cell out of range, bad max batch")
    func queryErrors() throws {
        let run = try TrainedRun.get()
        let (_, m) = Self.open(run.runPath)
        defer { caloflow_model_close(m) }
        #expect(caloflow_model_cell_count(nil) == -1)
        #expect(Self.lastError.contains("caloflow_model_cell_count"))
        #expect(caloflow_model_latent_size(nil) == -1)
        #expect(caloflow_model_layer_count(nil) == -1)
        #expect(caloflow_model_threshold(nil) == -1)
        #expect(caloflow_model_particle(nil) == nil)
        #expect(caloflow_model_describe(nil) == nil)
        var lo = 0.0, hi = 0.0
        Self.expectFailure(caloflow_model_energy_range(nil, &lo, &hi), CALOFLOW_ERROR_INVALID_ARGUMENT, "model handle")
        Self.expectFailure(caloflow_model_energy_range(m, nil, &lo), CALOFLOW_ERROR_INVALID_ARGUMENT, "NULL")
        Self.expectFailure(caloflow_model_layer(m, 3, nil, nil, nil, nil, nil, nil, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "layer 3")
        Self.expectFailure(caloflow_model_layer(nil, 0, nil, nil, nil, nil, nil, nil, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "model handle")
        Self.expectFailure(caloflow_model_cell_center(m, 504, nil, nil, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "cell 504")
        Self.expectFailure(caloflow_model_cell_center(m, -1, nil, nil, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "cell -1")
        var c: OpaquePointer? = nil
        Self.expectFailure(caloflow_context_create(m, 8, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "output pointer")
        Self.expectFailure(caloflow_context_create(nil, 8, &c), CALOFLOW_ERROR_INVALID_ARGUMENT, "model handle")
        for b: Int32 in [0, -3, 4097] {
            Self.expectFailure(caloflow_context_create(m, b, &c), CALOFLOW_ERROR_INVALID_ARGUMENT, "maximum batch")
            #expect(c == nil)
        }
    }

    @Test("generation: NULL pointers, bad energies, small buffers, bad latent codes; nothing written")
    func generateErrors() throws {
        let run = try TrainedRun.get()
        let (_, m) = Self.open(run.runPath)
        defer { caloflow_model_close(m) }
        let (_, c) = Self.context(m, 4)
        defer { caloflow_context_destroy(c) }
        var out = [Float](repeating: -1, count: 3 * 504)
        func gen(_ e: [Double], capacity: Int? = nil, first: UInt64 = 0) -> Int32 {
            out.withUnsafeMutableBufferPointer { caloflow_generate(c, e, e.count, 1, first, $0.baseAddress, capacity ?? $0.count) }
        }
        Self.expectFailure(caloflow_generate(nil, [20_000], 1, 1, 0, &out, out.count), CALOFLOW_ERROR_INVALID_ARGUMENT, "context handle")
        Self.expectFailure(caloflow_generate(c, nil, 1, 1, 0, &out, out.count), CALOFLOW_ERROR_INVALID_ARGUMENT, "incident_energy_mev")
        Self.expectFailure(caloflow_generate(c, [20_000], 1, 1, 0, nil, 504), CALOFLOW_ERROR_INVALID_ARGUMENT, "cells_mev")
        Self.expectFailure(caloflow_generate(c, [20_000], Int(bitPattern: UInt.max), 1, 0, &out, out.count),
                           CALOFLOW_ERROR_INVALID_ARGUMENT, "too large")
        #expect(caloflow_generate(c, nil, 0, 1, 0, nil, 0) == Self.ok, "zero showers are a no-op")
        for bad in [Double.nan, 0, -1, .infinity, 10, 2e5] {
            Self.expectFailure(gen([20_000, bad]), CALOFLOW_ERROR_ENERGY, "incident energy 1")
        }
        Self.expectFailure(gen([20_000, 30_000], capacity: 1007), CALOFLOW_ERROR_BUFFER_TOO_SMALL, "1008")
        Self.expectFailure(gen([20_000], first: ShowerLatents.indexLimit), CALOFLOW_ERROR_INVALID_ARGUMENT, "2^56")
        #expect(out.allSatisfy { $0 == -1 }, "a refused call writes nothing")

        var latent = [Float](repeating: 0.3, count: 2 * 507)
        func fromLatent(_ l: [Float]?, _ n: Int) -> Int32 {
            out.withUnsafeMutableBufferPointer { o in
                caloflow_generate_from_latent(c, [20_000, 40_000], 2, l, n, o.baseAddress, o.count)
            }
        }
        #expect(fromLatent(latent, latent.count) == Self.ok)
        Self.expectFailure(fromLatent(nil, 0), CALOFLOW_ERROR_INVALID_ARGUMENT, "latent is NULL")
        Self.expectFailure(fromLatent(latent, 1013), CALOFLOW_ERROR_BUFFER_TOO_SMALL, "1014")
        latent[600] = .infinity
        Self.expectFailure(fromLatent(latent, latent.count), CALOFLOW_ERROR_LATENT, "shower 1")
    }

    @Test("the error message is per thread")
    func messagesPerThread() throws {
        let messages = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            var m: OpaquePointer? = nil
            _ = caloflow_model_open("/nonexistent/run-\(t)", 0, -1, &m)
            // Give the other thread time to fail too before reading this thread's message.
            usleep(20_000)
            messages.withLock { $0[t] = String(cString: caloflow_last_error()) }
        }
        let got = messages.withLock { $0 }
        #expect(got[0]?.contains("run-0") == true && got[1]?.contains("run-1") == true, "\(got)")
    }
}
