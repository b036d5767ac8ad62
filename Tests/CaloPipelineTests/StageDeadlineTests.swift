import Testing
import Foundation
import CaloData
import CaloNN
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Keeping a time limit while a stage trains: the plan revised after each epoch from the epochs'
/// measured wall time (fewer epochs when they run slow, more when they run fast and the decay
/// has not begun), and a trainer that adopts, records and resumes the revised plan. Every time
/// here comes from an injected clock, so nothing depends on the machine's speed.
@Suite("StageDeadline: revising a time-limit plan during training")
struct StageDeadlineTests {
    static let configured = LearningRateSchedule.multiStep(initialRate: 1e-3, milestones: [24, 34], gamma: 0.5)

    /// A plan of `planned` epochs for a configuration of 40 with `Self.configured`, 1000 s budget.
    func plan(_ planned: Int, checkpointSeconds: Double = 0) -> SchedulePlan {
        let factor = Double(planned) / 40
        return SchedulePlan(stage: "teacher", budgetSeconds: 1000,
                            timing: StageTiming(secondsPerStep: 0.1, secondsPerValidation: 1, secondsPerCheckpoint: checkpointSeconds),
                            stepsPerEpoch: 100, configuredEpochs: 40, plannedEpochs: planned, estimatedSeconds: 900,
                            schedule: Self.configured.stretched(by: factor))
    }

