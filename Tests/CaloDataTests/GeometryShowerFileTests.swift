import Foundation
import Testing
import CaloData
import CaloTensor
import CaloTestSupport

/// Shower files of every geometry: the flat layout written and read for each, the geometry
/// recorded and recognised (attribute, voxel count, the caller's), every disagreement refused
/// with both sides named, streaming in bounded batches, and per-layer statistics.
@Suite struct GeometryShowerFileTests {
    /// `n` random showers of `g`: energies 1-1000 GeV, about 10 % of the voxels non-zero.
    static func showers(_ g: CalorimeterGeometry, _ n: Int, seed: UInt64) -> ShowerBatch {
        var rng = Xoshiro256(seed: seed)
        var b = ShowerBatch(count: n, geometry: g)
        for i in 0..<n { b.incidentEnergy[i] = Float(rng.uniform(1, 1000)) }
        b.voxels.withUnsafeMutableBufferPointer { p in
            for k in 0..<p.count where rng.uniform() < 0.1 { p[k] = Float(rng.uniform(0, 20)) }
        }
        return b
    }

    /// A small user geometry: layer 0 with 3 radial x 4 alpha bins, layer 2 with 2 radial bins.
    static let custom: CalorimeterGeometry = {
        let a = try! CalorimeterGeometry.PolarBinning(radialEdges: [0, 1, 3, 6], alphaBins: 4)
        let b = try! CalorimeterGeometry.PolarBinning(radialEdges: [0, 5, 50], alphaBins: 1)
        return try! CalorimeterGeometry(name: "custom.xml", title: "a test binning", layers: [.init(id: 0, segmentation: .polar(a)),
                                                                                            .init(id: 2, segmentation: .polar(b))],
                                        emptyLayerIDs: [1])
    }()

    // MARK: - Round trips

    /// Dataset 3 with 24 showers: tests stay fast and small (4 MB in memory).
    @Test(arguments: [("ds1-photons", 50), ("ds1-pions", 50), ("ds2", 40), ("ds3", 24)])
    func flatFilesOfEveryGeometryRoundTrip(name: String, count: Int) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let dir = TemporaryDirectory()
        let path = dir.file("\(name).h5")
        let original = Self.showers(g, count, seed: 3)
        let w = try ShowerFileWriter(path: path, metadata: ShowerFileMetadata(particle: "e-"), format: .flat, geometry: g)
        try w.append(original.slice(0..<(count / 2)))
        try w.append(original.slice((count / 2)..<count))
        try w.finish()

        let f = try HDF5File(path: path)
        #expect(try f.datasetInfo("showers").shape == [count, g.voxelCount])
        #expect(try f.datasetInfo("showers").chunkShape == [ShowerFileWriter.defaultChunkEvents(rowValues: g.voxelCount), g.voxelCount])
        #expect(try f.datasetInfo("incident_energies").chunkShape == [512, 1])
        #expect(try f.attribute("geometry") == .string(name))
        #expect(try !f.hasAttribute("geometry_binning"))
        try f.close()

        let r = try ShowerFileReader(path: path)
        #expect(r.geometry == g && r.format == .flat && r.metadata.geometry == name)
        let back = try r.readAll()
        #expect(back.geometry == g && back.voxels == original.voxels && back.overflow.cols == 0)
        for i in 0..<count { #expect(abs(back.incidentEnergy[i] - original.incidentEnergy[i]) <= 1e-6 * original.incidentEnergy[i]) }
        #expect(try r.readIncidentEnergies() == back.incidentEnergy)
        #expect(try ShowerFileReader(path: path, geometry: g).geometry == g)
    }

    @Test func wideShowersGetChunksWithinTheChunkCacheAndBoundedBatches() {
        #expect(ShowerFileWriter.defaultChunkEvents(rowValues: 504) == 512)
        #expect(ShowerFileWriter.defaultChunkEvents(rowValues: 288) == 512)
        #expect(ShowerFileWriter.defaultChunkEvents(rowValues: 6480) == 40)
        #expect(ShowerFileWriter.defaultChunkEvents(rowValues: 40500) == 6)
        #expect(ShowerFileReader.bytesPerShower(.calogan) == 2032 && ShowerFileReader.bytesPerShower(.ds3) == 162_004)
    }

