import Testing
import CaloTensor
import CaloData
import CaloSimulation
import CaloEvaluation

/// Showers from the built-in simulator, simulated once per test process.
enum SimulatedSamples {
    /// 4000 e+ showers (two halves of 2000 = one "file" split in two).
    static let eplus: ShowerBatch = try! ShowerSimulator(particle: .eplus).simulate(count: 4000, seed: 11)
    static let piplus: ShowerBatch = try! ShowerSimulator(particle: .piplus).simulate(count: 1000, seed: 12)
}

@Suite("Classifier training: the CaloFlow DNN test on simulated showers")
struct ClassifierTrainingTests {
    static func quick(epochs: Int) -> ClassifierTrainingOptions {
        var o = ClassifierTrainingOptions()
        o.maxEpochs = epochs
        o.patience = 0
        return o
    }

    static func inputs(_ b: ShowerBatch, _ v: ClassifierVariant) throws -> Matrix {
        let t = EvaluationRun.thresholded(b, 0.01)
        return try v.inputs(t, features: try HighLevelFeatures(t))
    }

    /// Two halves of one sample: no classifier can beat chance on the test set. With 400 test
    /// showers per class the AUC of a chance classifier has standard deviation
    /// sqrt((n1 + n2 + 1) / (12 n1 n2)) = 0.0204, so ±0.06 is a 2.9σ band (the accuracy's
    /// standard deviation is sqrt(0.25 / 800) = 0.0177, so ±0.06 is 3.4σ).
    @Test("two halves of one e+ sample give AUC 0.5 within 3 sigma", arguments: [ClassifierVariant.low, .high])
    func sameSampleIsIndistinguishable(_ variant: ClassifierVariant) throws {
        let all = SimulatedSamples.eplus
        let a = all.slice(0..<2000), b = all.slice(2000..<4000)
        let run = try ClassifierTraining.run(variant: variant, reference: try Self.inputs(a, variant),
                                             generated: try Self.inputs(b, variant), options: Self.quick(epochs: 4), seed: 5)
        #expect(run.testCount == 800 && run.trainCount == 2400 && run.validationCount == 800)
        #expect(abs(run.scores.auc - 0.5) < 0.06, "AUC \(run.scores.auc)")
        #expect(run.scores.jsd < 0.05, "JSD \(run.scores.jsd)")
        #expect(abs(run.scores.accuracy - 0.5) < 0.06, "accuracy \(run.scores.accuracy)")
    }

    /// Small batches so that 1200 training showers give enough Adam steps in 3 epochs. The
    /// layer-normalized variant is held to 0.93: on the simulator's liquid-argon showers (issue
    /// #14) it separates e+ from π+ with AUC 0.947 here, and neither more epochs (the same best
    /// epoch after 5, 8 or 12) nor twice the showers (0.953) take it much higher; the other two
    /// reach 0.99 and 1.0.
    @Test("e+ against pi+ is separated (AUC > 0.95, normalized > 0.93; JSD well above 0)", arguments: ClassifierVariant.allCases)
    func electronsVersusPions(_ variant: ClassifierVariant) throws {
        let e = SimulatedSamples.eplus.slice(0..<1000), p = SimulatedSamples.piplus
        var options = Self.quick(epochs: 3)
        options.batchSize = 100
        let run = try ClassifierTraining.run(variant: variant, reference: try Self.inputs(e, variant),
                                             generated: try Self.inputs(p, variant), options: options, seed: 7)
        let bar = variant == .lowNormalized ? 0.93 : 0.95
        #expect(run.scores.auc > bar, "AUC \(run.scores.auc)")
        #expect(run.scores.calibratedAUC > bar, "calibrated AUC \(run.scores.calibratedAUC)")
        #expect(run.scores.jsd > 0.5, "JSD \(run.scores.jsd)")
    }

    @Test("the kept epoch has the best validation accuracy; patience stops training")
    func bestEpochAndEarlyStop() throws {
        let all = SimulatedSamples.eplus
        var o = ClassifierTrainingOptions()
        o.hidden = [32, 32]
        o.maxEpochs = 40
        o.patience = 2
        let x = try Self.inputs(all.slice(0..<1000), .high), y = try Self.inputs(all.slice(1000..<2000), .high)
        let run = try ClassifierTraining.run(variant: .high, reference: x, generated: y, options: o, seed: 3)
        let accuracies = run.history.map(\.validationAccuracy)
        #expect(run.history.map(\.epoch) == Array(1...run.history.count))
        #expect(accuracies[run.bestEpoch - 1] == accuracies.max())
        #expect(accuracies.firstIndex(of: accuracies.max()!)! == run.bestEpoch - 1)
        if run.stopReason == "patience" { #expect(run.history.count == run.bestEpoch + 2) }
        #expect(run.history.count < 40, "same-sample accuracy should stop improving: \(accuracies)")
    }

    @Test("same seed, same run; another seed, another split")
    func reproducible() throws {
        let all = SimulatedSamples.eplus
        var o = Self.quick(epochs: 2)
        o.hidden = [16]
        let x = try Self.inputs(all.slice(0..<400), .high), y = try Self.inputs(all.slice(400..<800), .high)
        let a = try ClassifierTraining.run(variant: .high, reference: x, generated: y, options: o, seed: 9)
        let b = try ClassifierTraining.run(variant: .high, reference: x, generated: y, options: o, seed: 9)
        let c = try ClassifierTraining.run(variant: .high, reference: x, generated: y, options: o, seed: 10)
        #expect(a.scores == b.scores && a.history.map(\.trainLoss) == b.history.map(\.trainLoss))
        #expect(a.history.map(\.trainLoss) != c.history.map(\.trainLoss))
    }

    @Test("invalid options and too few showers are errors, not traps")
    func errors() throws {
        var o = ClassifierTrainingOptions()
        o.maxEpochs = 0
        let x = Matrix(rows: 10, cols: 3), y = Matrix(rows: 10, cols: 3)
        #expect(throws: EvaluationError.self) { try ClassifierTraining.run(variant: .high, reference: x, generated: y, options: o, seed: 1) }
        #expect(throws: EvaluationError.self) {
            try ClassifierTraining.run(variant: .high, reference: Matrix(rows: 2, cols: 3), generated: y, seed: 1)
        }
        #expect(throws: EvaluationError.self) {
            try ClassifierTraining.run(variant: .high, reference: x, generated: Matrix(rows: 10, cols: 4), seed: 1)
        }
        #expect(throws: EvaluationError.self) { try ClassifierVariant.parseList("low,hi") }
        #expect(try ClassifierVariant.parseList(" high ,low,high") == [.high, .low])
    }
}

