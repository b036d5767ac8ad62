import Testing
import CaloNN
import CaloTensor
import CaloTestSupport
import Glibc

/// Float32 forward passes with the default step 1e-2 give relative errors below 4e-4 here; a
/// gradient that is wrong by 3% in one entry must fail this tolerance (the `…Fails…` tests).
let gradientTolerance = 2e-3

/// Inputs kept at least 0.1 away from 0, so finite differences never straddle a ReLU kink.
func inputAwayFromKinks(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
    var rng = Xoshiro256(seed: seed)
    return Matrix.randomNormal(rows, cols, rng: &rng).applying { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
}

@Suite struct LayerGradientTests {
    static let layerNames = ["Linear", "Linear without bias", "MaskedLinear", "ReLU", "LeakyReLU", "Sigmoid",
                             "Sequential", "MLP (eval mode, dropout inactive)"]

    /// The layer under test and its input width.
    static func makeLayer(_ index: Int) -> (any Layer, Int) {
        var r = Xoshiro256(seed: UInt64(index))
        switch index {
        case 0: return (Linear(5, 4, rng: &r), 5)
        case 1: return (Linear(3, 6, bias: false, rng: &r), 3)
        case 2:
            let mask = Matrix(rows: 4, cols: 5, storage: (0..<20).map { Float(($0 * 7 % 3) == 0 ? 0 : 1) })
            return (MaskedLinear(4, 5, mask: mask, rng: &r), 4)
        case 3: return (ReLU(), 6)
        case 4: return (LeakyReLU(slope: 0.01), 6)
        case 5: return (Sigmoid(), 6)
        case 6: return (Sequential([Linear(5, 7, rng: &r), Sigmoid(), Linear(7, 3, rng: &r), LeakyReLU(slope: 0.2)]), 5)
        default: return (try! MLP(inputs: 5, hidden: [8, 8], outputs: 2, activation: .sigmoid, dropout: 0.3, rng: &r), 5)
        }
    }

    @Test(arguments: 0..<8)
    func backwardMatchesCentralDifferences(_ index: Int) {
        let (layer, inputs) = Self.makeLayer(index)
        let name = Self.layerNames[index]
        let x = inputAwayFromKinks(4, inputs, seed: 10 + UInt64(index))
        let report = GradientCheck.layer(layer, input: x)
        #expect(report.passes(tolerance: gradientTolerance), "\(name): \(report)")
        #expect(report.entriesChecked >= x.count, "\(name): input entries must all be checked")
    }

    @Test func everyParameterEntryIsCheckedInASmallLinear() {
        var r = Xoshiro256(seed: 6)
        let layer = Linear(3, 2, rng: &r)
        let report = GradientCheck.layer(layer, input: inputAwayFromKinks(5, 3, seed: 1))
        #expect(report.entriesChecked == 3 * 2 + 2 + 5 * 3)
        #expect(report.passes(tolerance: gradientTolerance), "\(report)")
    }

    @Test func maskedLinearGivesExactlyZeroGradientAtMaskedWeights() {
        var r = Xoshiro256(seed: 7)
        let mask = Matrix(rows: 3, cols: 3, storage: [1, 1, 1, 0, 1, 1, 0, 0, 1])
        let layer = MaskedLinear(3, 3, mask: mask, rng: &r)
        for k in 0..<9 where mask.storage[k] == 0 { #expect(layer.weight.value.storage[k] == 0) }
        _ = layer.forward(inputAwayFromKinks(4, 3, seed: 2), training: true)
        _ = layer.backward(Matrix(rows: 4, cols: 3, repeating: 1))
        for k in 0..<9 where mask.storage[k] == 0 { #expect(layer.weight.gradient.storage[k] == 0) }
        // Output j depends only on inputs i with mask[i, j] = 1.
        let x = inputAwayFromKinks(1, 3, seed: 3)
        var x2 = x; x2[0, 2] += 1
        let y = layer(x), y2 = layer(x2)
        #expect(y[0, 0] == y2[0, 0] && y[0, 1] == y2[0, 1])
        #expect(y[0, 2] != y2[0, 2])
    }
}

@Suite struct GradientCheckSensitivityTests {
    /// A deliberately wrong parameter gradient (one entry 3% off) must fail the tolerance the
    /// layer tests use: the comparison is real, not vacuous.
    @Test func wrongParameterGradientFails() {
        var r = Xoshiro256(seed: 8)
        let layer = Linear(4, 3, rng: &r)
        let x = inputAwayFromKinks(6, 4, seed: 4)
        var rp = Xoshiro256(seed: 9)
        let projection = Matrix.randomNormal(6, 3, rng: &rp)
        layer.zeroGradients()
        _ = layer.forward(x, training: false)
        _ = layer.backward(projection)
        let loss = { GradientCheck.dot(layer.forward(x, training: false), projection) }
        #expect(GradientCheck.parameters(layer.parameters, loss: loss).passes(tolerance: gradientTolerance))
        // Pick the largest weight gradient so the 3% error is well above the absolute floor.
        let g = layer.weight.gradient.storage
        let k = g.indices.max { abs(g[$0]) < abs(g[$1]) }!
        layer.weight.gradient.storage[k] *= 1.03
        let report = GradientCheck.parameters(layer.parameters, loss: loss)
        #expect(!report.passes(tolerance: gradientTolerance))
        #expect(report.worstEntry.hasPrefix("linear.weight[\(k)] "), "\(report)")
    }

    /// A transposed input gradient (a classic backward bug) must fail too.
    @Test func wrongInputGradientFails() {
        var r = Xoshiro256(seed: 10)
        let layer = Linear(4, 4, rng: &r)
        let x = inputAwayFromKinks(4, 4, seed: 5)
        var rp = Xoshiro256(seed: 11)
        let projection = Matrix.randomNormal(4, 4, rng: &rp)
        _ = layer.forward(x, training: false)
        let dx = layer.backward(projection)
        let loss = { (x: Matrix) in GradientCheck.dot(layer.forward(x, training: false), projection) }
        #expect(GradientCheck.input(x, analyticGradient: dx, loss: loss).passes(tolerance: gradientTolerance))
        #expect(!GradientCheck.input(x, analyticGradient: dx.transposed, loss: loss).passes(tolerance: 0.1))
    }

    @Test func nonzeroGradientAtAMaskedEntryIsReported() {
        var r = Xoshiro256(seed: 12)
        let mask = Matrix(rows: 2, cols: 2, storage: [1, 0, 1, 1])
        let layer = MaskedLinear(2, 2, mask: mask, rng: &r)
        layer.weight.gradient.storage[1] = 0.5
        let report = GradientCheck.parameters([layer.weight]) { 0 }
        #expect(report.maxRelativeError == .infinity)
        #expect(report.worstEntry.contains("masked"))
    }
}

@Suite struct KinkToleranceTests {
    /// ReLU inputs within the step of 0: the central difference straddles the kink and is off by
    /// up to 50%, one one-sided difference is exact. The default check accepts it, the strict
    /// one does not, and a ReLU network on unconstrained random inputs passes by default.
    @Test func oneSidedDifferencesRescueKinkCrossings() {
        let x = Matrix([[0.004, -0.003, 0.5], [-0.8, 0.002, -0.006]])
        let relu = ReLU()
        #expect(GradientCheck.layer(relu, input: x).passes(tolerance: gradientTolerance))
        #expect(!GradientCheck.layer(relu, input: x, options: .init(kinkTolerant: false)).passes(tolerance: 0.1))

        var r = Xoshiro256(seed: 20)
        let mlp = try! MLP(inputs: 6, hidden: [16, 16], outputs: 3, activation: .relu, rng: &r)
        let report = GradientCheck.layer(mlp, input: Matrix.randomNormal(8, 6, rng: &r))
        #expect(report.passes(tolerance: gradientTolerance), "\(report)")
    }
}

/// The checker's roundoff model on a loss with noise of a known size: a smooth function plus a
/// deterministic pseudo-random term of standard deviation σ that changes whenever any input bit
/// changes (as Float32 rounding does).
@Suite struct GradientCheckNoiseTests {
    /// L(x) = Σ_k c_k sin(x_k) + σ·n(x), n(x) ~ N(0, 1) seeded from the bits of x.
    static func noisyLoss(_ x: Matrix, sigma: Double) -> Double {
        var smooth = 0.0, bits: UInt64 = 0x9E37_79B9_7F4A_7C15
        for k in 0..<x.count {
            smooth += Double(k % 3 + 1) * sin(Double(x.storage[k]))
            bits = (bits ^ UInt64(x.storage[k].bitPattern)) &* 0xBF58_476D_1CE4_E5B9
        }
        var rng = Xoshiro256(seed: bits)
        return smooth + sigma * rng.normal()
    }

    static func gradient(_ x: Matrix) -> Matrix {
        Matrix(rows: x.rows, cols: x.cols, storage: (0..<x.count).map { Float(Double($0 % 3 + 1) * cos(Double(x.storage[$0]))) })
    }

    /// σ = 1e-4 at step 1e-2 gives difference quotients with roundoff of about 1e-2: a plain
    /// comparison at 2e-3 fails, the noise-aware one passes, and a factor 1.1 or a sign flip
    /// in the analytic gradient still fails.
    @Test func noiseIsAllowedForButFormulaErrorsAreNot() {
        var rng = Xoshiro256(seed: 41)
        let x = Matrix.randomUniform(6, 5, -1.2, 1.2, rng: &rng)
        let g = Self.gradient(x)
        let loss = { (m: Matrix) in Self.noisyLoss(m, sigma: 1e-4) }
        let report = GradientCheck.input(x, analyticGradient: g, loss: loss)
        #expect(report.passes(tolerance: gradientTolerance), "\(report)")
        #expect(report.maxRelativeNoise > gradientTolerance, "the noise must matter here: \(report)")
        let plain = GradientCheck.input(x, analyticGradient: g, options: .init(noiseAllowance: 0), loss: loss)
        #expect(!plain.passes(tolerance: gradientTolerance), "\(plain)")
        var scaled = g; scaled.scale(by: 1.1)
        #expect(!GradientCheck.input(x, analyticGradient: scaled, loss: loss).passes(tolerance: gradientTolerance))
        var flipped = g; flipped.scale(by: -1)
        #expect(!GradientCheck.input(x, analyticGradient: flipped, loss: loss).passes(tolerance: gradientTolerance))
    }

    /// Without noise the allowance all but vanishes (what is left is the smooth part's h⁴·L⁗ in
    /// the fourth difference): a 1 % error in one entry is caught.
    @Test func noiselessLossLeavesNoAllowance() {
        var rng = Xoshiro256(seed: 42)
        let x = Matrix.randomUniform(4, 4, -1.2, 1.2, rng: &rng)
        var g = Self.gradient(x)
        let loss = { (m: Matrix) in Self.noisyLoss(m, sigma: 0) }
        let report = GradientCheck.input(x, analyticGradient: g, loss: loss)
        #expect(report.passes(tolerance: 1e-6) && report.maxRelativeNoise < 1e-4, "\(report)")
        let k = g.storage.indices.max { abs(g.storage[$0]) < abs(g.storage[$1]) }!
        g.storage[k] *= 1.01
        #expect(!GradientCheck.input(x, analyticGradient: g, loss: loss).passes(tolerance: gradientTolerance))
    }
}
