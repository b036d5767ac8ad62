import Testing
import Glibc
import CaloTensor
import CaloEvaluation

@Suite struct ROCTests {
    /// P(positive outranks negative) + ½ P(tie), by brute force over all pairs.
    func mannWhitney(_ s: [Double], _ y: [Float]) -> Double {
        var num = 0.0, pairs = 0.0
        for i in s.indices where y[i] == 1 {
            for j in s.indices where y[j] == 0 {
                pairs += 1
                num += s[i] > s[j] ? 1 : (s[i] == s[j] ? 0.5 : 0)
            }
        }
        return num / pairs
    }

    @Test func handComputedAUC() throws {
        #expect(try ROC.auc(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1]) == 0.75)
        // One tie between a positive and a negative: (1 + 1 + 1 + ½) / 4.
        #expect(try ROC.auc(scores: [0.5, 0.5, 0.7, 0.3], labels: [1, 0, 1, 0]) == 0.875)
        #expect(try ROC.auc(scores: [0.3, 0.3, 0.3, 0.3, 0.3], labels: [1, 0, 1, 0, 0]) == 0.5)
        #expect(try ROC.auc(scores: [0.1, 0.2, 0.8, 0.9], labels: [0, 0, 1, 1]) == 1)
        #expect(try ROC.auc(scores: [0.1, 0.2, 0.8, 0.9], labels: [1, 1, 0, 0]) == 0)
    }

    @Test func rocPointsStepThroughDistinctScores() throws {
        let c = try ROC.curve(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])
        #expect(c.falsePositiveRate == [0, 0, 0.5, 0.5, 1])
        #expect(c.truePositiveRate == [0, 0.5, 0.5, 1, 1])
        #expect(c.thresholds == [.infinity, 0.8, 0.4, 0.35, 0.1])
        // All tied: one diagonal step.
        let t = try ROC.curve(scores: [Float](repeating: 0.2, count: 4), labels: [1, 0, 0, 1])
        #expect(t.falsePositiveRate == [0, 1] && t.truePositiveRate == [0, 1] && t.auc == 0.5)
    }

    @Test func aucMatchesPairCountingWithManyTies() throws {
        var rng = Xoshiro256(seed: 11)
        let n = 300
        let labels = (0..<n).map { _ in Float(rng.uniform() < 0.4 ? 1 : 0) }
        // Rounded scores: many ties within and across classes.
        let scores = labels.map { (Double($0) * 0.3 + rng.uniform() * 10).rounded() / 10 }
        let auc = try ROC.auc(scores: scores, labels: labels)
        #expect(abs(auc - mannWhitney(scores, labels)) < 1e-12)
        let c = try ROC.curve(scores: scores, labels: labels)
        #expect(c.falsePositiveRate.last == 1 && c.truePositiveRate.last == 1)
        #expect(zip(c.falsePositiveRate, c.falsePositiveRate.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(zip(c.truePositiveRate, c.truePositiveRate.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func badInputThrows() {
        #expect(throws: EvaluationError.self) { try ROC.auc(scores: [0.1, 0.2], labels: [1]) }
        #expect(throws: EvaluationError.self) { try ROC.auc(scores: [0.1, 0.2], labels: [1, 1]) }
        #expect(throws: EvaluationError.self) { try ROC.auc(scores: [0.1, 0.2], labels: [1, 2]) }
        #expect(throws: EvaluationError.self) { try ROC.auc(scores: [0.1, .nan], labels: [1, 0]) }
        #expect(throws: EvaluationError.self) { try ROC.auc(scores: [Double](), labels: []) }
    }
}

