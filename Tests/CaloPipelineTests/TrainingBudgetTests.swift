import Testing
import Foundation
import CaloData
import CaloNN
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Planning a training to a wall-time limit: durations, the epochs that fit, the stretched
/// schedule, the split between stages, and the timing a trainer measures (with an injected
/// clock, so nothing here depends on the machine's speed).
@Suite("TrainingBudget: time-limit planning")
struct TrainingBudgetTests {
    @Test func parsesDurations() throws {
        #expect(try TrainingBudget.parseDuration("2h") == 7200)
        #expect(try TrainingBudget.parseDuration("90m") == 5400)
        #expect(try TrainingBudget.parseDuration("1h30m") == 5400)
        #expect(try TrainingBudget.parseDuration("1.5h") == 5400)
        #expect(try TrainingBudget.parseDuration("45s") == 45)
        #expect(try TrainingBudget.parseDuration("600") == 600)
        for bad in ["", "2x", "h", "-1h", "0", "1h1h", "2h30"] {
            #expect(throws: PipelineError.self, "\(bad)") { try TrainingBudget.parseDuration(bad) }
        }
    }

    /// 100 steps of 0.5 s and 10 s of validation per epoch: 60 s an epoch; one hour at 95 %
    /// holds 57 epochs, and a schedule of 20 epochs with milestones [5, 10, 15] is stretched by 57/20.
    @Test func plansTheEpochsThatFitAndStretchesTheSchedule() {
        let timing = StageTiming(secondsPerStep: 0.5, secondsPerValidation: 10)
        let plan = TrainingBudget.plan(stage: "teacher", budgetSeconds: 3600, timing: timing, stepsPerEpoch: 100, epochs: 20,
                                       schedule: .multiStep(initialRate: 1e-3, milestones: [5, 10, 15], gamma: 0.5))
        #expect(plan.plannedEpochs == 57)
        #expect(plan.estimatedSeconds == 57 * 60)
        #expect(timing.epochSeconds(stepsPerEpoch: 100) == 60)
        #expect(plan.estimatedSeconds <= 3600)
        #expect(plan.schedule == .multiStep(initialRate: 1e-3, milestones: [14, 29, 43], gamma: 0.5))
        // The last milestone keeps its place relative to the end (15 of 20 -> 43 of 57).
        // Too little time still gives one epoch, never zero.
        let tiny = TrainingBudget.plan(stage: "teacher", budgetSeconds: 5, timing: timing, stepsPerEpoch: 100, epochs: 20,
                                       schedule: .constant(rate: 1e-3))
        #expect(tiny.plannedEpochs == 1 && tiny.schedule == .constant(rate: 1e-3))
    }

