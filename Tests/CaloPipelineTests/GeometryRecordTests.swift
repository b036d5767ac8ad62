import Testing
import Foundation
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Models and runs know the geometry of their showers: a checkpoint stores it (and one without
/// it is a CaloGAN model), run.json records it once and refuses showers of another geometry, a
/// model is refused with showers of another geometry, and the pipeline refuses to train on or
/// generate showers of a geometry it does not model yet.
@Suite struct GeometryRecordTests {
    static func info(_ stage: FlowStage, geometry: CalorimeterGeometry) throws -> FlowModelInfo {
        let data = try syntheticData(20)
        return FlowModelInfo(stage: stage, kind: .maf, architecture: try architecture(blocks: 1, hidden: 8), preprocessing: Preprocessing(),
                             trainingData: data.summary, geometry: geometry)
    }

    @Test func checkpointsStoreTheirGeometryAndOldOnesAreCaloGAN() throws {
        let dir = TemporaryDirectory()
        let a = try architecture(blocks: 1, hidden: 8)
        let flow = try freshFlow(.teacher, a, seed: 1)
        let path = dir.file("teacher-best.h5")
        try ModelCheckpoint.make(flow: flow, info: try Self.info(.teacher, geometry: .ds2), seed: 1, appVersion: "test").write(to: path)
        #expect(try ModelCheckpoint.geometry(path: path) == .ds2)
        #expect(try ModelCheckpoint.info(try Checkpoint.read(from: path)).geometry == .ds2)

        // A checkpoint written before geometries were recorded has no geometry attribute.
        var old = try ModelCheckpoint.make(flow: flow, info: try Self.info(.teacher, geometry: .calogan), seed: 1, appVersion: "test")
        old.jsonAttributes.removeValue(forKey: ModelCheckpoint.geometryAttribute)
        let oldPath = dir.file("old.h5")
        try old.write(to: oldPath)
        #expect(try ModelCheckpoint.geometry(path: oldPath) == .calogan)
    }

    @Test func aModelIsRefusedWithShowersOfAnotherGeometry() throws {
        try ModelCheckpoint.requireGeometry(.calogan, of: "m.h5", fits: .calogan, source: "x.h5 holds showers")
        let error = #expect(throws: PipelineError.self) {
            try ModelCheckpoint.requireGeometry(.calogan, of: "runs/a/teacher-best.h5", fits: .ds1Photons, source: "ph.h5 holds showers")
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("runs/a/teacher-best.h5 models showers of the geometry calogan") && text.contains("504 voxels")
                && text.contains("ph.h5 holds showers of the geometry ds1-photons") && text.contains("368 voxels"), "\(text)")
    }

    @Test func runJSONRecordsTheGeometryOnceAndRefusesAnother() throws {
        let dir = TemporaryDirectory()
        let run = RunDirectory(path: dir.file("run"))
        try FileManager.default.createDirectory(atPath: run.path, withIntermediateDirectories: true)
        #expect(try run.recordedGeometry() == nil && run.geometry() == .calogan)
        try run.recordGeometry(.ds2, source: "a.h5")
        #expect(try run.recordedGeometry() == .ds2)
        try run.recordGeometry(.ds2, source: "b.h5")   // the same voxels again: fine
        let error = #expect(throws: PipelineError.self) { try run.recordGeometry(.ds3, source: "c.h5") }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("geometry ds2 (6480 voxels)") && text.contains("c.h5 holds showers of ds3 (40500 voxels)")
                && text.contains("new run directory"), "\(text)")
        #expect(try run.recordedGeometry() == .ds2)
    }

    @Test func generationRefusesFlowsThatDoNotFitTheGeometry() throws {
        // Every built-in geometry trains now (datasets 2 and 3 layer by layer: LayerFlowPipelineTests,
        // which also checks the refusal of a fine geometry with unequal layers); flows of another
        // shape than the geometry's are refused.
        let a = try architecture(blocks: 1, hidden: 8)
        let generatorError = #expect(throws: PipelineError.self) {
            try ShowerGenerator(flowI: try freshFlow(.flow1, a, seed: 1), flowIInfo: try Self.info(.flow1, geometry: .ds2),
                                flowII: try freshFlow(.teacher, a, seed: 2), flowIIInfo: try Self.info(.teacher, geometry: .ds2))
        }
        let text = generatorError.map { "\($0)" } ?? ""
        #expect(text.contains("do not fit the geometry ds2 (45 layers, 6480 voxels)"), "\(text)")
        let mixed = #expect(throws: PipelineError.self) {
            try ShowerGenerator(flowI: try freshFlow(.flow1, a, seed: 1), flowIInfo: try Self.info(.flow1, geometry: .calogan),
                                flowII: try freshFlow(.teacher, a, seed: 2), flowIIInfo: try Self.info(.teacher, geometry: .ds2))
        }
        #expect(mixed.map { "\($0)" }?.contains("not from one run") == true)
    }
}