@Suite("Classifier helpers: standardization, summaries, energy bins")
struct ClassifierHelperTests {
    @Test func standardizerUsesTrainingConstants() {
        var rng = Xoshiro256(seed: 4)
        var x = Matrix.randomNormal(500, 3, rng: &rng)
        for r in 0..<500 { x[r, 0] = x[r, 0] * 7 + 3; x[r, 2] = 5 }
        let s = ClassifierStandardizer(fitting: x)
        let z = s.apply(x)
        for c in 0..<2 {
            var m = 0.0, v = 0.0
            for r in 0..<500 { m += Double(z[r, c]) }
            m /= 500
            for r in 0..<500 { v += (Double(z[r, c]) - m) * (Double(z[r, c]) - m) }
            #expect(abs(m) < 1e-5 && abs(v / 500 - 1) < 1e-4)
        }
        #expect(s.scale[2] == 1 && (0..<500).allSatisfy { z[$0, 2] == 0 })
    }

    @Test func meanAndSpread() {
        let m = MeanAndSpread([1, 2, 3, 6])
        #expect(m.mean == 3 && abs(m.standardDeviation - (14.0 / 3).squareRoot()) < 1e-12 && m.count == 4)
        #expect(MeanAndSpread([0.7]).standardDeviation == 0)
    }

    @Test func energyBins() {
        let caloGAN = EvaluationRun.energyBinEdges([1.2, 99.5, 40])
        #expect(caloGAN.map(\.lower) == [1, 10, 30, 60] && caloGAN.last?.upper == 100)
        let wide = EvaluationRun.energyBinEdges([2, 500, 30])
        #expect(wide.count == 3 && wide.first?.lower == 1 && wide.last?.upper == 1000)
        let fixed = EvaluationRun.energyBinEdges([50, 50])
        #expect(fixed.count == 1 && fixed[0].lower == 50 && fixed[0].upper == 50)
        let narrow = EvaluationRun.energyBinEdges([150, 190])
        #expect(narrow.count == 3 && narrow.first!.lower <= 150 && narrow.last!.upper >= 190)
    }
}

/// The CaloChallenge classifier (2 x 2048) as a configuration of the same training, on toy
/// problems: Gaussians in 4 dimensions, separated or not.
@Suite("Classifier training: the CaloChallenge 2x2048 network on toy problems")
struct ChallengeClassifierTests {
    static func gaussian(_ n: Int, shift: Float, seed: UInt64) -> Matrix {
        var rng = Xoshiro256(seed: seed)
        return Matrix(rows: n, cols: 4, storage: (0..<(4 * n)).map { k in Float(rng.normal()) + (k % 4 == 0 ? shift : 0) })
    }

    @Test func architecturesAndTheirOptions() throws {
        #expect(ClassifierArchitecture.caloflow.options == ClassifierTrainingOptions())
        let c = ClassifierArchitecture.calochallenge.options
        #expect(c.hidden == [2048, 2048] && c.leakySlope == 0.01 && c.learningRate == 2e-4 && c.batchSize == 1000)
        #expect(c.maxEpochs == 50 && c.patience == 0 && c.trainFraction == 0.6 && c.validationFraction == 0.2)
        #expect(try ClassifierArchitecture.parse("calochallenge") == .calochallenge)
        #expect(throws: EvaluationError.self) { _ = try ClassifierArchitecture.parse("resnet") }
    }

    /// Means 3 sigma apart along one axis: the Bayes AUC is Φ(3/√2) = 0.983.
    @Test func separatesShiftedGaussians() throws {
        var o = ClassifierTrainingOptions.calochallenge
        o.maxEpochs = 3
        o.batchSize = 100
        let run = try ClassifierTraining.run(variant: .high, reference: Self.gaussian(1000, shift: 0, seed: 1),
                                             generated: Self.gaussian(1000, shift: 3, seed: 2), options: o, seed: 3)
        #expect(run.scores.auc > 0.95, "AUC \(run.scores.auc)")
        #expect(run.scores.jsd > 0.5, "JSD \(run.scores.jsd)")
    }

    /// One distribution: AUC 0.5 within 3 sigma (400 test showers per class: sigma 0.0204).
    @Test func cannotSeparateOneDistribution() throws {
        var o = ClassifierTrainingOptions.calochallenge
        o.maxEpochs = 2
        o.batchSize = 200
        let run = try ClassifierTraining.run(variant: .high, reference: Self.gaussian(2000, shift: 0, seed: 4),
                                             generated: Self.gaussian(2000, shift: 0, seed: 5), options: o, seed: 6)
        #expect(abs(run.scores.auc - 0.5) < 0.06, "AUC \(run.scores.auc)")
        #expect(run.scores.jsd < 0.05, "JSD \(run.scores.jsd)")
    }
}
