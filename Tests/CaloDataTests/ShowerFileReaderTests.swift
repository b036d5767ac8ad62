import Testing
import CaloData
import CaloTensor

/// The content of valid-f64-gzip.h5 as scripts/make-test-fixtures.py defines it.
func expectedFixtureBatch(_ n: Int) -> ShowerBatch {
    var b = ShowerBatch(count: n)
    for i in 0..<n {
        b.incidentEnergy[i] = Float(1 + i)
        for l in 0..<3 {
            let ny = CaloGANGeometry.ny[l]
            for ix in 0..<CaloGANGeometry.nx[l] { for iy in 0..<ny where (ix * ny + iy + i) % 7 == 0 {
                b.voxels[i, CaloGANGeometry.layerOffsets[l] + ix * ny + iy] = Float(Double(i + 1) * 0.25 * Double(l + 1))
            } }
        }
        for l in 0..<3 { b.overflow[i, l] = Float(Double(i) * 0.5 * Double(l + 1)) }
    }
    return b
}

@Suite struct ShowerFileReaderTests {
    // MARK: - Valid files

    @Test func readsFloat64ChunkedGzipFilesWrittenByH5py() throws {
        let r = try ShowerFileReader(path: fixture("valid-f64-gzip.h5"))
        #expect(r.count == 20 && r.eventsInFile == 20)
        #expect(r.datasets["layer_0"]?.elementType == .float64)
        #expect(r.datasets["layer_0"]?.chunkShape != nil)
        #expect(r.datasets["layer_0"]?.filters == ["shuffle", "deflate"])
        #expect(try r.readAll() == expectedFixtureBatch(20))
        #expect(try r.read(5..<9) == expectedFixtureBatch(20).slice(5..<9))
    }

    @Test func metadataComesFromTheRootAttributes() throws {
        let r = try ShowerFileReader(path: fixture("valid-f64-gzip.h5"))
        #expect(r.metadata.particle == "eplus")
        #expect(r.metadata.seed == 1234)
        #expect(r.metadata.units == "energy: GeV; layer_*, overflow: MeV")
        #expect(r.metadata.extra["fixed"] == "fixed-length ascii")
        #expect(r.metadata.extra["weights"] == "[1.5, 2.5, -3.0]")
        #expect(r.attributes["generator"] == "h5py fixture, größe ✓")
    }

    @Test(arguments: [1, 3, 7, 20, 64])
    func batchesCoverTheFileInOrder(size: Int) throws {
        let r = try ShowerFileReader(path: fixture("valid-f64-gzip.h5"))
        var parts: [ShowerBatch] = [], starts: [Int] = []
        try r.forEachBatch(size: size) { b, start in parts.append(b); starts.append(start) }
        #expect(parts.allSatisfy { $0.count <= size })
        #expect(starts == Array(stride(from: 0, to: 20, by: size)))
        #expect(ShowerBatch.concatenate(parts) == expectedFixtureBatch(20))
    }

    @Test func maxEventsReadsOnlyAPrefix() throws {
        let r = try ShowerFileReader(path: fixture("valid-f64-gzip.h5"), maxEvents: 6)
        #expect(r.count == 6 && r.eventsInFile == 20)
        #expect(try r.readAll() == expectedFixtureBatch(6))
        #expect(throws: CaloDataError.self) { try r.read(4..<8) }
    }

    // MARK: - Layout errors

    @Test func missingDatasetNamesItAndListsTheContent() {
        let e = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: fixture("missing-overflow.h5")) }
        guard case .missingDataset(_, let d, let found)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(d == "overflow")
        #expect(found == ["energy", "layer_0", "layer_1", "layer_2"])
    }

    @Test func wrongRankSaysExpectedAndFound() {
        let e = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: fixture("wrong-rank.h5")) }
        guard case .wrongRank(_, let d, let expected, let found)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(d == "layer_1" && expected == [-1, 12, 12] && found == [4, 144])
        #expect("\(e!)".contains("(N, 12, 12)") && "\(e!)".contains("(4, 144)"))
    }

    @Test func wrongShapeSaysExpectedAndFound() {
        let e = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: fixture("wrong-shape.h5")) }
        guard case .wrongShape(_, let d, let expected, let found)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(d == "layer_2" && expected == [-1, 12, 6] && found == [4, 12, 7])
    }

    @Test func disagreeingEventCountsAreListed() {
        let e = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: fixture("count-mismatch.h5")) }
        guard case .eventCountMismatch(_, let counts)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(counts == ["energy": 4, "layer_0": 4, "layer_1": 3, "layer_2": 4, "overflow": 4])
    }

    @Test func integerDatasetIsAnUnsupportedType() {
        let e = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: fixture("int-dtype.h5")) }
        guard case .unsupportedType(_, let o, let found, _)? = e else { Issue.record("wrong error \(String(describing: e))"); return }
        #expect(o == "/layer_0" && found == "int32")
    }

    @Test func notAShowerFileAtAll() throws {
        let e = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: "/no/such/showers.h5") }
        guard case .fileNotFound? = e else { Issue.record("wrong error \(String(describing: e))"); return }
    }

    // MARK: - Content errors

    @Test(arguments: [
        ("nan-layer1.h5", "layer_1", 2, 5 * 12 + 7, CaloDataError.ValueProblem.nan),
        ("inf-energy.h5", "energy", 3, 0, .infinite),
        ("negative-overflow.h5", "overflow", 1, 2, .negative),
    ])
    func invalidValuesNameDatasetAndEvent(file: String, dataset: String, event: Int, index: Int,
                                          problem: CaloDataError.ValueProblem) throws {
        let r = try ShowerFileReader(path: fixture(file))
        let e = #expect(throws: CaloDataError.self) { try r.readAll() }
        guard case .invalidValue(let p, let d, let ev, let i, _, let pr)? = e else {
            Issue.record("wrong error \(String(describing: e))"); return
        }
        #expect(p == fixture(file) && d == dataset && ev == event && i == index && pr == problem)
        // Events before the bad one read fine; the batch holding it fails with the file index.
        _ = try r.read(0..<event)
        #expect(throws: CaloDataError.self) { try r.read(event..<(event + 1)) }
        // Validation can be switched off for forensic reads.
        r.validatesContent = false
        #expect(try r.readAll().count == 4)
    }
}