    @Test func stretchedSchedulesEndAtTheSameFraction() {
        let cosine = LearningRateSchedule.cosine(initialRate: 1e-3, totalSteps: 1000, minimumRate: 1e-5, warmupSteps: 100)
        #expect(cosine.stretched(by: 0.5) == .cosine(initialRate: 1e-3, totalSteps: 500, minimumRate: 1e-5, warmupSteps: 50))
        let cycle = LearningRateSchedule.oneCycle(maxRate: 1e-3, totalSteps: 400)
        #expect(cycle.stretched(by: 2.5) == .oneCycle(maxRate: 1e-3, totalSteps: 1000))
        #expect(LearningRateSchedule.step(initialRate: 1, stepSize: 10, gamma: 0.5).stretched(by: 0.01)
                == .step(initialRate: 1, stepSize: 1, gamma: 0.5))
        // Milestones that would collide stay increasing.
        #expect(LearningRateSchedule.multiStep(initialRate: 1, milestones: [1, 2, 3], gamma: 0.5).stretched(by: 0.2)
                == .multiStep(initialRate: 1, milestones: [1, 2, 3], gamma: 0.5))
        // The rate at the end of the planned run equals the configured rate at the configured end.
        let s = LearningRateSchedule.multiStep(initialRate: 1e-3, milestones: [5, 15], gamma: 0.5)
        #expect(s.stretched(by: 3).learningRate(at: 59) == s.learningRate(at: 19))
    }

    @Test func distillationAccumulationIsStretched() {
        let s = DistillationSettings(epochs: 10, batchSize: 50, schedule: .constant(rate: 1e-3), accumulation: [[0, 1], [5, 2]])
        let plan = TrainingBudget.plan(stage: "student", budgetSeconds: 1000, timing: StageTiming(secondsPerStep: 1, secondsPerValidation: 0),
                                       stepsPerEpoch: 19, epochs: 10, schedule: s.schedule)
        #expect(plan.plannedEpochs == 50)
        let planned = s.planned(plan)
        #expect(planned.epochs == 50 && planned.accumulation == [[0, 1], [25, 2]])
    }

    @Test func stagesShareTheLimitByCost() {
        #expect(TrainingBudget.share(remainingSeconds: 1000, weights: [1, 3], index: 0) == 250)
        #expect(TrainingBudget.share(remainingSeconds: 700, weights: [1, 3], index: 1) == 700)
        #expect(TrainingBudget.share(remainingSeconds: -5, weights: [1, 3], index: 1) == 0)
    }

    @Test func stagesRunOneAtATimeGetTheirShareOfTheLimit() {
        // Flow I and the teacher under one 1000 s limit, costs 1 : 3.
        let both = [true, true]
        #expect(TrainingBudget.stageBudget(limitSeconds: 1000, elapsedSeconds: 0, weights: [1, 3], runsHere: both, index: 0) == 250)
        // In one command the teacher gets what Flow I left.
        #expect(TrainingBudget.stageBudget(limitSeconds: 1000, elapsedSeconds: 100, weights: [1, 3], runsHere: both, index: 1) == 900)
        // Alone (--stage), each gets its share, not the whole limit.
        #expect(TrainingBudget.stageBudget(limitSeconds: 1000, elapsedSeconds: 0, weights: [1, 3], runsHere: [true, false], index: 0) == 250)
        #expect(TrainingBudget.stageBudget(limitSeconds: 1000, elapsedSeconds: 0, weights: [1, 3], runsHere: [false, true], index: 1) == 750)
        #expect(TrainingBudget.stageBudget(limitSeconds: 1000, elapsedSeconds: 0, weights: [0, 0], runsHere: [false, true], index: 1) == 1000)
    }

    @Test func configTimeLimitsDecode() throws {
        let t = try JSONDecoder().decode(TimeLimits.self, from: Data(#"{"trainTeacher": "1h30m", "distill": "30m"}"#.utf8))
        #expect(t.trainTeacherSeconds == 5400 && t.distillSeconds == 1800)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(TimeLimits.self, from: Data(#"{"trainTeacher": "soon"}"#.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(TimeLimits.self, from: Data(#"{"teacher": "1h"}"#.utf8)) }
    }

    /// The trainer's measurement with a clock that advances 2 s per reading: the warm-up step is
    /// not counted, and nothing about the weights changes.
    @Test func trainerMeasuresWithTheInjectedClock() throws {
        try withTrainingLock {
            let data = try syntheticData(300)
            let a = try architecture(blocks: 2, hidden: 8)
            let s = try settings(epochs: 2, batchSize: 80)
            let dir = TemporaryDirectory()
            let trainer = try makeTrainer(.flow1, a, s, data: data, run: RunDirectory(path: dir.path),
                                          parallel: DataParallelSetup(shards: 2, threads: 2))
            let before = trainer.flow.parameters.map { $0.value.storage }
            final class Ticks: @unchecked Sendable { var t = 0.0 }
            let ticks = Ticks()
            let timing = try trainer.measureTiming(steps: 4) { ticks.t += 2; return ticks.t }
            // Readings: 2 before step 1, 4 after the 4 steps, 6 and 8 around the second Adam
            // update, 10 after validation, 12 after the checkpoint (counted 4/3: a best one may follow).
            #expect(timing == StageTiming(secondsPerStep: 2.0 / 4 + 2, secondsPerValidation: 2, secondsPerCheckpoint: 2 * 4.0 / 3))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "the scratch checkpoint is removed")
            #expect(trainer.flow.parameters.map { $0.value.storage } == before, "measuring changes no weight")
        }
    }
}
