import Testing
import CaloNN
import CaloTensor
import CaloPipeline

@Suite struct TrainingStateTests {
    @Test func earlyStoppingMinModeCountsPatience() {
        var es = EarlyStopping(mode: .min, patience: 2)
        #expect(es.observe(1.0, epoch: 1) == .improved)
        #expect(es.observe(0.8, epoch: 2) == .improved)
        #expect(es.observe(0.9, epoch: 3) == .noImprovement(remaining: 1))
        #expect(es.observe(0.8, epoch: 4) == .noImprovement(remaining: 0), "equal is not better")
        #expect(!es.shouldStop)
        #expect(es.observe(0.85, epoch: 5) == .stop)
        #expect(es.shouldStop && es.best == 0.8 && es.bestEpoch == 2 && es.epochsWithoutImprovement == 3)
    }

    @Test func earlyStoppingMaxModeWithMinDelta() {
        var es = EarlyStopping(mode: .max, patience: 1, minDelta: 0.5)
        #expect(es.observe(-100, epoch: 1) == .improved)
        #expect(es.observe(-99.6, epoch: 2) == .noImprovement(remaining: 0), "gain 0.4 < min delta")
        #expect(es.observe(-99, epoch: 3) == .improved, "counter resets on improvement")
        #expect(es.epochsWithoutImprovement == 0 && es.bestEpoch == 3)
    }

    @Test func nonFiniteMetricNeverImprovesAndNoPatienceNeverStops() {
        var es = EarlyStopping(mode: .min)
        #expect(es.observe(.nan, epoch: 1) == .noImprovement(remaining: nil))
        #expect(es.best == nil)
        #expect(es.observe(3, epoch: 2) == .improved)
        for e in 3..<50 { _ = es.observe(.infinity, epoch: e) }
        #expect(!es.shouldStop && es.best == 3)
    }

    @Test func stateViewsAndJSONRoundTrip() throws {
        var es = EarlyStopping(mode: .max, patience: 4, minDelta: 0.01)
        _ = es.observe(2, epoch: 1); _ = es.observe(1, epoch: 2)
        let s = TrainingState(epoch: 2, scheduleStep: 2, schedule: .multiStep(initialRate: 1e-3, milestones: [1], gamma: 0.5),
                              earlyStopping: es)
        #expect(s.bestMetric == 2 && s.bestEpoch == 1 && s.patienceCounter == 1 && s.learningRate == 5e-4)
        let back = try RunJSON.decode(EarlyStopping.self, from: try RunJSON.encode(es))
        #expect(back == es)
    }

    @Test func jsonIsDeterministicSortedAndNamesBadKeys() throws {
        struct Config: Codable, Equatable { var zeta: [String: Int]; var alpha: Double; var url: String }
        let a = Config(zeta: ["b": 2, "a": 1, "c": 3], alpha: 0.1, url: "runs/x")
        let text = try RunJSON.encode(a)
        #expect(text == (try RunJSON.encode(Config(zeta: ["c": 3, "a": 1, "b": 2], alpha: 0.1, url: "runs/x"))))
        #expect(text.firstRange(of: "alpha")!.lowerBound < text.firstRange(of: "zeta")!.lowerBound)
        #expect(text.contains("\"runs/x\"") && text.hasSuffix("}\n"))
        #expect(try RunJSON.decode(Config.self, from: text) == a)
        #expect { try RunJSON.decode(Config.self, from: #"{"zeta": {"a": "x"}, "alpha": 1, "url": ""}"#) } throws: { e in
            "\(e)".contains("zeta.a")
        }
    }
}