@Suite struct CalibrationTests {
    @Test func isotonicMatchesHandPAV() throws {
        let iso = try IsotonicRegression(x: [1, 2, 3, 4, 5, 6], y: [1, 3, 2, 4, 3, 5])
        #expect(iso.predict([1, 2, 3, 4, 5, 6]) == [1, 2.5, 2.5, 3.5, 3.5, 5])
        // Linear between knots, clipped outside.
        #expect(iso.predict(1.5) == 1.75)
        #expect(iso.predict(-10) == 1 && iso.predict(100) == 5)
        // A decreasing sequence pools into its mean.
        #expect(try IsotonicRegression(x: [0, 1, 2], y: [3, 2, 1]).predict([0, 1, 2]) == [2, 2, 2])
        // Equal x are merged first: (0, 1) at x=1 against 0 at x=2 pool to 1/3.
        let tied = try IsotonicRegression(x: [1, 1, 2], y: [0, 1, 0])
        #expect(tied.predict([1, 2]).allSatisfy { abs($0 - 1.0 / 3) < 1e-15 })
        // Weights act as repeated samples.
        let w = try IsotonicRegression(x: [1, 2], y: [1, 0], weights: [3, 1])
        #expect(w.predict([1, 2]) == [0.75, 0.75])
    }

    @Test func isotonicIsMonotoneAndKeepsTheMean() throws {
        var rng = Xoshiro256(seed: 5)
        let x = (0..<500).map { _ in rng.uniform() }
        let y = x.map { Double($0 + 0.5 * rng.normal() > 0.5 ? 1 : 0) }
        let iso = try IsotonicRegression(x: x, y: y, yMin: 1e-6, yMax: 1 - 1e-6)
        let grid = (0...200).map { Double($0) / 200 }
        let p = iso.predict(grid)
        #expect(zip(p, p.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(p.allSatisfy { $0 >= 1e-6 && $0 <= 1 - 1e-6 })
        // Without clipping, PAV preserves the mean of y at the samples.
        let free = try IsotonicRegression(x: x, y: y)
        let fitMean = free.predict(x).reduce(0, +) / 500, yMean = y.reduce(0, +) / 500
        #expect(abs(fitMean - yMean) < 1e-12)
    }

    @Test func jsdIsZeroForUninformativeAndOneForPerfect() throws {
        // Constant outputs: calibration gives the class fraction 0.5, BCE = ln 2.
        let labels: [Float] = (0..<1000).map { Float($0 % 2) }
        let flat = [Double](repeating: 0.37, count: 1000)
        let none = try ClassifierMetrics.evaluate(calibrationScores: flat, calibrationLabels: labels,
                                                  finalScores: flat, finalLabels: labels)
        #expect(abs(none.jsd) < 1e-12 && none.auc == 0.5)
        // Random outputs unrelated to the labels: near 0 on an independent final set.
        var rng = Xoshiro256(seed: 9)
        let a = (0..<4000).map { _ in rng.uniform() }, b = (0..<4000).map { _ in rng.uniform() }
        let l4: [Float] = (0..<4000).map { Float($0 % 2) }
        let noise = try ClassifierMetrics.evaluate(calibrationScores: a, calibrationLabels: l4, finalScores: b, finalLabels: l4)
        #expect(abs(noise.jsd) < 0.05 && abs(noise.auc - 0.5) < 0.05)
        // Perfect separation: calibrated to 1 − 1e-6 and 1e-6.
        let s = labels.map { $0 == 1 ? 0.9 : 0.2 }
        let perfect = try ClassifierMetrics.evaluate(calibrationScores: s, calibrationLabels: labels,
                                                     finalScores: s, finalLabels: labels)
        #expect(perfect.auc == 1 && perfect.calibratedAUC == 1 && perfect.accuracy == 1)
        #expect(perfect.jsd > 1 - 1e-5 && perfect.jsd < 1)
    }

    @Test func accuracyAndCrossEntropy() throws {
        #expect(try ClassifierMetrics.accuracy(scores: [0.2, 0.6, 0.5, 0.9], labels: [0, 1, 1, 0]) == 0.5)
        let bce = try ClassifierMetrics.binaryCrossEntropy(probabilities: [0.5, 0.25], labels: [1, 0])
        #expect(abs(bce - (log(2.0) - log(0.75)) / 2) < 1e-15)
        #expect(throws: EvaluationError.self) { try ClassifierMetrics.binaryCrossEntropy(probabilities: [1.5], labels: [1]) }
    }
}
