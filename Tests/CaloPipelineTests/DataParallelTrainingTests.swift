import Testing
import CaloData
import CaloFlows
import CaloNN
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Data-parallel training within a process (`DataParallelGradients`, `ShardPlan`): the weights
/// depend on the seed and the gradient shard count, never on how many worker threads compute the
/// shards, and a run resumed with another worker count ends where the uninterrupted one does.
/// With several shards the summed gradient of a batch equals the one-shard gradient of the same
/// rows up to Float rounding (the sums are split differently), which is what the last test holds
/// to a stated tolerance; the batches of a sharded run are composed differently (each shard draws
/// from its own part of the showers), so its weights are not compared with a one-shard run's.
@Suite("Data-parallel training: worker-count reproducibility, resume, sharded gradients")
struct DataParallelTrainingTests {
    // 600 showers, 480 for training: 4 steps of 120 per epoch, each shard its own part.
    static let showers = 600, batch = 120

    @Test(arguments: [FlowStage.flow1, FlowStage.teacher])
    func workerCountDoesNotChangeTheWeights(_ stage: FlowStage) throws {
        try withTrainingLock {
            let data = try syntheticData(Self.showers)
            let a = try architecture(blocks: 2, hidden: 12, dropout: stage == .teacher ? 0.05 : 0)
            let s = try settings(epochs: 2, batchSize: Self.batch)
            var flows: [Flow] = [], histories: [[UInt64?]] = []
            for threads in [1, 2, 3] {
                let dir = TemporaryDirectory()
                let trainer = try makeTrainer(stage, a, s, data: data, run: RunDirectory(path: dir.path),
                                              parallel: DataParallelSetup(shards: 3, threads: threads))
                let outcome = try trainer.train(resume: false, observer: nil)
                #expect(!outcome.interrupted && outcome.epochsCompleted == 2)
                flows.append(trainer.flow)
                histories.append(outcome.history.map { $0.validationLogLikelihood?.bitPattern })
                let saved = try Checkpoint.read(from: RunDirectory(path: dir.path).checkpointPath(stage: stage.rawValue, .last))
                #expect(saved.training?.gradientShards == 3, "the checkpoint records the shard count")
            }
            for k in 1..<flows.count {
                let d = bitDifferences(flows[0], flows[k])
                #expect(d.isEmpty, "3 shards on 1 and on \([1, 2, 3][k]) worker threads must give the same weights: \(d)")
                #expect(histories[k] == histories[0], "validation log-likelihoods must not depend on the worker count")
            }
            // The shards matter (the test is not vacuous): one shard gives other weights.
            let dir = TemporaryDirectory()
            let single = try makeTrainer(stage, a, s, data: data, run: RunDirectory(path: dir.path),
                                         parallel: DataParallelSetup(shards: 1, threads: 2))
            _ = try single.train(resume: false, observer: nil)
            #expect(!bitDifferences(single.flow, flows[0]).isEmpty)
        }
    }

