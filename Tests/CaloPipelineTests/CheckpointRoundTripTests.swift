import Testing
import Foundation
import CaloData
import CaloNN
import CaloTensor
import CaloPipeline
import CaloTestSupport

@Suite struct CheckpointRoundTripTests {
    @Test func everythingSurvivesWriteAndRead() throws {
        let dir = TemporaryDirectory()
        let (c, params, _) = try sampleCheckpoint()
        let path = dir.file("teacher-last.h5")
        try c.write(to: path)
        let r = try Checkpoint.read(from: path, expectedKind: "teacher")

        #expect(r.kind == "teacher" && r.appVersion == "0.1.0-test" && r.seed == 1234)
        #expect(r.created.hasSuffix("Z") && r.created.count == 20)
        #expect(r.jsonAttributes == c.jsonAttributes)
        #expect(r.parameters.map(\.name) == params.map(\.name), "model order is kept")
        for (a, b) in zip(r.parameters, params) { #expect(bits(a.value) == bits(b.value)) }
        #expect(r.integerArrays == c.integerArrays)
        #expect(r.floatArrays == c.floatArrays)
        #expect(r.optimizer == c.optimizer)
        #expect(r.training == c.training)
        #expect(r.sourcePath == path)
    }

    @Test func loadedStateContinuesTrainingBitIdentically() throws {
        let dir = TemporaryDirectory()
        let (c, params, adam) = try sampleCheckpoint()
        let path = dir.file("ckpt.h5")
        try c.write(to: path)

        let r = try Checkpoint.read(from: path)
        let fresh = blankParameters()
        try r.loadParameters(into: fresh)
        let adam2 = try Adam(parameters: fresh, learningRate: 1e-2)
        try adam2.restore(#require(try r.adamState(for: fresh)))
        #expect(adam2.stepCount == 3)
        for s in 3..<6 {
            setGradients(params, step: s); adam.step()
            setGradients(fresh, step: s); adam2.step()
        }
        for (a, b) in zip(params, fresh) { #expect(bits(a.value) == bits(b.value), "\(a.name) after 3 more steps") }

        var rngA = c.training!.rngStates["data"]!, rngB = r.training!.rngStates["data"]!
        #expect((0..<100).map { _ in rngA.next() } == (0..<100).map { _ in rngB.next() })
        var nA = c.training!.rngStates["noise"]!, nB = r.training!.rngStates["noise"]!
        #expect(nA.normal() == nB.normal())
        var es = r.training!.earlyStopping
        #expect(es.best == -10 && es.bestEpoch == 1 && es.epochsWithoutImprovement == 1)
        #expect(es.observe(-9.95, epoch: 3) == .noImprovement(remaining: 3), "min delta 0.1 survives the round trip")
    }

    @Test func minimalCheckpointHasNoOptionalParts() throws {
        let dir = TemporaryDirectory()
        let params = sampleParameters(seed: 3)
        try Checkpoint(kind: "student", appVersion: "x", seed: UInt64.max, parameters: params).write(to: dir.file("s.h5"))
        let r = try Checkpoint.read(from: dir.file("s.h5"), expectedKind: "student")
        #expect(r.seed == UInt64.max, "seeds above Int64.max are kept (as a string attribute)")
        #expect(r.optimizer == nil && r.training == nil && r.integerArrays.isEmpty && r.floatArrays.isEmpty)
        #expect(try r.adamState(for: params) == nil)
    }

    @Test func loadingAppliesMasks() throws {
        let dir = TemporaryDirectory()
        var c = Checkpoint(kind: "teacher", appVersion: "x", seed: 1, parameters: sampleParameters())
        c.parameters[0].value.storage = [Float](repeating: 2, count: c.parameters[0].value.count)
        try c.write(to: dir.file("m.h5"))
        let fresh = blankParameters()
        try Checkpoint.read(from: dir.file("m.h5")).loadParameters(into: fresh)
        let mask = fresh[0].mask!
        #expect(fresh[0].value.storage == mask.storage.map { $0 * 2 })
    }

    @Test func nonFiniteHistoryValuesRoundTrip() throws {
        let dir = TemporaryDirectory()
        var c = Checkpoint(kind: "teacher", appVersion: "x", seed: 1, parameters: sampleParameters())
        c.training = TrainingState(history: [MetricsRecord(stage: "teacher", epoch: 1, trainLoss: .nan, validationLoss: .infinity,
                                                           learningRate: 1e-3, seconds: 1, showersPerSecond: 1)])
        try c.write(to: dir.file("n.h5"))
        let h = try #require(try Checkpoint.read(from: dir.file("n.h5")).training?.history.first)
        #expect(h.trainLoss.isNaN && h.validationLoss == .infinity)
    }

    @Test func gzipCompressedCheckpointReadsTheSame() throws {
        let dir = TemporaryDirectory()
        let (c, _, _) = try sampleCheckpoint()
        try c.write(to: dir.file("z.h5"), gzipLevel: 4)
        let f = try HDF5File(path: dir.file("z.h5"))
        #expect(try f.datasetInfo("/parameters/out.weight").gzipLevel == 4)
        try f.close()
        let r = try Checkpoint.read(from: dir.file("z.h5"))
        for (a, b) in zip(r.parameters, c.parameters) { #expect(bits(a.value) == bits(b.value)) }
        #expect(r.optimizer == c.optimizer)
    }

    @Test func headerSummarisesWithoutLoadingTensors() throws {
        let dir = TemporaryDirectory()
        let (c, _, _) = try sampleCheckpoint()
        try c.write(to: dir.file("h.h5"))
        let h = try CheckpointHeader.read(from: dir.file("h.h5"))
        #expect(h.kind == "teacher" && h.formatVersion == Checkpoint.formatVersion && h.seed == 1234)
        #expect(h.parameterCount == 3 && h.parameterEntries == 35 + 5 + 60)
        #expect(h.hasOptimizerState && h.epoch == 2 && h.bestMetric == -10 && h.bestEpoch == 1)
        #expect(h.summary.contains("teacher") && h.summary.contains("resumable"))
    }

    @Test func jsonAttributesDecodeAndConfigMismatchIsExplained() throws {
        struct ModelConfig: Codable, Equatable { var blocks: Int; var hiddenFeatures: Int }
        let dir = TemporaryDirectory()
        var c = Checkpoint(kind: "teacher", appVersion: "x", seed: 1, parameters: sampleParameters())
        try c.setJSON("model_config", ModelConfig(blocks: 8, hiddenFeatures: 378))
        try c.write(to: dir.file("j.h5"))
        let r = try Checkpoint.read(from: dir.file("j.h5"))
        #expect(try r.decodeJSON("model_config", as: ModelConfig.self) == ModelConfig(blocks: 8, hiddenFeatures: 378))
        try r.requireJSON("model_config", matches: ModelConfig(blocks: 8, hiddenFeatures: 378))
        do {
            try r.requireJSON("model_config", matches: ModelConfig(blocks: 8, hiddenFeatures: 504))
            Issue.record("mismatch not detected")
        } catch CheckpointError.configMismatch(_, let attribute, let detail) {
            #expect(attribute == "model_config")
            #expect(detail.contains("hiddenFeatures") && detail.contains("378") && detail.contains("504") && !detail.contains("blocks"))
        }
        #expect(throws: CheckpointError.self) { try r.decodeJSON("preprocessing", as: ModelConfig.self) }
    }
}