    @Test func streamingReadsDatasetThreeInBatchesOfAFewHundred() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("ds3.h5")
        let w = try ShowerFileWriter(path: path, format: .flat, geometry: .ds3)
        try w.append(Self.showers(.ds3, 10, seed: 4))
        try w.finish()
        let r = try ShowerFileReader(path: path)
        #expect(r.streamingBatchSize() == ShowerFileReader.streamingBatchBytes / 162_004)
        #expect(r.streamingBatchSize() * ShowerFileReader.bytesPerShower(.ds3) <= ShowerFileReader.streamingBatchBytes)
        #expect(r.streamingBatchSize(preferred: 5) == 5)
        let caloGAN = try ShowerFileReader(path: fixture("valid-f64-gzip.h5"))
        #expect(caloGAN.streamingBatchSize() == 10_000)
    }

    @Test func aUserGeometryTravelsWithTheFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("custom.h5")
        let original = Self.showers(Self.custom, 20, seed: 5)
        let w = try ShowerFileWriter(path: path, format: .flat, geometry: Self.custom)
        try w.append(original)
        try w.finish()
        let f = try HDF5File(path: path)
        #expect(try f.attribute("geometry") == .string("custom.xml"))
        #expect(try f.hasAttribute("geometry_binning"))
        try f.close()
        // 14 voxels is no named geometry's count: the recorded binning is what makes it readable.
        let r = try ShowerFileReader(path: path)
        #expect(r.geometry == Self.custom)
        #expect(try r.readAll().voxels == original.voxels)
    }

    // MARK: - Disagreements

    /// A flat file written without caloflow's writer: `voxels` per shower, optional geometry attribute.
    static func foreignFile(_ path: String, voxels: Int, geometry: String? = nil) throws {
        let f = try HDF5File(path: path, mode: .create(overwrite: true))
        try f.createDataset("incident_energies", values: [Double](repeating: 5000, count: 3), shape: [3, 1])
        try f.createDataset("showers", values: [Double](repeating: 0.5, count: 3 * voxels), shape: [3, voxels])
        if let g = geometry { try f.setAttribute("geometry", .string(g)) }
        try f.close()
    }

    @Test func theGeometryComesFromTheCallerThenTheAttributeThenTheVoxelCount() throws {
        let dir = TemporaryDirectory()
        let plain = dir.file("plain.h5"), named = dir.file("named.h5")
        try Self.foreignFile(plain, voxels: 533)
        try Self.foreignFile(named, voxels: 533, geometry: "ds1-pions")
        #expect(try ShowerFileReader(path: plain).geometry == .ds1Pions)
        #expect(try ShowerFileReader(path: named).geometry == .ds1Pions)
        // A caller's geometry with the same voxels wins (a user's copy of the binning).
        let copy = try CalorimeterGeometry(name: "pions-copy.xml", title: "copy", layers: CalorimeterGeometry.ds1Pions.layers)
        #expect(try ShowerFileReader(path: named, geometry: copy).geometry == copy)
        #expect(try ShowerFileReader(path: plain, geometry: copy).read(0..<3).geometry == copy)
    }

    @Test func everyDisagreementIsRefusedNamingBothSides() throws {
        let dir = TemporaryDirectory()
        let ds2 = dir.file("ds2.h5"), lying = dir.file("lying.h5"), photons = dir.file("photons.h5")
        try Self.foreignFile(ds2, voxels: 6480)
        try Self.foreignFile(lying, voxels: 368, geometry: "ds2")
        try Self.foreignFile(photons, voxels: 368, geometry: "ds1-photons")
        // 368 voxels in one layer: the right count, other voxels.
        let flat368 = try CalorimeterGeometry(name: "one-layer.xml", title: "one layer", layers: [
            .init(id: 0, segmentation: .polar(try .init(radialEdges: (0...368).map(Double.init), alphaBins: 1)))])
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let asked = message { try ShowerFileReader(path: ds2, geometry: .ds1Photons) }
        #expect(asked.contains("6480 voxels") && asked.contains("(the count of ds2)") && asked.contains("ds1-photons has 368"), "\(asked)")
        let recorded = message { try ShowerFileReader(path: lying) }
        #expect(recorded.contains("records the geometry ds2 (6480 voxels per shower)") && recorded.contains("has 368"), "\(recorded)")
        let both = message { try ShowerFileReader(path: photons, geometry: flat368) }
        #expect(both.contains("records the geometry ds1-photons") && both.contains("asked for is one-layer.xml, with other voxels"), "\(both)")
        let layout = message { try ShowerFileReader(path: fixture("valid-f64-gzip.h5"), geometry: .ds2) }
        #expect(layout.contains("CaloGAN layout") && layout.contains("ds2 (6480 voxels)"), "\(layout)")
    }

    @Test func writersRefuseShowersThatDoNotFit() throws {
        let dir = TemporaryDirectory()
        #expect(throws: CaloDataError.self) {
            try ShowerFileWriter(path: dir.file("a.h5"), format: .calogan, geometry: .ds1Photons)
        }
        let w = try ShowerFileWriter(path: dir.file("b.h5"), format: .flat, geometry: .ds1Photons)
        let error = #expect(throws: CaloDataError.self) { try w.append(Self.showers(.ds1Pions, 2, seed: 1)) }
        #expect(error.map { "\($0)" }?.contains("showers of ds1-pions (533 voxels) cannot be appended to a file of ds1-photons") == true)
        #expect(dir.contents.isEmpty)
        // CaloGAN showers in the flat layout keep working, and say so.
        let flat = try ShowerFileWriter(path: dir.file("c.h5"), format: .flat)
        var caloGAN = ShowerBatch(count: 2)
        caloGAN.incidentEnergy = [1, 2]
        try flat.append(caloGAN)
        try flat.finish()
        #expect(try ShowerFileReader(path: dir.file("c.h5")).metadata.geometry == "calogan")
    }

    @Test func badValuesInAWideFileNameTheColumn() throws {
        var b = Self.showers(.ds2, 3, seed: 8)
        b.voxels[2, 5000] = -1
        let dir = TemporaryDirectory()
        let w = try ShowerFileWriter(path: dir.file("bad.h5"), format: .flat, geometry: .ds2)
        let error = #expect(throws: CaloDataError.self) { try w.append(b) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("'showers'") && text.contains("event 2") && text.contains("element 5000"), "\(text)")
    }

    // MARK: - Batches and statistics

    @Test func batchesOfAGeometryWithoutOverflowSliceAndConcatenate() {
        let b = Self.showers(.ds1Photons, 7, seed: 9)
        let parts = [b.slice(0..<3), b.slice(3..<3), b.slice(3..<7)]
        #expect(parts.map(\.overflow.rows) == [3, 0, 4])
        #expect(ShowerBatch.concatenate(parts) == b)
        #expect(b.layerEnergy(4).count == 7)
    }

    @Test func perLayerStatisticsOfDatasetOneByHand() throws {
        // Photons: layers of 8, 160, 190, 5 and 5 voxels at 0, 8, 168, 358, 363.
        var b = ShowerBatch(count: 2, geometry: .ds1Photons)
        b.incidentEnergy = [1, 2]   // GeV
        b.voxels[0, 0] = 100; b.voxels[0, 8] = 200; b.voxels[0, 363] = 100
        b.voxels[1, 167] = 50; b.voxels[1, 168] = 250; b.voxels[1, 367] = 100
        var s = ShowerStatistics(geometry: .ds1Photons)
        s.add(b)
        #expect(s.layerEnergy.map(\.mean) == [50, 125, 125, 0, 100])
        #expect(s.totalEnergy.mean == 400 && s.overflow.isEmpty)
        #expect(s.layerShares == [0.125, 0.3125, 0.3125, 0, 0.25])
        #expect(s.nonzeroFraction[1].mean == 1.0 / 160)
        #expect(abs(s.depositedFraction.mean - (0.4 + 0.2) / 2) < 1e-12)

        let dir = TemporaryDirectory()
        let w = try ShowerFileWriter(path: dir.file("p.h5"), format: .flat, geometry: .ds1Photons)
        try w.append(b)
        try w.finish()
        let summary = try ShowerFileSummary(path: dir.file("p.h5"), batchSize: 1)
        #expect(summary.statistics.layerEnergy == s.layerEnergy && summary.geometry == .ds1Photons)
        let text = summary.description
        for needle in ["geometry: ds1-photons", "detector layers without voxels: 4-11, 13-23",
                       "layer 4 (detector layer 12) energy [MeV]: mean 100, std 0; non-zero voxels: 20%",
                       "layer 1 energy [MeV]: mean 125, std 75;", "cell energy [MeV]: mean 400",
                       "layer shares of the cell energy [%]: 12.5 / 31.25 / 31.25 / 0 / 25"] {
            #expect(text.contains(needle), "summary lacks '\(needle)':\n\(text)")
        }
        #expect(!text.contains("overflow") && !text.contains("evaluation threshold"))
    }
}
