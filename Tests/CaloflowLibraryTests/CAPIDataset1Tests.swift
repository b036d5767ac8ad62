import Testing
import Foundation
import CCaloflowAPI
import CaloData
import CaloInference
import CaloPipeline
import CaloTensor
import CaloflowLibrary

/// The C API on CaloChallenge dataset 1 (a tiny pion run trained by the real commands: 533
/// cells in 7 polar layers) and its refusal of datasets 2 and 3 (layer-by-layer flows).
@Suite("C API: dataset 1 and the geometries it refuses")
struct CAPIDataset1Tests {
    static let pions = CalorimeterGeometry.ds1Pions

    @Test("a dataset-1 pion run opens and describes its geometry")
    func geometryQueries() throws {
        let run = try TrainedRun.dataset1Pions.get()
        let (s, m) = CAPITests.open(run.runPath)
        try #require(s == CAPITests.ok, "\(CAPITests.lastError)")
        defer { caloflow_model_close(m) }
        #expect(String(cString: caloflow_model_geometry(m)) == "ds1-pions")
        #expect(caloflow_model_cell_count(m) == 533)
        #expect(caloflow_model_layer_count(m) == 7)
        #expect(caloflow_model_latent_size(m) == 7 + 533)
        #expect(String(cString: caloflow_model_particle(m)) == "piplus")
        #expect(String(cString: caloflow_model_describe(m)).contains("ds1-pions"))
        #expect((0..<7).map { caloflow_model_layer_cell_count(m, $0) } == [8, 100, 100, 5, 150, 160, 10])
        #expect((0..<7).map { caloflow_model_layer_id(m, $0) } == [0, 1, 2, 3, 12, 13, 14])
        #expect((0..<7).allSatisfy { caloflow_model_layer_segmentation(m, $0) == Int32(CALOFLOW_SEGMENTATION_POLAR.rawValue) })
        // Layer 1: 10 alpha bins x 10 radial bins from cell 8; no cell size, no stated depth.
        var first: Int32 = 0, nx: Int32 = 0, ny: Int32 = 0, sx = -1.0, sy = -1.0, d0 = 0.0, d1 = 0.0
        #expect(caloflow_model_layer(m, 1, &first, &nx, &ny, &sx, &sy, &d0, &d1) == CAPITests.ok)
        #expect((first, nx, ny, sx, sy) == (8, 10, 10, 0, 0))
        #expect(d0.isNaN && d1.isNaN)
        var edges = [Double](repeating: -1, count: 16), n = 0
        #expect(caloflow_model_layer_radial_edges(m, 1, &edges, edges.count, &n) == CAPITests.ok)
        #expect(n == 11 && Array(edges[0..<n]) == [0, 1, 4, 7, 10, 15, 30, 50, 90, 150, 200])
        n = 0
        #expect(caloflow_model_layer_radial_edges(m, 4, nil, 0, &n) == CAPITests.ok, "a size query")
        #expect(n == 16)
        CAPITests.expectFailure(caloflow_model_layer_radial_edges(m, 4, &edges, 15, &n), CALOFLOW_ERROR_BUFFER_TOO_SMALL, "16 radial edges")
        CAPITests.expectFailure(caloflow_model_layer(m, 7, nil, nil, nil, nil, nil, nil, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "layer 7")
        #expect(caloflow_model_layer_cell_count(m, 7) == -1 && caloflow_model_layer_id(m, -1) == -1)
        #expect(caloflow_model_layer_segmentation(nil, 0) == -1 && caloflow_model_geometry(nil) == nil)
        // Cell 0: layer 0 (one alpha bin), radial bin 0-5 mm: centre r = 2.5 mm at alpha 0.
        var layer: Int32 = -1, x = 0.0, y = 0.0
        #expect(caloflow_model_cell_center(m, 0, &layer, &x, &y) == CAPITests.ok)
        #expect(layer == 0 && abs(x - 2.5) < 1e-12 && abs(y) < 1e-12)
        // Every cell of layer l lies in it, at the radius of its radial bin.
        for c: Int32 in [8, 107, 108, 532] {
            #expect(caloflow_model_cell_center(m, c, &layer, &x, &y) == CAPITests.ok)
            let centre = Self.pions.cellCentre(ofVoxel: Int(c))
            #expect(Int(layer) == Self.pions.layerIndex(ofVoxel: Int(c)) && abs(x - centre.x) < 1e-9 && abs(y - centre.y) < 1e-9)
        }
        CAPITests.expectFailure(caloflow_model_cell_center(m, 533, nil, nil, nil), CALOFLOW_ERROR_INVALID_ARGUMENT, "cell 533")
    }

    @Test("dataset-1 showers: 533 finite, non-negative cells each, those of `caloflow generate`")
    func showers() throws {
        let run = try TrainedRun.dataset1Pions.get()
        let dir = ScratchDirectory()
        let file = dir.file("generated.h5")
        let r = try CLI.run(["generate", "--model", run.runPath, "-n", "12", "--seed", "13", "--format", "flat", "-o", file, "-q"])
        try #require(r.code == 0, "\(r.stderr)")
        let reference = try ShowerFileReader(path: file).readAll()
        let energies = reference.incidentEnergy.map { Double($0) * 1000 }
        let (s, m) = CAPITests.open(run.runPath)
        try #require(s == CAPITests.ok, "\(CAPITests.lastError)")
        defer { caloflow_model_close(m) }
        let (cs, c) = CAPITests.context(m, 4)
        try #require(cs == CAPITests.ok)
        defer { caloflow_context_destroy(c) }
        var cells = [Float](repeating: -1, count: energies.count * 533)
        let gs = cells.withUnsafeMutableBufferPointer { caloflow_generate(c, energies, energies.count, 13, 0, $0.baseAddress, $0.count) }
        #expect(gs == CAPITests.ok, "\(CAPITests.lastError)")
        #expect(cells.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(cells.contains { $0 > 0 })
        // The showers of generate, to float rounding (a cell at the threshold may be 0 in one).
        let threshold = Float(caloflow_model_threshold(m))
        var worst: Float = 0
        for (a, b) in zip(cells, reference.voxels.storage) {
            if (a == 0) != (b == 0) {
                #expect(max(a, b) < threshold * 1.001, "only a cell at the threshold may be zero in one of them: \(a) vs \(b)")
            } else if a != b {
                worst = max(worst, abs(a - b) / max(a, b))
            }
        }
        #expect(worst < 1e-3, "worst relative difference \(worst)")
        // A buffer for 532 cells per shower is too small, and names the model's count.
        var small = [Float](repeating: -1, count: 2 * 533 - 1)
        CAPITests.expectFailure(caloflow_generate(c, energies, 2, 13, 0, &small, small.count), CALOFLOW_ERROR_BUFFER_TOO_SMALL, "1066")
        // Caller-supplied latent codes: 540 per shower.
        let latent = [Float](repeating: 0.2, count: 2 * 540)
        var out = [Float](repeating: -1, count: 2 * 533)
        #expect(caloflow_generate_from_latent(c, energies, 2, latent, latent.count, &out, out.count) == CAPITests.ok)
        #expect(out.allSatisfy { $0.isFinite && $0 >= 0 })
        CAPITests.expectFailure(caloflow_generate_from_latent(c, energies, 2, latent, 1079, &out, out.count),
                                CALOFLOW_ERROR_BUFFER_TOO_SMALL, "1080")
    }

    /// A run directory whose checkpoints record `geometry` (headers only: the refusal comes
    /// before any weight is read).
    static func runRecording(_ geometry: CalorimeterGeometry, in dir: ScratchDirectory) throws -> String {
        let run = dir.file("\(geometry.name)-run")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        for stage in [FlowStage.flow1, .student] {
            var c = Checkpoint(kind: stage.rawValue, appVersion: "test", seed: 1)
            try c.setJSON(ModelCheckpoint.geometryAttribute, geometry)
            try c.write(to: run + "/\(stage.rawValue)-best.h5")
        }
        return run
    }

    @Test("runs of datasets 2 and 3 are refused at open, naming the geometry", arguments: ["ds2", "ds3"])
    func laterDatasetsAreRefused(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let dir = ScratchDirectory()
        let run = try Self.runRecording(g, in: dir)
        var m: OpaquePointer? = nil
        CAPITests.expectFailure(caloflow_model_open(run, 0, -1, &m), CALOFLOW_ERROR_BAD_MODEL, "geometry \(name) (")
        #expect(CAPITests.lastError.contains("\(g.voxelCount) voxels") && CAPITests.lastError.contains("layer-by-layer"))
        #expect(m == nil)
    }

    @Test("a trained dataset-2 run (layer-by-layer flows) is refused at open, naming the geometry")
    func trainedDataset2RunIsRefused() throws {
        let run = try TrainedRun.dataset2.get()
        var m: OpaquePointer? = nil
        CAPITests.expectFailure(caloflow_model_open(run.runPath, 0, -1, &m), CALOFLOW_ERROR_BAD_MODEL, "geometry ds2 (")
        #expect(CAPITests.lastError.contains("6480 voxels") && CAPITests.lastError.contains("caloflow generate"))
        #expect(m == nil)
    }

    @Test("the geometry check: CaloGAN, dataset 1 and small binning files pass; datasets 2 and 3 do not")
    func geometryCheck() throws {
        for g in [CalorimeterGeometry.calogan, .ds1Photons, .ds1Pions] {
            #expect(InferenceModel.supports(g))
            try InferenceModel.requireSupported(g, source: "run")
        }
        for g in [CalorimeterGeometry.ds2, .ds3] {
            #expect(!InferenceModel.supports(g))
            #expect { try InferenceModel.requireSupported(g, source: "runs/\(g.name)") } throws: { error in
                guard case InferenceError.badModel(let message) = error else { return false }
                return message.contains("runs/\(g.name) models showers of the geometry \(g.name) (\(g.title), 45 layers, \(g.voxelCount) voxels)")
                    && message.contains("layer-by-layer")
            }
        }
        // One layer: Flow I needs at least two.
        let single = try CalorimeterGeometry(name: "one.xml", title: "one layer", layers: [
            .init(id: 0, segmentation: .polar(try .init(radialEdges: [0, 10, 20], alphaBins: 4)))])
        #expect { try InferenceModel.requireSupported(single, source: "r") } throws: { "\($0)".contains("at least two layers") }
    }
}
