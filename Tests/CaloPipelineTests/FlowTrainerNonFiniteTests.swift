import Testing
import Foundation
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Design section 6: "A NaN or infinite loss stops training with a clear message and keeps the
/// last good checkpoint." The blow-up is real, not mocked: a step schedule trains epoch 1 at
/// 1e-3, then multiplies the rate by 1e22, so the first Adam step of epoch 2 moves every weight
/// by about 1e19; the next forward pass overflows Float (products of 1e19 weights exceed 3.4e38)
/// and the loss becomes NaN or infinite.
@Suite("FlowTrainer: a non-finite loss stops training and keeps the good checkpoints")
struct FlowTrainerNonFiniteTests {
    static let explodingSchedule = #"{"kind": "step", "initialRate": 1e-3, "stepSize": 1, "gamma": 1e22}"#

    @Test(arguments: [FlowStage.flow1, .teacher])
    func explodingLearningRate(_ stage: FlowStage) throws {
        try withTrainingLock {
            let data = try syntheticData(stage == .flow1 ? 1000 : 400)
            let a = try architecture(blocks: 2, hidden: stage == .flow1 ? 16 : 8)
            let s = try settings(epochs: 3, batchSize: 100, schedule: Self.explodingSchedule)
            #expect(s.learningRate(epoch: 1, step: 0) > 1e18, "the schedule really explodes in epoch 2")
            let stepsPerEpoch = (data.trainIndices.count + 99) / 100
            let dir = TemporaryDirectory()
            let run = RunDirectory(path: dir.path)
            let observer = StopAfterStep(stopAfter: nil)
            let trainer = try makeTrainer(stage, a, s, data: data, run: run)

            var caught: PipelineError?
            do { _ = try trainer.train(resume: false, observer: observer) } catch let e as PipelineError { caught = e }
            guard case .nonFiniteLoss(let name, let epoch, let step, let value)? = caught else {
                Issue.record("expected PipelineError.nonFiniteLoss, got \(String(describing: caught))")
                return
            }
            #expect(name == stage.rawValue)
            #expect(epoch == 2, "epoch 1 trains at 1e-3 and is fine; epoch 2 blows up")
            #expect(step >= 2 && step <= stepsPerEpoch, "step 1 of epoch 2 starts from good weights")
            #expect(!value.isFinite)
            // Every loss handed to the observer before the failure was finite: the error fires at the first bad one.
            #expect(observer.losses.allSatisfy { $0.isFinite })
            #expect(observer.losses.count == stepsPerEpoch + step - 1)
            let message = "\(caught!)"
            #expect(message.contains("epoch 2, step \(step)"))
            #expect(message.contains(stage.rawValue))
            #expect(!message.contains("\n"))

            // The checkpoints of epoch 1 are intact: readable (which also checks every value is
            // finite), at epoch 1, and the best one rebuilds a flow with a finite likelihood.
            for slot in RunDirectory.Slot.allCases {
                let c = try Checkpoint.read(from: run.checkpointPath(stage: stage.rawValue, slot), expectedKind: stage.rawValue)
                #expect(c.training?.epoch == 1, "\(slot) checkpoint is from epoch 1")
                #expect(c.parameters.allSatisfy { $0.value.storage.allSatisfy(\.isFinite) })
            }
            let (best, _, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: stage.rawValue, .best), stage: stage)
            var noise: Xoshiro256? = nil
            let (x, ctx) = stage.inputs(data, Array(data.validationIndices.prefix(50)), preprocessing: Preprocessing(), noiseRNG: &noise)
            #expect(try best.logProb(x, context: ctx).allSatisfy(\.isFinite))
            // The last checkpoint still resumes (it was not replaced by the exploded weights).
            let last = try Checkpoint.read(from: run.checkpointPath(stage: stage.rawValue, .last))
            #expect(last.training?.globalStep == stepsPerEpoch)
            #expect(try run.readMetrics().records.map(\.epoch) == [1])
        }
    }
}