    /// Stopped after step 5 on two workers, resumed on one: bit-identical to uninterrupted.
    @Test func resumeOnAnotherWorkerCountIsBitExact() throws {
        try withTrainingLock {
            let data = try syntheticData(Self.showers)
            let a = try architecture(blocks: 2, hidden: 10, dropout: 0.05)
            let s = try settings(epochs: 2, batchSize: Self.batch)
            let dirA = TemporaryDirectory()
            let straight = try makeTrainer(.teacher, a, s, data: data, run: RunDirectory(path: dirA.path),
                                           parallel: DataParallelSetup(shards: 2, threads: 2))
            let outcomeA = try straight.train(resume: false, observer: nil)

            let dirB = TemporaryDirectory()
            let runB = RunDirectory(path: dirB.path)
            let first = StopAfterStep(stopAfter: 5)
            let interrupted = try makeTrainer(.teacher, a, s, data: data, run: runB, parallel: DataParallelSetup(shards: 2, threads: 2))
            #expect(try interrupted.train(resume: false, observer: first).interrupted)
            TrainingSignals.reset()
            let resumed = try makeTrainer(.teacher, a, s, data: data, run: runB, parallel: DataParallelSetup(shards: 2, threads: 1))
            let outcomeB = try resumed.train(resume: true, observer: nil)
            #expect(!outcomeB.interrupted)
            let d = bitDifferences(resumed.flow, straight.flow)
            #expect(d.isEmpty, "resumed on one worker must match the uninterrupted two-worker run: \(d)")
            #expect(outcomeB.history.map { $0.validationLogLikelihood?.bitPattern }
                    == outcomeA.history.map { $0.validationLogLikelihood?.bitPattern })
        }
    }

    /// A checkpoint trained with 2 shards is not resumed with 3 (the batches would change).
    @Test func resumeRefusesAnotherShardCount() throws {
        try withTrainingLock {
            let data = try syntheticData(Self.showers)
            let a = try architecture(blocks: 2, hidden: 8)
            let s = try settings(epochs: 2, batchSize: Self.batch)
            let dir = TemporaryDirectory()
            let run = RunDirectory(path: dir.path)
            let first = StopAfterStep(stopAfter: 2)
            _ = try makeTrainer(.flow1, a, s, data: data, run: run, parallel: DataParallelSetup(shards: 2, threads: 2))
                .train(resume: false, observer: first)
            TrainingSignals.reset()
            let other = try makeTrainer(.flow1, a, s, data: data, run: run, parallel: DataParallelSetup(shards: 3, threads: 2))
            do {
                _ = try other.train(resume: true, observer: nil)
                Issue.record("resuming a 2-shard checkpoint with 3 shards must fail")
            } catch {
                #expect("\(error)".contains("2 gradient shards"), "the error names the recorded shard count: \(error)")
            }
        }
    }

    /// The gradient of one batch summed over 4 shards (on 2 workers) against the one-shard
    /// gradient of the same rows: equal up to Float rounding. Tolerance: 2e-5 of the largest
    /// entry of each parameter's gradient (the sums of 30 rows are split in four; observed
    /// differences are a few 1e-7 relative), under every OpenBLAS kernel.
    @Test func shardedGradientEqualsTheSingleGradient() throws {
        var rng = Xoshiro256(seed: 3, stream: 1)
        let flow = try CaloFlowModels.flowII(kind: .maf, try architecture(blocks: 2, hidden: 16), name: "teacher", rng: &rng)
        let rows = 30
        let x = Matrix.randomNormal(rows, flow.features, rng: &rng)
        let c = Matrix.randomNormal(rows, flow.contextFeatures, rng: &rng)
        func gradient(shards: Int, threads: Int) throws -> GradientBuffer {
            let g = try DataParallelGradients(parameters: flow.parameters, shards: shards, group: nil, threads: threads)
            g.zero()
            _ = try ComputeThreads.with(blas: shards == 1 ? threads : 1, workers: threads) {
                try g.accumulate(valuesPerShard: 1) { shard, target in
                    let r = (rows * shard / shards)..<(rows * (shard + 1) / shards)
                    var noDropout: Xoshiro256? = nil
                    let trace = try flow.forward(x.rows(r), context: c.rows(r), dropoutRNG: &noDropout)
                    let b = Float(rows)
                    _ = try flow.backward(trace, endGradient: (1 / b) * trace.latent,
                                          logDetGradient: [Float](repeating: -1 / b, count: r.count), gradients: target)
                    return [0]
                }
            }
            return g.total
        }
        let single = try gradient(shards: 1, threads: 1)
        let sharded = try gradient(shards: 4, threads: 2)
        let shardedAgain = try gradient(shards: 4, threads: 1)
        for i in 0..<single.layout.parameterCount {
            let n = single.layout.counts[i]
            let a = UnsafeBufferPointer(start: single.pointer(parameter: i), count: n)
            let b = UnsafeBufferPointer(start: sharded.pointer(parameter: i), count: n)
            let b1 = UnsafeBufferPointer(start: shardedAgain.pointer(parameter: i), count: n)
            let scale = a.map { abs($0) }.max() ?? 0
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 2e-5 * max(scale, 1e-30), "\(flow.parameters[i].name): max |diff| \(worst) of max |g| \(scale)")
            #expect(zip(b, b1).allSatisfy { $0.bitPattern == $1.bitPattern }, "4 shards on 1 or 2 workers: bit-identical")
        }
        #expect(gradientNorm(single) > 0)
    }

    /// Distillation with 2 shards: the same student on 1 and 2 worker threads.
    @Test func distillationWorkerCountDoesNotChangeTheStudent() throws {
        try withTrainingLock {
            let data = try syntheticData(300)
            let support = DistillationResumeTests()
            let base = try support.teacherRun(data)
            let s = DistillationSettings(epochs: 2, batchSize: 80, schedule: .constant(rate: 1e-3), accumulation: [[0, 1]])
            var students: [Flow] = []
            for threads in [1, 2] {
                let dir = TemporaryDirectory()
                let trainer = try support.distiller(base, data: data, settings: s, run: RunDirectory(path: dir.path),
                                                    parallel: DataParallelSetup(shards: 2, threads: threads))
                let outcome = try trainer.train(resume: false, observer: nil)
                #expect(!outcome.interrupted && outcome.epochsCompleted == 2)
                students.append(trainer.student)
            }
            let d = bitDifferences(students[0], students[1])
            #expect(d.isEmpty, "2 shards on 1 and 2 workers must give the same student: \(d)")
        }
    }
}

/// The division of showers and batches into shards.
@Suite("ShardPlan: every training shower once per epoch, batches split by shard")
struct ShardPlanTests {
    @Test(arguments: [(1, 200, 1280), (2, 120, 480), (3, 100, 1001), (4, 7, 50)])
    func epochVisitsEveryShowerOnce(_ shards: Int, _ batch: Int, _ count: Int) throws {
        let plan = try ShardPlan(shards: shards, batchSize: batch, trainingCount: count)
        let indices = Array(0..<count).map { 3 * $0 + 1 }
        var seen = [Int]()
        for k in 0..<plan.stepsPerEpoch {
            var rows = 0
            for s in 0..<shards {
                let order = plan.shuffledPart(s, trainIndices: indices, seed: 5, stage: .teacher, epoch: 0)
                let w = plan.window(shard: s, step: k)
                #expect(w.count <= plan.batchRows(s))
                seen += order[w]
                rows += w.count
            }
            #expect(rows == plan.stepRows(k) && rows <= batch && rows > 0)
        }
        #expect(seen.sorted() == indices, "each training shower exactly once per epoch")
        #expect((0..<shards).reduce(0) { $0 + plan.batchRows($1) } == batch)
    }

    @Test func refusesMoreShardsThanRows() {
        #expect(throws: PipelineError.self) { try ShardPlan(shards: 9, batchSize: 8, trainingCount: 100) }
        #expect(throws: PipelineError.self) { try ShardPlan(shards: 0, batchSize: 8, trainingCount: 100) }
    }
}
