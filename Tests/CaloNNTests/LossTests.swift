import Testing
import CaloNN
import CaloTensor
import Glibc
import CaloTestSupport

@Suite struct LossTests {
    /// Logits spread over ±4 and soft targets in [0, 1].
    static func logitsAndTargets(seed: UInt64) -> (Matrix, Matrix) {
        var rng = Xoshiro256(seed: seed)
        return (Matrix.randomNormal(6, 3, std: 2, rng: &rng), Matrix.randomUniform(6, 3, 0, 1, rng: &rng))
    }

    @Test(arguments: [LossReduction.mean, .sum, .batchMean])
    func bceGradientMatchesCentralDifferences(_ reduction: LossReduction) {
        let (x, t) = Self.logitsAndTargets(seed: 1)
        let (_, g) = binaryCrossEntropyWithLogits(logits: x, targets: t, reduction: reduction)
        let report = GradientCheck.input(x, analyticGradient: g) {
            binaryCrossEntropyWithLogits(logits: $0, targets: t, reduction: reduction).value
        }
        #expect(report.passes(tolerance: gradientTolerance), "\(report)")
        var wrong = g; wrong.scale(by: 1.05)
        #expect(!GradientCheck.input(x, analyticGradient: wrong, options: .init(floor: 1e-4)) {
            binaryCrossEntropyWithLogits(logits: $0, targets: t, reduction: reduction).value
        }.passes(tolerance: gradientTolerance))
    }

    @Test func bceMatchesTheDefinitionAndIsStableAtLargeLogits() {
        // Moderate logits: compare with −[t ln σ + (1 − t) ln(1 − σ)] in Double.
        let (x, t) = Self.logitsAndTargets(seed: 2)
        var expected = 0.0
        for k in 0..<x.count {
            let s = 1 / (1 + exp(-Double(x.storage[k]))), y = Double(t.storage[k])
            expected -= y * log(s) + (1 - y) * log(1 - s)
        }
        let (value, _) = binaryCrossEntropyWithLogits(logits: x, targets: t, reduction: .sum)
        #expect(abs(value - expected) < 1e-9 * max(1, expected))

        // |logit| = 50: σ(−50) ≈ 2e-22, where the naive form gives ln 0 = −∞.
        let big = Matrix([[50], [-50], [50], [-50]]), labels = Matrix([[0], [1], [1], [0]])
        let (v, g) = binaryCrossEntropyWithLogits(logits: big, targets: labels, reduction: .sum)
        let tiny = log1p(exp(-50.0))
        #expect(abs(v - (2 * (50 + tiny) + 2 * tiny)) < 1e-12)
        #expect(g.isFinite)
        #expect(abs(g[0, 0] - 1) < 1e-6 && abs(g[1, 0] + 1) < 1e-6)
        #expect(abs(g[2, 0]) < 1e-20 && abs(g[3, 0]) < 1e-20)
    }

    /// A batch split in two with the batch's factor: the halves' values add up to the batch
    /// mean, and their gradients are the batch's rows bit for bit.
    @Test func bceFactorMakesShardsPartsOfTheBatchMean() {
        let (x, t) = Self.logitsAndTargets(seed: 3)
        let whole = binaryCrossEntropyWithLogits(logits: x, targets: t)
        let n = x.rows, half = n / 2, f = 1 / Double(n * x.cols)
        let a = binaryCrossEntropyWithLogits(logits: x.rows(0..<half), targets: t.rows(0..<half), factor: f)
        let b = binaryCrossEntropyWithLogits(logits: x.rows(half..<n), targets: t.rows(half..<n), factor: f)
        #expect(abs(a.value + b.value - whole.value) < 1e-12 * max(1, abs(whole.value)))
        #expect(a.gradient.storage + b.gradient.storage == whole.gradient.storage)
    }

    @Test(arguments: [LossReduction.mean, .sum, .batchMean])
    func mseGradientAndValue(_ reduction: LossReduction) {
        var rng = Xoshiro256(seed: 3)
        let p = Matrix.randomNormal(5, 4, rng: &rng), t = Matrix.randomNormal(5, 4, rng: &rng)
        let (value, g) = meanSquaredError(predictions: p, targets: t, reduction: reduction)
        var sum = 0.0
        for k in 0..<p.count { let d = Double(p.storage[k]) - Double(t.storage[k]); sum += d * d }
        let expected = switch reduction { case .mean: sum / 20; case .sum: sum; case .batchMean: sum / 5 }
        #expect(abs(value - expected) < 1e-6 * expected)
        let report = GradientCheck.input(p, analyticGradient: g) {
            meanSquaredError(predictions: $0, targets: t, reduction: reduction).value
        }
        #expect(report.passes(tolerance: gradientTolerance), "\(report)")
    }

    @Test func gaussianNLLValueAndGradient() {
        var rng = Xoshiro256(seed: 4)
        let z = Matrix.randomNormal(8, 5, rng: &rng)
        let (value, g) = gaussianNegativeLogLikelihood(z)
        // Mean over rows of −Σ_j ln N(z_j; 0, 1).
        var expected = 0.0
        for r in 0..<8 { for c in 0..<5 { let v = Double(z[r, c]); expected += 0.5 * v * v + 0.5 * log(2 * Double.pi) } }
        expected /= 8
        #expect(abs(value - expected) < 1e-9 * expected)
        for k in 0..<z.count { #expect(abs(g.storage[k] - z.storage[k] / 8) < 1e-7) }
        let report = GradientCheck.input(z, analyticGradient: g) { gaussianNegativeLogLikelihood($0).value }
        #expect(report.passes(tolerance: gradientTolerance), "\(report)")
    }
}

@Suite struct ActivationFunctionTests {
    @Test func stableAtExtremes() {
        #expect(sigmoid(Float(-100)) >= 0 && sigmoid(Float(-100)) < 1e-37)
        #expect(sigmoid(Float(100)) == 1)
        #expect(softplus(Float(100)) == 100)
        #expect(abs(softplus(Float(-30)) - expf(-30)) < 1e-18)
        #expect(logSigmoid(Float(-200)) == -200)
        #expect(abs(logSigmoid(Double(30)) + exp(-30.0)) < 1e-20)
        #expect(logit(Float(0.5)) == 0)
    }

    @Test(arguments: [-8.0, -1.5, -1e-3, 0.0, 0.7, 12.0])
    func logitInvertsSigmoidAndSoftplusIdentity(_ x: Double) {
        #expect(abs(logit(sigmoid(x)) - x) < 1e-9 * max(1, abs(x)))
        // softplus(x) − softplus(−x) = x, and logSigmoid = −softplus(−x) = ln σ(x).
        #expect(abs(softplus(x) - softplus(-x) - x) < 1e-12 * max(1, abs(x)))
        #expect(abs(logSigmoid(x) - log(sigmoid(x))) < 1e-12)
        #expect(abs(Double(sigmoid(Float(x))) - sigmoid(x)) < 1e-7)
        #expect(relu(Float(x)) == Float(max(x, 0)))
        #expect(leakyReLU(Float(x), slope: 0.01) == (x > 0 ? Float(x) : Float(0.01) * Float(x)))
    }
}
