import Testing
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Distillation stops and resumes like maximum-likelihood training: a run stopped mid-epoch and
/// resumed from student-last.h5 reaches the same student weights as an uninterrupted one.
@Suite("DistillationTrainer: stop and resume reproduce the uninterrupted run")
struct DistillationResumeTests {
    /// A tiny trained Flow I and teacher to distil from (shared by both runs).
    func teacherRun(_ data: TrainingData) throws -> (flowI: Flow, flowIInfo: FlowModelInfo, teacher: Flow) {
        let dir = TemporaryDirectory()
        let a = try architecture(blocks: 2, hidden: 8)
        let s = try settings(epochs: 1, batchSize: 80)
        let f1 = try makeTrainer(.flow1, a, s, data: data, run: RunDirectory(path: dir.path))
        _ = try f1.train(resume: false, observer: nil)
        let t = try makeTrainer(.teacher, a, s, data: data, run: RunDirectory(path: dir.path))
        _ = try t.train(resume: false, observer: nil)
        return (f1.flow, f1.info, t.flow)
    }

    func distiller(_ base: (flowI: Flow, flowIInfo: FlowModelInfo, teacher: Flow), data: TrainingData,
                   settings: DistillationSettings, run: RunDirectory,
                   parallel: DataParallelSetup = DataParallelSetup()) throws -> DistillationTrainer {
        let a = try architecture(blocks: 2, hidden: 10, dropout: 0.05)
        var rng = Xoshiro256(seed: 11, stream: RandomStreams.initialization &+ 16)
        let student = try CaloFlowModels.flowII(kind: .iaf, a, name: "student", permutations: base.teacher.permutations, rng: &rng)
        let info = FlowModelInfo(stage: .student, kind: .iaf, architecture: a, preprocessing: Preprocessing(), trainingData: data.summary)
        let trainer = DistillationTrainer(teacher: base.teacher, student: student, flowI: base.flowI, flowIInfo: base.flowIInfo,
                                          info: info, settings: settings, data: data, run: run, seed: 11, appVersion: "test",
                                          parallel: parallel)
        trainer.validationLimit = 40
        return trainer
    }

    /// (minibatches per optimizer step, emaDecay)
    @Test(arguments: [(1, 0.0), (2, 0.0), (2, 0.9)])
    func resumeIsBitExact(accumulation: Int, ema: Double) throws {
        try withTrainingLock {
            let data = try syntheticData(300)   // 240 for training: 3 steps of 80 per epoch
            let base = try teacherRun(data)
            let s = DistillationSettings(epochs: 2, batchSize: 80, schedule: .constant(rate: 1e-3), accumulation: [[0, accumulation]],
                                          emaDecay: ema)

            let dirA = TemporaryDirectory()
            let straight = try distiller(base, data: data, settings: s, run: RunDirectory(path: dirA.path))
            let outcomeA = try straight.train(resume: false, observer: nil)
            #expect(!outcomeA.interrupted && outcomeA.epochsCompleted == 2)

            // Stop requested after step 4 (epoch 2, step 1); with accumulation 2 the stop waits
            // for the end of the accumulation window (after step 4 too: windows are 2 steps).
            let dirB = TemporaryDirectory()
            let runB = RunDirectory(path: dirB.path)
            let first = StopAfterStep(stopAfter: 4)
            let interrupted = try distiller(base, data: data, settings: s, run: runB)
            let outcomeB1 = try interrupted.train(resume: false, observer: first)
            #expect(outcomeB1.interrupted)
            #expect(FileSystem.exists(runB.checkpointPath(stage: "student", .last)))
            #expect(!bitDifferences(interrupted.student, straight.student).isEmpty)

            TrainingSignals.reset()
            let second = StopAfterStep(stopAfter: nil)
            let resumed = try distiller(base, data: data, settings: s, run: runB)
            let outcomeB2 = try resumed.train(resume: true, observer: second)
            #expect(!outcomeB2.interrupted && outcomeB2.epochsCompleted == 2)
            #expect(first.steps + second.steps == 6, "every step runs exactly once")
            let differences = bitDifferences(resumed.student, straight.student)
            #expect(differences.isEmpty, "resumed student must be bit-identical: \(differences)")
            #expect(outcomeB2.history.map { $0.validationLoss?.bitPattern } == outcomeA.history.map { $0.validationLoss?.bitPattern })
            let bestA = try ModelCheckpoint.load(path: RunDirectory(path: dirA.path).checkpointPath(stage: "student", .best), stage: .student)
            let bestB = try ModelCheckpoint.load(path: runB.checkpointPath(stage: "student", .best), stage: .student)
            #expect(bitDifferences(bestA.0, bestB.0).isEmpty, "the best students must be bit-identical")
            if ema > 0 {
                // the best student (the last epoch's) is the moving average kept in student-last.h5
                #expect(outcomeA.bestEpoch == 2, "the tiny student still improves in its second epoch")
                let last = try Checkpoint.read(from: RunDirectory(path: dirA.path).checkpointPath(stage: "student", .last))
                for p in bestA.0.parameters {
                    #expect(last.floatArrays["ema/" + p.name]?.values == p.value.storage, "best \(p.name) is not the saved average")
                }
                #expect(!bitDifferences(bestA.0, straight.student).isEmpty, "the average differs from the training weights")
            }
        }
    }

    @Test("a student distilled again from scratch replaces the earlier student's metrics, keeping the other stages'")
    func freshDistillationReplacesMetrics() throws {
        try withTrainingLock {
            let data = try syntheticData(300)
            let base = try teacherRun(data)
            let dir = TemporaryDirectory()
            let run = RunDirectory(path: dir.path)
            try run.appendMetrics(MetricsRecord(stage: "teacher", epoch: 1, step: 3, trainLoss: 1, validationLoss: 1,
                                                validationLogLikelihood: -1, learningRate: 1e-3, seconds: 1, showersPerSecond: 1))
            let s1 = DistillationSettings(epochs: 1, batchSize: 80, schedule: .constant(rate: 1e-3))
            _ = try distiller(base, data: data, settings: s1, run: run).train(resume: false, observer: nil)
            let s2 = DistillationSettings(epochs: 2, batchSize: 80, schedule: .constant(rate: 5e-4))
            let again = try distiller(base, data: data, settings: s2, run: run).train(resume: false, observer: nil)
            let records = try run.readMetrics().records
            let stages = records.map(\.stage), epochs = records.map(\.epoch)
            #expect(stages == ["teacher", "student", "student"], "the teacher's record and the second student's two: \(stages)")
            #expect(epochs == [1, 1, 2])
            #expect(records.dropFirst().map { $0.validationLoss?.bitPattern } == again.history.map { $0.validationLoss?.bitPattern })
            withExtendedLifetime(dir) {}   // the run directory must outlive every write and read above
        }
    }
}
