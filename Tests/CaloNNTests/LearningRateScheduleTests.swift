import Testing
import CaloNN
import Foundation

@Suite struct LearningRateScheduleTests {
    @Test func caloFlowMultiStepHalvings() {
        let s = LearningRateSchedule.caloFlowFlowI()
        // 1e-4 · 0.5^(milestones ≤ epoch), milestones 5, 15, 40, 60.
        let expected: [(Int, Double)] = [(0, 1e-4), (4, 1e-4), (5, 5e-5), (14, 5e-5), (15, 2.5e-5),
                                         (40, 1.25e-5), (59, 1.25e-5), (60, 6.25e-6), (74, 6.25e-6)]
        for (epoch, rate) in expected { #expect(s.learningRate(at: epoch) == rate, "epoch \(epoch)") }
        #expect(LearningRateSchedule.caloFlowTeacher().learningRate(at: 50) == 5e-5)
        #expect(LearningRateSchedule.caloFlowStudent().learningRate(at: 70) == 1.25e-5)
    }

    @Test func constantAndStep() {
        #expect(LearningRateSchedule.constant(rate: 3e-4).learningRate(at: 1000) == 3e-4)
        let s = LearningRateSchedule.step(initialRate: 1, stepSize: 3, gamma: 0.1)
        for e in 0..<10 { #expect(s.learningRate(at: e) == pow(0.1, Double(e / 3))) }
    }

    @Test func cosineWithWarmup() {
        let s = LearningRateSchedule.cosine(initialRate: 1e-3, totalSteps: 110, minimumRate: 1e-5, warmupSteps: 10)
        #expect(s.learningRate(at: 0) == 1e-3 * 1 / 10)
        #expect(abs(s.learningRate(at: 9) - 1e-3) < 1e-15)
        #expect(abs(s.learningRate(at: 10) - 1e-3) < 1e-15)
        for step in [10, 35, 60, 85, 110] {
            let progress = Double(step - 10) / 100
            let want = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + cos(Double.pi * progress))
            #expect(abs(s.learningRate(at: step) - want) < 1e-15, "step \(step)")
        }
        #expect(abs(s.learningRate(at: 60) - (1e-3 + 1e-5) / 2) < 1e-15)
        #expect(s.learningRate(at: 500) == s.learningRate(at: 110))
    }

    @Test func oneCycleMatchesPyTorchFormula() {
        let total = 100, maxRate = 1e-2
        let s = LearningRateSchedule.oneCycle(maxRate: maxRate, totalSteps: total)
        let initial = maxRate / 25, final = initial / 1e4
        let end1 = 0.3 * Double(total) - 1, end2 = Double(total - 1)
        func anneal(_ a: Double, _ b: Double, _ f: Double) -> Double { b + (a - b) / 2 * (cos(Double.pi * f) + 1) }
        for step in [0, 10, 29, 30, 64, 99] {
            let t = Double(step)
            let want = t <= end1 ? anneal(initial, maxRate, t / end1) : anneal(maxRate, final, (t - end1) / (end2 - end1))
            #expect(abs(s.learningRate(at: step) - want) < 1e-15, "step \(step)")
        }
        #expect(abs(s.learningRate(at: 0) - initial) < 1e-15)
        #expect(abs(s.learningRate(at: 29) - maxRate) < 1e-15)
        #expect(abs(s.learningRate(at: 99) - final) < 1e-15)
    }

    @Test(arguments: [
        LearningRateSchedule.constant(rate: 1e-3),
        .step(initialRate: 1e-3, stepSize: 10, gamma: 0.3),
        .caloFlowFlowI(),
        .cosine(initialRate: 1e-3, totalSteps: 1000, minimumRate: 1e-6, warmupSteps: 50),
        .oneCycle(maxRate: 1e-3, totalSteps: 5000, pctStart: 0.25, divFactor: 10, finalDivFactor: 100),
    ])
    func jsonRoundTrip(_ schedule: LearningRateSchedule) throws {
        let data = try JSONEncoder().encode(schedule)
        #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: data) == schedule)
    }

    @Test func decodesConfigTextWithDefaultsAndRejectsBadValues() throws {
        let text = #"{"kind": "multiStep", "initialRate": 1e-4, "milestones": [5, 15, 40, 60], "gamma": 0.5}"#
        #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: Data(text.utf8)) == .caloFlowFlowI())
        let oneCycle = #"{"kind": "oneCycle", "maxRate": 0.001, "totalSteps": 200}"#
        #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: Data(oneCycle.utf8))
                == .oneCycle(maxRate: 1e-3, totalSteps: 200, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4))
        for bad in [#"{"kind": "step", "initialRate": 1e-3, "stepSize": 0}"#,
                    #"{"kind": "oneCycle", "maxRate": 1e-3, "totalSteps": 10, "pctStart": 1.5}"#,
                    #"{"kind": "cosine", "initialRate": -1, "totalSteps": 10}"#,
                    #"{"kind": "exponential", "initialRate": 1e-3}"#] {
            #expect(throws: (any Error).self) { try JSONDecoder().decode(LearningRateSchedule.self, from: Data(bad.utf8)) }
        }
        #expect(throws: NNError.self) { try LearningRateSchedule.multiStep(initialRate: 1, milestones: [1], gamma: 0).validate() }
    }
}
