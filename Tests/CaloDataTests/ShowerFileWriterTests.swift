import Foundation
import Testing
import CaloData
import CaloTensor
import CaloTestSupport

@Suite struct ShowerFileWriterTests {
    let metadata = ShowerFileMetadata(particle: "gamma", generator: "unit-test", seed: 42, appVersion: "0.1.0",
                                      creationInfo: "test run", extra: ["config": "{\"a\": 1}", "note": "ünïcode"])

    // MARK: - Round trips

    @Test func writeThenReadReturnsTheSameFloat32Values() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("showers.h5")
        let batch = randomBatch(300, seed: 1)
        let w = try ShowerFileWriter(path: path, metadata: metadata, chunkEvents: 64)
        try w.append(batch)
        try w.finish()
        #expect(dir.contents == ["showers.h5"])

        let r = try ShowerFileReader(path: path)
        #expect(r.count == 300)
        #expect(try r.readAll() == batch)
        for name in ShowerFileLayout.datasetNames {
            let info = try #require(r.datasets[name])
            #expect(info.elementType == .float32)
            #expect(info.shape == [300] + ShowerFileLayout.eventShapes[name]!)
            #expect(info.chunkShape == [64] + ShowerFileLayout.eventShapes[name]!)
            #expect(info.filters == ["deflate"] && info.gzipLevel == 4 && !info.shuffle)
        }
    }

    @Test func attributesRoundTrip() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("meta.h5")
        let w = try ShowerFileWriter(path: path, metadata: metadata)
        try w.append(randomBatch(3, seed: 2))
        try w.finish()
        let r = try ShowerFileReader(path: path)
        var want = metadata
        want.units = ShowerFileLayout.units
        want.geometry = "calogan"   // every file caloflow writes names its geometry
        #expect(r.metadata == want)
        let f = try HDF5File(path: path)
        #expect(try f.attribute("seed") == .int64(42))
        #expect(try f.attribute("particle") == .string("gamma"))
    }

    @Test func streamingAppendsEqualOneShot() throws {
        let dir = TemporaryDirectory()
        let batch = randomBatch(1000, seed: 3)
        let one = try ShowerFileWriter(path: dir.file("one.h5"), chunkEvents: 100)
        try one.append(batch)
        try one.finish()
        let many = try ShowerFileWriter(path: dir.file("many.h5"), chunkEvents: 100)
        for r in [0..<1, 1..<137, 137..<137, 137..<600, 600..<1000] { try many.append(batch.slice(r)) }
        #expect(many.count == 1000)
        try many.finish()
        let a = try ShowerFileReader(path: dir.file("one.h5")).readAll()
        let b = try ShowerFileReader(path: dir.file("many.h5")).readAll()
        #expect(a == batch && b == batch)
    }

    @Test func emptyFileIsValid() throws {
        let dir = TemporaryDirectory()
        let w = try ShowerFileWriter(path: dir.file("empty.h5"))
        try w.finish()
        let r = try ShowerFileReader(path: dir.file("empty.h5"))
        #expect(r.count == 0)
        #expect(try r.readAll().count == 0)
    }

    // MARK: - Atomicity

    @Test func nothingAppearsBeforeFinish() throws {
        let dir = TemporaryDirectory()
        let w = try ShowerFileWriter(path: dir.file("s.h5"))
        try w.append(randomBatch(5, seed: 4))
        #expect(!FileManager.default.fileExists(atPath: dir.file("s.h5")))
        #expect(FileManager.default.fileExists(atPath: w.temporaryPath))
        #expect(w.temporaryPath.hasPrefix(dir.file("s.h5.tmp-")))
        try w.finish()
        #expect(dir.contents == ["s.h5"])
        #expect(throws: CaloDataError.self) { try w.append(randomBatch(1, seed: 5)) }
    }

    @Test func abortRemovesTheTemporaryFileAndKeepsTheOldTarget() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.h5")
        try Data("previous content".utf8).write(to: URL(fileURLWithPath: path))
        let w = try ShowerFileWriter(path: path)
        try w.append(randomBatch(5, seed: 6))
        w.abort()
        #expect(dir.contents == ["s.h5"])
        #expect(fileBytes(path) == Data("previous content".utf8))
        #expect(throws: CaloDataError.self) { try w.finish() }
    }

    @Test func deinitWithoutFinishCleansUp() throws {
        let dir = TemporaryDirectory()
        do {
            let w = try ShowerFileWriter(path: dir.file("s.h5"))
            try w.append(randomBatch(5, seed: 7))
            #expect(dir.contents.count == 1)
        }
        #expect(dir.contents.isEmpty)
    }

    @Test(arguments: [(0, Float.nan, CaloDataError.ValueProblem.nan), (300, -0.5, .negative), (503, .infinity, .infinite)])
    func failedAppendNamesTheEventAndLeavesTheTargetUntouched(column: Int, value: Float,
                                                             problem: CaloDataError.ValueProblem) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.h5")
        let old = try ShowerFileWriter(path: path)
        try old.append(randomBatch(4, seed: 8))
        try old.finish()
        let before = try #require(fileBytes(path))

        let w = try ShowerFileWriter(path: path)
        try w.append(randomBatch(10, seed: 9))
        var bad = randomBatch(6, seed: 10)
        bad.voxels[4, column] = value
        let e = #expect(throws: CaloDataError.self) { try w.append(bad) }
        guard case .invalidValue(_, let d, let event, let index, _, let pr)? = e else {
            Issue.record("wrong error \(String(describing: e))"); return
        }
        let layer = CaloGANGeometry.layerRanges.firstIndex { $0.contains(column) }!
        #expect(d == "layer_\(layer)" && event == 14 && index == column - CaloGANGeometry.layerOffsets[layer] && pr == problem)
        #expect(dir.contents == ["s.h5"])
        #expect(fileBytes(path) == before)
        #expect(throws: CaloDataError.self) { try w.finish() }
        #expect(fileBytes(path) == before)
    }

    @Test func invalidIncidentEnergyOrOverflowIsRejected() throws {
        let dir = TemporaryDirectory()
        var b = randomBatch(3, seed: 11)
        b.incidentEnergy[2] = -1
        let w = try ShowerFileWriter(path: dir.file("s.h5"))
        let e = #expect(throws: CaloDataError.self) { try w.append(b) }
        guard case .invalidValue(_, "energy", 2, 0, _, .negative)? = e else { Issue.record("wrong error \(String(describing: e))"); return }

        var c = randomBatch(3, seed: 12)
        c.overflow[1, 1] = .nan
        let w2 = try ShowerFileWriter(path: dir.file("t.h5"))
        let e2 = #expect(throws: CaloDataError.self) { try w2.append(c) }
        guard case .invalidValue(_, "overflow", 1, 1, _, .nan)? = e2 else { Issue.record("wrong error \(String(describing: e2))"); return }
        #expect(dir.contents.isEmpty)
    }

    @Test func missingDirectoryFailsUpFront() {
        #expect(throws: CaloDataError.self) { try ShowerFileWriter(path: "/no/such/dir/s.h5") }
    }

    @Test func truncatedWriterOutputIsDetected() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.h5")
        let w = try ShowerFileWriter(path: path)
        try w.append(randomBatch(200, seed: 13))
        try w.finish()
        let bytes = try #require(fileBytes(path))
        let cut = dir.file("cut.h5")
        try bytes.prefix(bytes.count - 1000).write(to: URL(fileURLWithPath: cut))
        let e = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: cut) }
        guard case .corruptFile? = e else { Issue.record("wrong error \(String(describing: e))"); return }
    }
}
