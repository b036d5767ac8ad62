import Testing
import CaloData
import CaloTensor
import CaloTestSupport

/// The flat CaloChallenge-style layout (`incident_energies` (N,1), `showers` (N,D), MeV):
/// written and read back, recognised by its dataset names, its geometry by its voxel count, and
/// refused with a clear message when the voxel count names no geometry or it holds bad values.
/// (GeometryShowerFileTests covers the other geometries in depth.)
@Suite struct FlatLayoutTests {
    @Test func flatFilesRoundTripInCaloGANTerms() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("flat.h5")
        let original = randomBatch(37, seed: 5)
        let w = try ShowerFileWriter(path: path, metadata: ShowerFileMetadata(particle: "gamma", seed: 9), chunkEvents: 16,
                                     format: .flat)
        try w.append(original.slice(0..<20))
        try w.append(original.slice(20..<37))
        try w.finish()

        // The file as other tools see it: two datasets, MeV energies.
        let f = try HDF5File(path: path)
        #expect(try f.members(of: "/").sorted() == ["incident_energies", "showers"])
        #expect(try f.datasetInfo("showers").shape == [37, 504])
        #expect(try f.datasetInfo("incident_energies").shape == [37, 1])
        let mev: [Float] = try f.read("incident_energies")
        for i in 0..<37 { #expect(abs(Double(mev[i]) - 1000 * Double(original.incidentEnergy[i])) <= 1e-6 * 1000 * Double(original.incidentEnergy[i])) }
        try f.close()

        let r = try ShowerFileReader(path: path)
        #expect(r.format == .flat)
        #expect(r.metadata.particle == "gamma" && r.metadata.seed == 9)
        #expect(r.metadata.units == "incident_energies, showers: MeV")
        let back = try r.readAll()
        #expect(back.voxels == original.voxels)
        #expect(back.overflow.storage.allSatisfy { $0 == 0 })
        for i in 0..<37 {
            let e = Double(original.incidentEnergy[i])
            #expect(abs(Double(back.incidentEnergy[i]) - e) <= 1e-6 * e)
        }
        #expect(try r.read(10..<15).voxels == original.slice(10..<15).voxels)
    }

    @Test func showersOfAnotherGeometryAreRecognisedByTheirVoxelCount() throws {
        let dir = TemporaryDirectory()
        let f = try HDF5File(path: dir.file("ds1.h5"), mode: .create(overwrite: false))
        try f.createDataset("incident_energies", values: [Float](repeating: 1000, count: 4), shape: [4, 1])
        try f.createDataset("showers", values: [Float](repeating: 1, count: 4 * 368), shape: [4, 368])
        try f.close()
        let r = try ShowerFileReader(path: dir.file("ds1.h5"))
        #expect(r.geometry.name == "ds1-photons")
        let b = try r.readAll()
        #expect(b.geometry == .ds1Photons && b.voxels.cols == 368 && b.overflow.cols == 0 && b.incidentEnergy == [1, 1, 1, 1])
    }

    @Test func aVoxelCountOfNoNamedGeometryIsRefusedWithTheKnownCounts() throws {
        let dir = TemporaryDirectory()
        let f = try HDF5File(path: dir.file("odd.h5"), mode: .create(overwrite: false))
        try f.createDataset("incident_energies", values: [Float](repeating: 1000, count: 4), shape: [4, 1])
        try f.createDataset("showers", values: [Float](repeating: 1, count: 4 * 369), shape: [4, 369])
        try f.close()
        let error = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: dir.file("odd.h5")) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("369 voxels") && text.contains("ds1-photons 368") && text.contains("ds3 40500") && text.contains("--geometry"))
    }

    @Test func aHalfFlatFileNamesTheMissingDataset() throws {
        let dir = TemporaryDirectory()
        let f = try HDF5File(path: dir.file("half.h5"), mode: .create(overwrite: false))
        try f.createDataset("showers", values: [Float](repeating: 1, count: 2 * 504), shape: [2, 504])
        try f.close()
        let error = #expect(throws: CaloDataError.self) { try ShowerFileReader(path: dir.file("half.h5")) }
        #expect(error.map { "\($0)" }?.contains("'incident_energies' is missing") == true)
    }

    @Test func badValuesAreNamedByFlatDatasetAndColumn() throws {
        let dir = TemporaryDirectory()
        var voxels = [Float](repeating: 1, count: 3 * 504)
        voxels[2 * 504 + 300] = -.nan
        let f = try HDF5File(path: dir.file("nan.h5"), mode: .create(overwrite: false))
        try f.createDataset("incident_energies", values: [Float](repeating: 5000, count: 3), shape: [3])
        try f.createDataset("showers", values: voxels, shape: [3, 504])
        try f.close()
        let r = try ShowerFileReader(path: dir.file("nan.h5"))
        #expect(r.format == .flat)
        #expect(try r.read(0..<2).incidentEnergy == [5, 5])   // (N,) energies are accepted, MeV read as GeV
        let error = #expect(throws: CaloDataError.self) { try r.readAll() }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("'showers'") && text.contains("event 2") && text.contains("element 300") && text.contains("NaN"))
    }

    @Test func detectionPrefersCompleteLayouts() {
        #expect(ShowerFileFormat.detect(members: ["energy", "layer_0", "layer_1", "layer_2", "overflow"]) == .calogan)
        #expect(ShowerFileFormat.detect(members: ["incident_energies", "showers"]) == .flat)
        #expect(ShowerFileFormat.detect(members: ["incident_energies", "showers", "energy", "layer_0", "layer_1", "layer_2", "overflow"]) == .calogan)
        #expect(ShowerFileFormat.detect(members: ["showers"]) == nil)
    }
}
