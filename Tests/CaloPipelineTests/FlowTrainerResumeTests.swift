import Testing
import Foundation
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Design section 6: "SIGINT/SIGTERM saves a `last` checkpoint; `--resume` continues and gives the
/// same result as an uninterrupted run with the same seed and threads". Each test trains the same
/// tiny model twice: once straight through, once stopped (as SIGTERM would, via
/// `TrainingSignals.requestStop()`) and resumed by a new trainer with a newly built flow, as the
/// command does. The final weights must agree bit for bit, and so must the validation history.
@Suite("FlowTrainer: stop and resume reproduce the uninterrupted run")
struct FlowTrainerResumeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var stage: FlowStage
        var hidden: Int
        var dropout: Double
        var showers: Int
        var epochs: Int
        var batchSize: Int
        /// Global step (1-based) after which the stop is requested.
        var stopAfter: Int
        /// Dataset-2 showers (iCaloFlow's layer flow, (shower, layer) examples) instead of CaloGAN ones.
        var layered = false
        /// The settings' emaDecay (0: no moving average of the weights).
        var ema = 0.0
        var testDescription: String {
            "\(stage.rawValue)\(layered ? " (ds2 layer flow)" : "")\(ema > 0 ? " with weight average \(ema)" : ""), stop after step \(stopAfter)"
        }
    }

    // 1600 showers, 1280 for training: 7 steps of 200 per epoch (the last one partial).
    static let cases: [Case] = [
        // Mid-epoch, in the second epoch, with noise redrawn per batch.
        Case(stage: .flow1, hidden: 16, dropout: 0, showers: 1600, epochs: 3, batchSize: 200, stopAfter: 10),
        // At an epoch boundary: the stop arrives after the last step of epoch 1.
        Case(stage: .flow1, hidden: 16, dropout: 0, showers: 1600, epochs: 3, batchSize: 200, stopAfter: 7),
        // The teacher (504 features) with dropout, whose masks must also be redrawn identically.
        // 300 showers, 240 for training: 3 steps of 80 per epoch; the stop falls in epoch 2.
        Case(stage: .teacher, hidden: 8, dropout: 0.05, showers: 300, epochs: 2, batchSize: 80, stopAfter: 4),
        // The dataset-2 layer flow: 20 showers, 16 for training = 720 layer examples, 4 steps of
        // 200 per epoch; the stop falls in epoch 2.
        Case(stage: .teacher, hidden: 8, dropout: 0.05, showers: 20, epochs: 2, batchSize: 200, stopAfter: 5, layered: true),
        // A moving average of the weights, saved in the last checkpoint and continued on resume.
        Case(stage: .teacher, hidden: 8, dropout: 0.05, showers: 300, epochs: 2, batchSize: 80, stopAfter: 4, ema: 0.9),
    ]

    @Test(arguments: cases)
    func resumeIsBitExact(_ c: Case) throws {
        try withTrainingLock {
            let data = c.layered
                ? try TrainingData(batch: syntheticDataset1Showers(c.showers, geometry: .ds2, seed: 7), file: "synthetic-ds2",
                                   particle: "eminus", validationFraction: 0.2, seed: 7)
                : try syntheticData(c.showers)
            let a = try architecture(blocks: 2, hidden: c.hidden, dropout: c.dropout)
            var s = try settings(epochs: c.epochs, batchSize: c.batchSize)
            s.emaDecay = c.ema
            let stepsPerEpoch = (data.trainExamples(c.stage).count + c.batchSize - 1) / c.batchSize

            // Uninterrupted.
            let dirA = TemporaryDirectory()
            let straight = try makeTrainer(c.stage, a, s, data: data, run: RunDirectory(path: dirA.path))
            let outcomeA = try straight.train(resume: false, observer: nil)
            #expect(!outcomeA.interrupted)
            #expect(outcomeA.epochsCompleted == c.epochs)

            // Stopped after `stopAfter` steps.
            let dirB = TemporaryDirectory()
            let runB = RunDirectory(path: dirB.path)
            let first = StopAfterStep(stopAfter: c.stopAfter)
            let interrupted = try makeTrainer(c.stage, a, s, data: data, run: runB)
            let outcomeB1 = try interrupted.train(resume: false, observer: first)
            #expect(outcomeB1.interrupted)
            #expect(first.steps == c.stopAfter, "no step may run after the stop request")
            #expect(outcomeB1.epochsCompleted == c.stopAfter / stepsPerEpoch)
            #expect(FileSystem.exists(runB.checkpointPath(stage: c.stage.rawValue, .last)))
            #expect(first.notes.contains { $0.contains("-last.h5") }, "the observer is told where the checkpoint went")
            let saved = try Checkpoint.read(from: runB.checkpointPath(stage: c.stage.rawValue, .last))
            #expect(saved.training?.globalStep == c.stopAfter)
            #expect(saved.optimizer?.step == c.stopAfter)
            let savedDifferences = bitDifferences(try ModelCheckpoint.flow(from: saved).0, interrupted.flow)
            #expect(savedDifferences.isEmpty, "the last checkpoint holds the weights at the stop: \(savedDifferences)")
            // The interrupted run's weights differ from the finished ones (the test is not vacuous).
            #expect(!bitDifferences(interrupted.flow, straight.flow).isEmpty)

            // Resumed by a new trainer around a newly initialised flow, as `--resume` does.
            TrainingSignals.reset()
            let second = StopAfterStep(stopAfter: nil)
            let resumed = try makeTrainer(c.stage, a, s, data: data, run: runB)
            let outcomeB2 = try resumed.train(resume: true, observer: second)
            #expect(!outcomeB2.interrupted)
            #expect(second.started?.epoch == c.stopAfter / stepsPerEpoch)
            #expect(second.started?.step == c.stopAfter % stepsPerEpoch)
            #expect(first.steps + second.steps == c.epochs * stepsPerEpoch, "every step runs exactly once")

            let differences = bitDifferences(resumed.flow, straight.flow)
            #expect(differences.isEmpty, "resumed weights must be bit-identical: \(differences)")
            let validationA = outcomeA.history.map { $0.validationLogLikelihood?.bitPattern }
            let validationB = outcomeB2.history.map { $0.validationLogLikelihood?.bitPattern }
            #expect(validationA.count == c.epochs)
            #expect(validationB == validationA)
            #expect(outcomeB2.bestEpoch == outcomeA.bestEpoch)
            #expect(outcomeB2.bestValidationLogLikelihood == outcomeA.bestValidationLogLikelihood)
            // The best checkpoints hold the same weights too.
            let bestA = try ModelCheckpoint.load(path: RunDirectory(path: dirA.path).checkpointPath(stage: c.stage.rawValue, .best), stage: c.stage)
            let bestB = try ModelCheckpoint.load(path: runB.checkpointPath(stage: c.stage.rawValue, .best), stage: c.stage)
            #expect(bitDifferences(bestA.0, bestB.0).isEmpty)
            if c.ema > 0 {
                // the best checkpoint holds the average, not the training weights (the last one holds both)
                #expect(outcomeA.bestEpoch == c.epochs, "the tiny teacher still improves in its last epoch")
                #expect(!bitDifferences(bestA.0, straight.flow).isEmpty, "the best checkpoint must hold the averaged weights")
                let last = try Checkpoint.read(from: runB.checkpointPath(stage: c.stage.rawValue, .last))
                for p in bestB.0.parameters {
                    #expect(last.floatArrays["ema/" + p.name]?.values == p.value.storage, "best \(p.name) is not the saved average")
                }
                #expect(bitDifferences(try ModelCheckpoint.flow(from: last).0, straight.flow).isEmpty, "last holds the training weights")
            }
            // metrics.jsonl holds one record per epoch, none twice, across the two invocations.
            #expect(try runB.readMetrics().records.map(\.epoch) == Array(1...c.epochs))
        }
    }

    @Test("a stop before the first step saves a resumable checkpoint at step 0")
    func stopBeforeFirstStep() throws {
        try withTrainingLock {
            let data = try syntheticData(600)
            let a = try architecture(blocks: 2, hidden: 8)
            let s = try settings(epochs: 1, batchSize: 100)
            let dir = TemporaryDirectory()
            let run = RunDirectory(path: dir.path)
            TrainingSignals.requestStop()
            let trainer = try makeTrainer(.flow1, a, s, data: data, run: run)
            let outcome = try trainer.train(resume: false, observer: nil)
            #expect(outcome.interrupted)
            #expect(outcome.epochsCompleted == 0)
            #expect(try Checkpoint.read(from: run.checkpointPath(stage: "flow1", .last)).training?.globalStep == 0)
            #expect(!FileSystem.exists(run.checkpointPath(stage: "flow1", .best)))
        }
    }
}
