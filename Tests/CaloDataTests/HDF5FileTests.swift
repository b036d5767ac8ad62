import Foundation
import Testing
import CaloData
import CaloTestSupport

@Suite struct HDF5FileTests {
    // MARK: - Datasets

    @Test func datasetsOfEveryTypeAndRankRoundTrip() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.h5")
        do {
            let f = try HDF5File(path: path, mode: .create(overwrite: false))
            try f.createDataset("scalar", values: [2.5] as [Double], shape: [])
            try f.createDataset("a/f32", values: (0..<24).map { Float($0) * 0.5 }, shape: [2, 3, 4])
            try f.createDataset("a/f64", values: (0..<6).map { Double($0) / 3 }, shape: [6])
            try f.createDataset("b/c/i64", values: [Int64.min, -1, 0, Int64.max], shape: [2, 2])
            try f.createDataset("u64", values: [UInt64.max, 7], shape: [1, 1, 1, 2],
                                options: HDF5DatasetOptions(gzipLevel: 6))
            try f.close()
        }
        let f = try HDF5File(path: path)
        #expect(try f.read("scalar", as: Double.self) == [2.5])
        #expect(try f.read("/a/f32", as: Float.self) == (0..<24).map { Float($0) * 0.5 })
        #expect(try f.read("a/f64", as: Double.self) == (0..<6).map { Double($0) / 3 })
        #expect(try f.read("b/c/i64", as: Int64.self) == [Int64.min, -1, 0, Int64.max])
        #expect(try f.read("u64", as: UInt64.self) == [UInt64.max, 7])
        #expect(try f.datasetInfo("a/f32").shape == [2, 3, 4])
        #expect(try f.datasetInfo("a/f32").elementType == .float32)
        #expect(try f.datasetInfo("b/c/i64").elementType == .int64)
        #expect(try f.datasetInfo("u64").elementType == .uint64)
        #expect(try f.datasetInfo("u64").gzipLevel == 6)
        #expect(try f.datasetInfo("scalar").shape == [])
        // float64 on disk converts to Float on read.
        #expect(try f.read("a/f64", as: Float.self) == (0..<6).map { Float(Double($0) / 3) })
    }

    /// HDF5 locks every file it opens; a read used to fail ("unable to lock file, errno = 11",
    /// reported as a corrupt file) while another process held an exclusive lock on it. The
    /// other process here is flock(1), holding the lock until its command ends.
    @Test func aFileLockedByAnotherProcessCanStillBeRead() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("locked.h5")
        do {
            let f = try HDF5File(path: path, mode: .create(overwrite: false))
            try f.createDataset("x", values: [1, 2, 3] as [Float], shape: [3])
            try f.close()
        }
        // flock(1) holds the lock while `cat` runs; closing cat's input ends both.
        let holder = Process(), input = Pipe()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", path, "cat"]
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { try? input.fileHandleForWriting.close(); holder.waitUntilExit() }
        // Wait until the lock is held: a shared non-blocking flock of our own then fails.
        let probe = open(path, O_RDONLY | O_CLOEXEC)
        #expect(probe >= 0)
        defer { close(probe) }
        var locked = false
        for _ in 0..<2000 where holder.isRunning {
            if flock(probe, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK { locked = true; break }
            flock(probe, LOCK_UN)
            usleep(5_000)
        }
        try #require(locked, "flock(1) did not take the lock")
        let f = try HDF5File(path: path)
        #expect(try f.read("x", as: Float.self) == [1, 2, 3])
    }

    @Test func rowsAppendAndHyperslabsAlongTheFirstAxis() throws {
        let dir = TemporaryDirectory()
        let f = try HDF5File(path: dir.file("rows.h5"), mode: .create(overwrite: true))
        try f.createDataset("x", type: .float32, shape: [0, 2, 3],
                            options: .streaming(gzipLevel: 4, chunkRows: 4, rowShape: [2, 3]))
        let all = (0..<60).map { Float($0) }
        try f.append("x", Array(all[0..<18]))
        try f.append("x", Array(all[18..<60]))
        let info = try f.datasetInfo("x")
        #expect(info.shape == [10, 2, 3])
        #expect(info.maxShape == [nil, 2, 3])
        #expect(info.chunkShape == [4, 2, 3])
        #expect(info.filters == ["shuffle", "deflate"] && info.gzipLevel == 4 && info.shuffle)
        #expect(try f.read("x", as: Float.self) == all)
        #expect(try f.read("x", rows: 3..<7, as: Float.self) == Array(all[18..<42]))
        try f.writeRows("x", at: 9, [Float](repeating: -1, count: 6))
        #expect(try f.read("x", rows: 8..<10, as: Double.self) == Array(all[48..<54]).map(Double.init) + [Double](repeating: -1, count: 6))

        // Strided memory rows: rows of 6 land in columns 2..<8 of a 10-wide buffer.
        var wide = [Float](repeating: 99, count: 3 * 10)
        try wide.withUnsafeMutableBufferPointer { try f.readRows("x", 1..<4, into: $0, rowStride: 10, columnOffset: 2) }
        for r in 0..<3 {
            #expect(Array(wide[(r * 10)..<(r * 10 + 2)]) == [99, 99])
            #expect(Array(wide[(r * 10 + 2)..<(r * 10 + 8)]) == Array(all[((r + 1) * 6)..<((r + 2) * 6)]))
            #expect(Array(wide[(r * 10 + 8)..<(r * 10 + 10)]) == [99, 99])
        }
        #expect(throws: CaloDataError.self) { try f.read("x", rows: 8..<11, as: Float.self) }
        #expect(throws: CaloDataError.self) { try f.append("x", [Float](repeating: 0, count: 5)) }
    }

    @Test func appendingToAFixedDatasetIsAClearError() throws {
        let dir = TemporaryDirectory()
        let f = try HDF5File(path: dir.file("fixed.h5"), mode: .create(overwrite: true))
        try f.createDataset("x", values: [1, 2] as [Float], shape: [2])
        let e = #expect(throws: CaloDataError.self) { try f.append("x", [3] as [Float]) }
        #expect(e.map { "\($0)" }?.contains("not extensible") == true)
    }

    // MARK: - Groups

    @Test func groupsAreCreatedListedAndChecked() throws {
        let dir = TemporaryDirectory()
        let f = try HDF5File(path: dir.file("g.h5"), mode: .create(overwrite: true))
        try f.createGroup("model/teacher/block0")
        try f.createGroup("model/student")
        try f.createDataset("model/w", values: [1] as [Float], shape: [1])
        #expect(f.exists("model/teacher"))
        #expect(f.exists("/model/teacher/block0"))
        #expect(!f.exists("model/nothing/deeper"))
        #expect(try f.members(of: "model") == ["student", "teacher", "w"])
        #expect(try f.members() == ["model"])
        #expect(try f.kind(of: "model/w") == .dataset)
        #expect(try f.kind(of: "model") == .group)
        #expect(throws: CaloDataError.self) { try f.members(of: "model/w") }
        #expect(throws: CaloDataError.self) { try f.createGroup("model/w") }
    }

    // MARK: - Attributes

    @Test func attributesRoundTripOnRootGroupsAndDatasets() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("attrs.h5")
        let values: [String: HDF5AttributeValue] = [
            "s": .string("hello, wörld ✓"), "empty": .string(""), "d": .double(-1.25e-7), "i": .int64(Int64.min),
            "ds": .doubles([1, 2.5, .pi]), "is": .int64s([3, -4]), "ss": .strings(["a", "bc"]),
            "json": .string("{\"layers\": [1, 2]}"),
        ]
        do {
            let f = try HDF5File(path: path, mode: .create(overwrite: true))
            try f.createGroup("g")
            try f.createDataset("g/x", values: [0] as [Float], shape: [1])
            for object in ["/", "g", "g/x"] {
                for (k, v) in values { try f.setAttribute(k, v, on: object) }
            }
            try f.setAttribute("i", .int64(5), on: "g")  // replacing keeps one attribute
        }
        let f = try HDF5File(path: path)
        for object in ["/", "g", "g/x"] {
            #expect(try f.attributeNames(of: object) == values.keys.sorted())
            for (k, v) in values where !(object == "g" && k == "i") { #expect(try f.attribute(k, of: object) == v) }
        }
        #expect(try f.attribute("i", of: "g") == .int64(5))
        #expect(throws: CaloDataError.self) { try f.attribute("missing", of: "g") }
    }

    @Test func attributesWrittenByH5pyAreRead() throws {
        let f = try HDF5File(path: fixture("valid-f64-gzip.h5"))
        #expect(try f.attribute("particle") == .string("eplus"))
        #expect(try f.attribute("generator") == .string("h5py fixture, größe ✓"))
        #expect(try f.attribute("seed") == .int64(1234))
        #expect(try f.attribute("threshold") == .double(0.5))
        #expect(try f.attribute("weights") == .doubles([1.5, 2.5, -3.0]))
        #expect(try f.attribute("bins") == .int64s([1, 2, 3]))
        #expect(try f.attribute("fixed") == .string("fixed-length ascii"))
    }

    // MARK: - Failures

    @Test func missingFileIsReported() {
        let e = #expect(throws: CaloDataError.self) { try HDF5File(path: "/nonexistent/dir/file.h5") }
        guard case .fileNotFound(let p)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(p == "/nonexistent/dir/file.h5")
    }

    @Test func textFileIsNotHDF5() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("notes.h5")
        try "energy,layer_0\n1,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        let e = #expect(throws: CaloDataError.self) { try HDF5File(path: path) }
        guard case .notHDF5(let p)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(p == path)
    }

    @Test func truncatedFileIsReportedAsCorrupt() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("cut.h5")
        let bytes = try #require(fileBytes(fixture("valid-f64-gzip.h5")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let e = #expect(throws: CaloDataError.self) { try HDF5File(path: path) }
        guard case .corruptFile(let p, let detail)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(p == path)
        #expect(detail.contains("truncated"))
        #expect("\(e!)".contains("truncated or corrupt"))
    }

    @Test func wrongObjectsAndReadOnlyWritesThrowNamingTheObject() throws {
        let f = try HDF5File(path: fixture("valid-f64-gzip.h5"))
        let missing = #expect(throws: CaloDataError.self) { try f.read("layer_9", as: Float.self) }
        guard case .objectNotFound(_, let o)? = missing else { Issue.record("wrong error \(String(describing: missing))"); return }
        #expect(o == "/layer_9")
        #expect(throws: CaloDataError.self) { try f.setAttribute("x", .int64(1)) }
        #expect(throws: CaloDataError.self) { try f.createGroup("g") }
        #expect(throws: CaloDataError.self) { try f.read("/", as: Float.self) }
    }

    @Test func createWithoutOverwriteRefusesAnExistingFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("once.h5")
        _ = try HDF5File(path: path, mode: .create(overwrite: false))
        #expect(throws: CaloDataError.self) { try HDF5File(path: path, mode: .create(overwrite: false)) }
    }
}
