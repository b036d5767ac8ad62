import Testing
import Foundation
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Generation output guarantees (design section 6, method section 2.4): whatever the flows
/// sample, the showers are finite and non-negative, carry no voxel between 0 and the
/// threshold, never deposit more than the incident energy, have zero overflow, pass the same
/// validation as reference files, and depend only on (seed, batch index).
@Suite("ShowerGenerator: output guarantees")
struct ShowerGeneratorTests {
    /// Untrained flows: their samples are wild, the harshest input for the inverse preprocessing.
    static func untrainedGenerator(threshold: Double = 0.01) throws -> ShowerGenerator {
        let data = try syntheticData(50)
        let a1 = try architecture(blocks: 2, hidden: 8), a2 = try architecture(blocks: 2, hidden: 8, dropout: 0.05)
        let p = Preprocessing(thresholdMeV: threshold)
        let i1 = FlowModelInfo(stage: .flow1, kind: .maf, architecture: a1, preprocessing: p, trainingData: data.summary)
        let i2 = FlowModelInfo(stage: .teacher, kind: .maf, architecture: a2, preprocessing: p, trainingData: data.summary)
        return try ShowerGenerator(flowI: try freshFlow(.flow1, a1, seed: 5), flowIInfo: i1,
                                   flowII: try freshFlow(.teacher, a2, seed: 6), flowIIInfo: i2)
    }

    static func energies(_ n: Int) -> [Float] {
        var rng = Xoshiro256(seed: 3)
        return (0..<n).map { _ in Float(rng.uniform(1, 100)) }
    }

    /// Checks every guarantee on `b` for incident energies `e` and a threshold (MeV).
    static func checkGuarantees(_ b: ShowerBatch, _ e: [Float], threshold: Float) {
        #expect(b.count == e.count)
        #expect(b.incidentEnergy == e)
        #expect(b.overflow.storage.allSatisfy { $0 == 0 })
        let v = b.voxels.storage
        #expect(v.allSatisfy { $0.isFinite })
        #expect(v.allSatisfy { $0 >= 0 })
        #expect(!v.contains { $0 > 0 && $0 < threshold }, "no voxel between 0 and the threshold")
        #expect(v.contains { $0 > 0 }, "the showers are not empty")
        for r in 0..<b.count {
            let total = (0..<CaloGANGeometry.voxelCount).reduce(0.0) { $0 + Double(b.voxels[r, $1]) }
            #expect(total <= Double(e[r]) * 1e3 * (1 + 1e-5), "shower \(r) deposits more than E_inc")
        }
    }

    @Test("untrained flows still give finite, non-negative, thresholded showers below E_inc")
    func guaranteesOnUntrainedFlows() throws {
        let g = try Self.untrainedGenerator()
        let e = Self.energies(300)
        Self.checkGuarantees(try g.generate(incidentGeV: e, seed: 1, firstShower: 0), e, threshold: 0.01)
    }

    @Test("the threshold can be raised for generation", arguments: [0.0, 0.5, 20.0])
    func thresholdOverride(_ threshold: Double) throws {
        let g = try Self.untrainedGenerator()
        g.preprocessing.thresholdMeV = threshold
        let e = Self.energies(100)
        let b = try g.generate(incidentGeV: e, seed: 1, firstShower: 0)
        Self.checkGuarantees(b, e, threshold: Float(threshold))
        if threshold == 0 {
            // Without a threshold each layer carries its Flow I energy: E_tot/E_inc = u0 varies per shower.
            #expect(b.voxels.storage.contains { $0 > 0 && $0 < 0.5 })
        }
    }

    @Test("same seed and shower indices give the same showers; other indices or another seed give others")
    func reproducible() throws {
        let g = try Self.untrainedGenerator()
        let e = [Float](repeating: 40, count: 40)
        let a = try g.generate(incidentGeV: e, seed: 9, firstShower: 80)
        let b = try g.generate(incidentGeV: e, seed: 9, firstShower: 80)
        let c = try g.generate(incidentGeV: e, seed: 9, firstShower: 120)
        let d = try g.generate(incidentGeV: e, seed: 10, firstShower: 80)
        #expect(a == b)
        #expect(a.voxels != c.voxels)
        #expect(a.voxels != d.voxels)
    }