    /// 30 epochs remain, but 1000 s at 50 s an epoch hold ⌊0.95 · 20⌋ = 19: the plan shrinks to
    /// 10 + 19 epochs and the configured schedule is stretched to 29 of its 40.
    @Test func slowEpochsShrinkThePlan() throws {
        let p = plan(40)
        let r = try #require(TrainingBudget.replan(p, configuredSchedule: Self.configured, completedEpochs: 10, schedulePosition: 10,
                                                   secondsLeft: 1000, epochSeconds: 50))
        #expect(r.plannedEpochs == 29)
        #expect(r.schedule == Self.configured.stretched(by: 29.0 / 40))
        #expect(r.schedule == .multiStep(initialRate: 1e-3, milestones: [17, 25], gamma: 0.5))
        #expect(r.replannedAfterEpoch == 10 && r.measuredEpochSeconds == 50)
        #expect(r.estimatedSeconds == 0 + 19 * 50, "nothing of the budget used yet (1000 s left of 1000) plus 19 epochs")
        #expect(r.configuredEpochs == 40 && r.budgetSeconds == 1000 && r.timing == p.timing && r.stage == "teacher")
    }

    /// The gamma preset's case: 23 epochs planned from a step time measured 50 % too high. After
    /// epoch 1 (74 s) ⌊0.9 · 2700 / 74⌋ = 32 more fit: 33 epochs, the decay still ahead.
    @Test func fastEpochsGrowThePlanBeforeTheDecay() throws {
        let p = plan(23)
        let r = try #require(TrainingBudget.replan(p, configuredSchedule: Self.configured, completedEpochs: 1, schedulePosition: 1,
                                                   secondsLeft: 2700, epochSeconds: 74))
        #expect(r.plannedEpochs == 33)
        #expect(r.schedule == Self.configured.stretched(by: 33.0 / 40))
        #expect(r.schedule.learningRate(at: 1) == p.schedule.learningRate(at: 1))
    }

    /// Past the plan's first milestone (14 of 23), more epochs would move it to 20 and raise the
    /// rate from 5e-4 back to 1e-3: the plan stands.
    @Test func growthNeverUndoesADecay() {
        let p = plan(23)
        #expect(p.schedule == .multiStep(initialRate: 1e-3, milestones: [14, 20], gamma: 0.5))
        #expect(TrainingBudget.replan(p, configuredSchedule: Self.configured, completedEpochs: 15, schedulePosition: 15,
                                      secondsLeft: 2000, epochSeconds: 50) == nil)
        // Shrinking past a milestone is still done: the deadline comes first.
        let shrunk = TrainingBudget.replan(p, configuredSchedule: Self.configured, completedEpochs: 15, schedulePosition: 15,
                                           secondsLeft: 200, epochSeconds: 50)
        #expect(shrunk?.plannedEpochs == 18)
    }

    /// Between the shrink margin (0.95) and the growth margin (0.90) a plan stands, so noise in
    /// the epoch times does not make it flip.
    @Test func planStandsBetweenTheMargins() throws {
        let p = plan(20)
        // 10 epochs remain at 10 s: 110 s left holds ⌊10.45⌋ = 10 at 0.95 and ⌊9.9⌋ = 9 at 0.90.
        #expect(TrainingBudget.replan(p, configuredSchedule: Self.configured, completedEpochs: 10, schedulePosition: 10,
                                      secondsLeft: 110, epochSeconds: 10) == nil)
        // 125 s: 11 fit at 0.90, one more than planned.
        let grown = try #require(TrainingBudget.replan(p, configuredSchedule: Self.configured, completedEpochs: 10,
                                                       schedulePosition: 10, secondsLeft: 125, epochSeconds: 10))
        #expect(grown.plannedEpochs == 21)
        // 100 s: only ⌊9.5⌋ = 9 fit at 0.95.
        let shrunk = try #require(TrainingBudget.replan(p, configuredSchedule: Self.configured, completedEpochs: 10,
                                                        schedulePosition: 10, secondsLeft: 100, epochSeconds: 10))
        #expect(shrunk.plannedEpochs == 19)
    }

    @Test func stageEndsWhenNotOneMoreEpochFits() throws {
        let r = try #require(TrainingBudget.replan(plan(40), configuredSchedule: Self.configured, completedEpochs: 12,
                                                   schedulePosition: 12, secondsLeft: 30, epochSeconds: 50))
        #expect(r.plannedEpochs == 12)
        let overdue = try #require(TrainingBudget.replan(plan(40), configuredSchedule: Self.configured, completedEpochs: 12,
                                                         schedulePosition: 12, secondsLeft: -100, epochSeconds: 50))
        #expect(overdue.plannedEpochs == 12)
    }

    @Test func meaninglessTimesLeaveThePlan() {
        for seconds in [0.0, -1, .nan, .infinity] {
            #expect(TrainingBudget.replan(plan(40), configuredSchedule: Self.configured, completedEpochs: 5, schedulePosition: 5,
                                          secondsLeft: 500, epochSeconds: seconds) == nil, "\(seconds) s per epoch")
        }
        #expect(TrainingBudget.replan(plan(40), configuredSchedule: Self.configured, completedEpochs: 5, schedulePosition: 5,
                                      secondsLeft: .nan, epochSeconds: 10) == nil)
        // A finished plan is not revised.
        #expect(TrainingBudget.replan(plan(40), configuredSchedule: Self.configured, completedEpochs: 40, schedulePosition: 40,
                                      secondsLeft: 5000, epochSeconds: 10) == nil)
    }

    /// Distillation settings under a revised plan: epochs, schedule and accumulation windows all
    /// follow the configured settings stretched to the new count, not the previous plan.
    @Test func distillationSettingsFollowTheRevisedPlan() throws {
        let configured = DistillationSettings(epochs: 40, batchSize: 50, schedule: Self.configured, accumulation: [[0, 1], [20, 2]])
        var deadline = StageDeadline(configured: configured, plan: plan(23), endsAt: 0, clock: { 0 })
        #expect(deadline.settings.accumulation == [[0, 1], [12, 2]])
        #expect(deadline.settings == configured.planned(plan(23)))
        _ = deadline.measureEpoch()
        #expect(deadline.epochSeconds == [0])
    }

    /// The epochs' wall times: the first of an invocation from its start plus the planned
    /// checkpoint time, the next ones from one epoch's end to the next; the pace is the mean of
    /// the last three.
    @Test func deadlineTimesEpochsFromItsClock() throws {
        final class Readings: @unchecked Sendable {
            var values: [Double] = [100, 160, 230, 290, 400]
            func next() -> Double { values.removeFirst() }
        }
        let clock = Readings()
        var d = StageDeadline(configured: try settings(epochs: 40, batchSize: 10), plan: plan(23, checkpointSeconds: 5),
                              endsAt: 1000, clock: { clock.next() })
        d.epochStarts()
        // [seconds left after the epoch's checkpoints, mean of the last three epochs]
        let expected: [[Double]] = [[835, 65], [765, 67.5], [705, 65], [595, 80]]
        #expect(d.measureEpoch() == expected[0])   // 60 s + 5 s of checkpoints; 1000 - 160 - 5 left
        d.epochStarts()                            // no reading after the first
        #expect(d.measureEpoch() == expected[1])   // 70 s
        #expect(d.measureEpoch() == expected[2])   // 60 s
        #expect(d.measureEpoch() == expected[3])   // 110 s: the first drops out of the mean
        #expect(d.epochSeconds == [65, 70, 60, 110])
        #expect(clock.values.isEmpty)
    }

    /// A trainer with a deadline whose epochs run slower than planned: 4 epochs planned, each
    /// takes 10 s of a stage that ends 35 s after its start, so after epoch 1 the plan shrinks to
    /// 3. The revised plan is in run.json, in the log (through the observer) and in the last
    /// checkpoint's settings, so --resume with run.json's plan continues it (here: finds it done).
    @Test func trainerAdoptsRecordsAndResumesARevisedPlan() throws {
        try withTrainingLock {
            let data = try syntheticData(300)
            let a = try architecture(blocks: 2, hidden: 8)
            let configured = try settings(epochs: 8, batchSize: 80,
                                          schedule: #"{"kind": "multiStep", "initialRate": 1e-3, "milestones": [4, 6], "gamma": 0.5}"#)
            let dir = TemporaryDirectory()
            let run = try RunDirectory.create(at: dir.file("run"))
            try run.recordInvocation(RunInvocation(command: "train-teacher", commandLine: ["caloflow"], seed: 11, threads: 1,
                                                   appVersion: "test", started: "2026-01-01T00:00:00Z"))
            let initial = TrainingBudget.plan(stage: "flow1", budgetSeconds: 40, timing: StageTiming(secondsPerStep: 0, secondsPerValidation: 9.5),
                                              stepsPerEpoch: 4, epochs: 8, schedule: configured.schedule)
            #expect(initial.plannedEpochs == 4)
            try run.recordSchedulePlan(initial)
            final class Ticks: @unchecked Sendable { var t = 0.0 }
            let ticks = Ticks()
            let deadline = StageDeadline(configured: configured, plan: initial, endsAt: 45, clock: { ticks.t += 10; return ticks.t })
            let trainer = try makeTrainer(.flow1, a, deadline.settings, data: data, run: run)
            let withDeadline = FlowTrainer(stage: trainer.stage, flow: trainer.flow, info: trainer.info, settings: deadline.settings,
                                           data: data, run: run, seed: trainer.seed, appVersion: "test", deadline: deadline)
            // Given other settings, a trainer with a deadline still starts from the deadline's plan.
            let mismatched = FlowTrainer(stage: trainer.stage, flow: trainer.flow, info: trainer.info, settings: configured,
                                         data: data, run: run, seed: trainer.seed, appVersion: "test", deadline: deadline)
            #expect(mismatched.settings == deadline.settings && mismatched.settings.epochs == 4)
            let observer = StopAfterStep(stopAfter: nil)
            let outcome = try withDeadline.train(resume: false, observer: observer)
            #expect(outcome.epochsCompleted == 3 && !outcome.interrupted)
            #expect(withDeadline.settings.epochs == 3)
            let recorded = try #require(try run.plannedSchedule(stage: "flow1"))
            #expect(recorded.plannedEpochs == 3 && recorded.replannedAfterEpoch == 1 && recorded.measuredEpochSeconds == 10)
            #expect(withDeadline.settings == configured.planned(recorded))
            #expect(try run.invocations().last?.schedulePlans?.map(\.plannedEpochs) == [4, 3], "the first plan is kept")
            #expect(observer.notes.contains { $0.contains("4 -> 3 epochs") }, "\(observer.notes)")
            let metrics = try MetricsLog.read(from: run.metricsPath).records
            #expect(metrics.map(\.epoch) == [1, 2, 3])

            // --resume rebuilds the settings from run.json's latest plan; the checkpoint agrees.
            let resumed = try makeTrainer(.flow1, a, configured.planned(recorded), data: data, run: run)
            let again = try resumed.train(resume: true, observer: nil)
            #expect(again.epochsCompleted == 3)
            // The first plan's settings no longer match the last checkpoint.
            let stale = try makeTrainer(.flow1, a, configured.planned(initial), data: data, run: run)
            #expect(throws: (any Error).self) { try stale.train(resume: true, observer: nil) }
        }
    }
}