    @Test("a shower depends on its seed, index and energy only, not on the showers generated with it")
    func perShowerStreams() throws {
        let g = try Self.untrainedGenerator()
        g.flowBatch = 16
        let e = Self.energies(60)
        let all = try g.generate(incidentGeV: e, seed: 9, firstShower: 100, workers: 1)
        // The same showers cut into other batches and passes, and one shower alone.
        let tail = try g.generate(incidentGeV: Array(e[25...]), seed: 9, firstShower: 125, workers: 1)
        let one = try g.generate(incidentGeV: [e[37]], seed: 9, firstShower: 137, workers: 1)
        expectClose(tail.voxels, all.voxels.rows(25..<60))
        expectClose(one.voxels, all.voxels.rows(37..<38))
    }

    /// Equal up to the rounding of products of another shape (OpenBLAS may sum them in another
    /// order): relative 1e-4, and a voxel within 0.1 % of the threshold may be zero in one of them.
    func expectClose(_ a: Matrix, _ b: Matrix, threshold: Float = 0.01) {
        #expect(a.rows == b.rows && a.cols == b.cols)
        var worst: Float = 0
        for (x, y) in zip(a.storage, b.storage) {
            if (x == 0) != (y == 0) {
                #expect(max(x, y) < threshold * 1.001, "\(x) vs \(y): only a voxel at the threshold may switch to zero")
                continue
            }
            worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-30))
        }
        #expect(worst <= 1e-4, "largest relative difference \(worst)")
    }

    @Test("the showers do not depend on how many workers run the passes")
    func independentOfWorkers() throws {
        let g = try Self.untrainedGenerator()
        g.flowBatch = 16
        let e = Self.energies(100)
        // OpenBLAS keeps its thread count here: other tests use it concurrently in this process.
        let one = try g.generate(incidentGeV: e, seed: 4, workers: 1)
        for w in [2, 3, 8] {
            #expect(try g.generate(incidentGeV: e, seed: 4, workers: w, singleThreadedBLAS: false) == one)
        }
        Self.checkGuarantees(one, e, threshold: 0.01)
        // Showers draw from different streams: two passes with equal energies give different showers.
        let same = [Float](repeating: 30, count: 32)
        let b = try g.generate(incidentGeV: same, seed: 4, workers: 2, singleThreadedBLAS: false)
        #expect(b.voxels.rows(0..<16) != b.voxels.rows(16..<32))
    }

    @Test("a stream gives generate's batches, in order, whatever the worker count")
    func streamEqualsBatchByBatchGeneration() throws {
        let g = try Self.untrainedGenerator()
        g.flowBatch = 16
        let all = Self.energies(150)
        let source: @Sendable (Range<Int>) throws -> [Float] = { Array(all[$0]) }
        // Batches of 40 (3 passes of 16, 16, 8) and a last batch of 30: 11 passes in all.
        var expected = [ShowerBatch]()
        for lo in stride(from: 0, to: 150, by: 40) {
            expected.append(try g.generate(incidentGeV: Array(all[lo..<min(150, lo + 40)]), seed: 4, firstShower: lo, workers: 1))
        }
        for workers in [1, 2, 3] {
            let got = try g.stream(count: 150, batch: 40, seed: 4, workers: workers, singleThreadedBLAS: false,
                                   energies: source) { stream in
                var batches = [ShowerBatch]()
                while let b = try stream.next() { batches.append(b) }
                let after = try stream.next()
                #expect(after == nil)
                return batches
            }
            #expect(got == expected, "\(workers) workers")
        }
        // A consumer that asks for other showers than the stream's next batch is refused.
        try g.stream(count: 150, batch: 40, seed: 4, energies: source) { stream in
            #expect(throws: PipelineError.self) { try stream.next(expecting: 40..<80) }
            let first = try stream.next(expecting: 0..<40)
            #expect(first == expected[0])
            // And so is one that asks for more showers than the stream holds.
            while try stream.next() != nil {}
            #expect(throws: PipelineError.self) { try stream.next(expecting: 150..<190) }
        }
    }

    @Test("a stream reports a bad energy source and stops when its consumer gives up")
    func streamErrorsAndEarlyExit() throws {
        let g = try Self.untrainedGenerator()
        g.flowBatch = 16
        // Invalid energies in the second batch: the first batch still arrives, then the error.
        // (Repeated: the second batch's energies are often read while the first one's last pass
        // is still running.)
        let bad: @Sendable (Range<Int>) throws -> [Float] = { r in r.map { $0 >= 40 && $0 < 80 ? -1 : 20 } }
        for _ in 0..<100 {
            try g.stream(count: 120, batch: 40, seed: 1, workers: 2, singleThreadedBLAS: false, energies: bad) { stream in
                let first = try stream.next()
                #expect(first?.count == 40)
                #expect(throws: PipelineError.self) { try stream.next() }
            }
        }
        // Too few energies for a batch.
        let short: @Sendable (Range<Int>) throws -> [Float] = { r in [Float](repeating: 20, count: r.count - 1) }
        try g.stream(count: 50, batch: 40, seed: 1, energies: short) { stream in
            #expect(throws: PipelineError.self) { try stream.next() }
        }
        // A consumer that stops after one batch of many: the workers are stopped, nothing hangs.
        let fine: @Sendable (Range<Int>) throws -> [Float] = { r in [Float](repeating: 20, count: r.count) }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try g.stream(count: 100_000, batch: 40, seed: 1, workers: 2, singleThreadedBLAS: false, energies: fine) { stream in
                _ = try stream.next()
                throw Stop()
            }
        }
        // An empty stream has no batches.
        let none = try g.stream(count: 0, batch: 40, seed: 1, energies: fine) { stream in try stream.next() }
        #expect(none == nil)
    }

    @Test("non-positive or non-finite incident energies are refused", arguments: [Float(0), -5, .nan, .infinity])
    func invalidEnergies(_ bad: Float) throws {
        let g = try Self.untrainedGenerator()
        #expect(throws: PipelineError.self) { try g.generate(incidentGeV: [10, bad, 20], seed: 1, firstShower: 0) }
        #expect(try g.generate(incidentGeV: [], seed: 1, firstShower: 0).count == 0)
    }

    @Test("a generator needs Flow I plus a Flow II model, in that order")
    func wrongStages() throws {
        let g = try Self.untrainedGenerator()
        #expect(throws: PipelineError.self) {
            try ShowerGenerator(flowI: g.flowII, flowIInfo: g.flowIIInfo, flowII: g.flowI, flowIIInfo: g.flowIInfo)
        }
        #expect(throws: PipelineError.self) {
            try ShowerGenerator(flowI: g.flowI, flowIInfo: g.flowIInfo, flowII: g.flowI, flowIIInfo: g.flowIInfo)
        }
    }

    @Test("a generator loaded from a trained run directory writes files that pass reader validation")
    func fromRunDirectory() throws {
        let dir = TemporaryDirectory()
        let run = RunDirectory(path: dir.path)
        try withTrainingLock {
            let data = try syntheticData(400)
            _ = try makeTrainer(.flow1, try architecture(blocks: 2, hidden: 8), try settings(epochs: 2, batchSize: 100),
                                data: data, run: run).train(resume: false, observer: nil)
            _ = try makeTrainer(.teacher, try architecture(blocks: 2, hidden: 8, dropout: 0.05), try settings(epochs: 1, batchSize: 100),
                                data: data, run: run).train(resume: false, observer: nil)
        }
        let g = try ShowerGenerator(run: run, stage: .teacher)
        #expect(g.trainingEnergyRange.lowerBound >= 1 && g.trainingEnergyRange.upperBound <= 100)
        let e = Self.energies(200)
        let b = try g.generate(incidentGeV: e, seed: 4, firstShower: 0)
        Self.checkGuarantees(b, e, threshold: 0.01)
        let path = dir.file("generated.h5")
        let writer = try ShowerFileWriter(path: path, metadata: ShowerFileMetadata())
        try writer.append(b)
        try writer.finish()
        let back = try ShowerFileReader(path: path).readAll()
        #expect(back == b)
        // A student is not there: asking for one names the missing file.
        #expect(throws: CheckpointError.self) { try ShowerGenerator(run: run, stage: .student) }
    }
}
