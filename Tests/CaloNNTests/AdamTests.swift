import Testing
import CaloNN
import CaloTensor
import Glibc

@Suite struct AdamTests {
    /// The first two steps of PyTorch's Adam update computed by hand in Double.
    @Test func firstTwoStepsMatchTheFormula() throws {
        let p = Parameter(name: "p", value: Matrix([[0.5, -1.0, 2.0]]))
        let adam = try Adam(parameters: [p], learningRate: 0.1)
        let grads: [[Double]] = [[0.2, -3.0, 1e-3], [-0.4, 1.0, 5.0]]
        var x = [0.5, -1.0, 2.0], m = [0.0, 0, 0], v = [0.0, 0, 0]
        for (t, g) in grads.enumerated() {
            p.gradient = Matrix([g.map(Float.init)])
            adam.step()
            for i in 0..<3 {
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                let mh = m[i] / (1 - pow(0.9, Double(t + 1))), vh = v[i] / (1 - pow(0.999, Double(t + 1)))
                x[i] -= 0.1 * mh / (vh.squareRoot() + 1e-8)
                #expect(abs(Double(p.value[0, i]) - x[i]) < 1e-6, "step \(t + 1), entry \(i)")
            }
        }
        // The first step moves every entry by ≈ lr (Adam's sign-like first step).
        #expect(adam.stepCount == 2)
    }

    /// y = m·x + b with noise-free data: Adam must reach the exact line.
    @Test func fitsALinearFunction() throws {
        var rng = Xoshiro256(seed: 1)
        let layer = Linear(1, 1, rng: &rng)
        let x = Matrix.randomUniform(64, 1, -2, 2, rng: &rng)
        let y = x.applying { 3 * $0 - 0.5 }
        let adam = try Adam(parameters: layer.parameters, learningRate: 0.05)
        var loss = Double.infinity
        for _ in 0..<600 {
            adam.zeroGradients()
            let (l, g) = meanSquaredError(predictions: layer.forward(x, training: true), targets: y)
            _ = layer.backward(g)
            adam.step()
            loss = l
        }
        #expect(loss < 1e-6)
        #expect(abs(layer.weight.value[0, 0] - 3) < 1e-3)
        #expect(abs(layer.bias!.value[0, 0] + 0.5) < 1e-3)
    }

    @Test func maskedWeightsStayExactlyZero() throws {
        var rng = Xoshiro256(seed: 2)
        let mask = Matrix(rows: 6, cols: 5, storage: (0..<30).map { Float($0 % 4 == 0 ? 0 : 1) })
        let layer = MaskedLinear(6, 5, mask: mask, rng: &rng)
        let x = Matrix.randomNormal(16, 6, rng: &rng), target = Matrix.randomNormal(16, 5, rng: &rng)
        let adam = try Adam(parameters: layer.parameters, learningRate: 0.01, weightDecay: .decoupled(coefficient: 0.1))
        let before = layer.weight.value
        for _ in 0..<20 {
            adam.zeroGradients()
            _ = layer.backward(meanSquaredError(predictions: layer.forward(x, training: true), targets: target).gradient)
            // Also pollute masked gradient entries: Adam alone must still keep them at zero.
            for k in 0..<30 where mask.storage[k] == 0 { layer.weight.gradient.storage[k] = 1 }
            adam.step()
        }
        for k in 0..<30 {
            if mask.storage[k] == 0 { #expect(layer.weight.value.storage[k] == 0) }
            else { #expect(layer.weight.value.storage[k] != before.storage[k]) }
        }
        for k in 0..<30 where mask.storage[k] == 0 {
            #expect(adam.state.firstMoments[0][k] == 0 && adam.state.secondMoments[0][k] == 0)
        }
    }

    @Test func restoredStateContinuesBitIdentically() throws {
        func makeModel() throws -> (MLP, Adam) {
            var rng = Xoshiro256(seed: 3)
            let mlp = try MLP(inputs: 4, hidden: [16], outputs: 2, activation: .leakyReLU(slope: 0.01), rng: &rng)
            return (mlp, try Adam(parameters: mlp.parameters, learningRate: 1e-2))
        }
        var rng = Xoshiro256(seed: 4)
        let x = Matrix.randomNormal(32, 4, rng: &rng), y = Matrix.randomNormal(32, 2, rng: &rng)
        func train(_ mlp: MLP, _ adam: Adam, steps: Int) {
            for _ in 0..<steps {
                adam.zeroGradients()
                _ = mlp.backward(meanSquaredError(predictions: mlp.forward(x, training: true), targets: y).gradient)
                adam.step()
            }
        }
        let (a, adamA) = try makeModel()
        train(a, adamA, steps: 10)
        // Checkpoint: parameter values and optimizer state as plain arrays.
        let values = a.parameters.map { $0.value.storage }
        let state = adamA.state
        train(a, adamA, steps: 5)

        let (b, adamB) = try makeModel()
        for (p, v) in zip(b.parameters, values) { p.value.storage = v }
        try adamB.restore(AdamState(step: state.step, firstMoments: state.firstMoments, secondMoments: state.secondMoments))
        train(b, adamB, steps: 5)
        #expect(adamB.stepCount == 15)
        for (pa, pb) in zip(a.parameters, b.parameters) { #expect(pa.value.storage == pb.value.storage) }
        #expect(adamA.state == adamB.state)
    }

    @Test func weightDecayVariants() throws {
        // Decoupled: with zero gradient the moments stay 0, so p ← p·(1 − lr·λ) exactly.
        let p = Parameter(name: "p", value: Matrix([[2.0, -4.0]]))
        let adamW = try Adam(parameters: [p], learningRate: 0.1, weightDecay: .decoupled(coefficient: 0.5))
        adamW.step()
        #expect(p.value == Matrix([[Float(2.0) * Float(0.95), Float(-4.0) * Float(0.95)]]))
        // L2: identical to plain Adam on the gradient g + λ·p.
        let q = Parameter(name: "q", value: Matrix([[1.0, -3.0]])), r = Parameter(name: "r", value: Matrix([[1.0, -3.0]]))
        let adamL2 = try Adam(parameters: [q], learningRate: 0.1, weightDecay: .l2(coefficient: 0.2))
        let plain = try Adam(parameters: [r], learningRate: 0.1)
        q.gradient = Matrix([[0.5, 0.25]])
        r.gradient = Matrix([[Float(0.5) + Float(0.2) * 1, Float(0.25) + Float(0.2) * -3]])
        adamL2.step(); plain.step()
        #expect(q.value == r.value)
    }

    @Test func largeParametersUseTheParallelPathWithTheSameResult() throws {
        // 2^19 entries take the chunked parallel path; compare with many small copies (serial path).
        let n = 1 << 19
        var rng = Xoshiro256(seed: 5)
        let big = Parameter(name: "big", value: Matrix.randomNormal(1, n, rng: &rng))
        big.gradient = Matrix.randomNormal(1, n, rng: &rng)
        let pieces = (0..<8).map { i in
            let piece = Parameter(name: "piece\(i)", value: big.value.columns((i * n / 8)..<((i + 1) * n / 8)))
            piece.gradient = big.gradient.columns((i * n / 8)..<((i + 1) * n / 8))
            return piece
        }
        let a = try Adam(parameters: [big], learningRate: 1e-3), b = try Adam(parameters: pieces, learningRate: 1e-3)
        a.step(); b.step(); a.step(); b.step()
        #expect(big.value.storage == pieces.flatMap { $0.value.storage })
    }

    /// `step(gradients:)` updates masked parameters on their live runs after the first step; the
    /// result equals `step()`'s masked update bit for bit (values and moments), on the serial and
    /// the parallel path, with masked gradient entries polluted, and after a restore.
    @Test(arguments: [WeightDecay.none, .l2(coefficient: 0.1), .decoupled(coefficient: 0.01)])
    func liveRunUpdateEqualsTheMaskedUpdate(_ decay: WeightDecay) throws {
        var rng = Xoshiro256(seed: 8)
        func make() -> [Parameter] {
            var r = Xoshiro256(seed: 9)
            let small = Matrix(rows: 6, cols: 5, storage: (0..<30).map { Float($0 % 4 == 0 ? 0 : 1) })
            let large = Matrix(rows: 1200, cols: 500, storage: (0..<600_000).map { Float(($0 % 500) <= ($0 / 500) % 500 ? 1 : 0) })
            return [small, large].enumerated().map { k, mask in
                var value = Matrix.randomNormal(mask.rows, mask.cols, rng: &r)
                for j in 0..<value.count where mask.storage[j] == 0 { value.storage[j] = 0 }
                return Parameter(name: "w\(k)", value: value, mask: mask)
            } + [Parameter(name: "b", value: .randomNormal(1, 7, rng: &r))]
        }
        let a = make(), b = make()
        let adamA = try Adam(parameters: a, learningRate: 1e-2, weightDecay: decay)
        var adamB = try Adam(parameters: b, learningRate: 1e-2, weightDecay: decay)
        let buffer = GradientBuffer(parameters: b)
        for step in 0..<4 {
            for p in a { p.gradient = .randomNormal(p.value.rows, p.value.cols, rng: &rng) }
            buffer.copy(from: a)
            adamA.step()
            adamB.step(gradients: buffer)
            if step == 1 {
                let restored = try Adam(parameters: b, learningRate: 1e-2, weightDecay: decay)
                try restored.restore(adamB.state)
                adamB = restored
            }
            #expect(a.map(\.value) == b.map(\.value), "step \(step + 1)")
            #expect(adamA.state == adamB.state, "step \(step + 1)")
        }
    }

    @Test func invalidSettingsAndStatesThrow() throws {
        let p = Parameter(name: "p", value: Matrix(rows: 2, cols: 2))
        #expect(throws: NNError.self) { try Adam(parameters: [p], learningRate: -1) }
        #expect(throws: NNError.self) { try Adam(parameters: [p], betas: (1.0, 0.999)) }
        #expect(throws: NNError.self) { try Adam(parameters: [p], weightDecay: .l2(coefficient: -1)) }
        let adam = try Adam(parameters: [p])
        #expect(throws: NNError.self) { try adam.restore(AdamState(step: 1, firstMoments: [[0, 0, 0]], secondMoments: [[0, 0, 0]])) }
        #expect(throws: NNError.self) { try adam.restore(AdamState(step: 1, firstMoments: [], secondMoments: [])) }
    }
}

@Suite struct GradientClippingTests {
    @Test func scalesToExactlyMaxNormAndReturnsTheNormBefore() {
        let a = Parameter(name: "a", value: Matrix(rows: 1, cols: 2)), b = Parameter(name: "b", value: Matrix(rows: 2, cols: 1))
        a.gradient = Matrix([[3, 0]]); b.gradient = Matrix([[0], [4]])
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(gradientNorm([a, b]) - 1) < 1e-7)
        #expect(abs(a.gradient[0, 0] - 0.6) < 1e-7 && abs(b.gradient[1, 0] - 0.8) < 1e-7)
    }

    @Test func leavesSmallAndNonFiniteGradientsAlone() {
        var rng = Xoshiro256(seed: 6)
        let p = Parameter(name: "p", value: Matrix(rows: 37, cols: 29))
        p.gradient = Matrix.randomNormal(37, 29, rng: &rng)
        let before = p.gradient
        let expected = before.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let norm = clipGradientNorm([p], maxNorm: expected * 2)
        #expect(abs(norm - expected) < 1e-12 * expected)
        #expect(p.gradient == before)
        p.gradient.storage[3] = .nan
        #expect(clipGradientNorm([p], maxNorm: 1).isNaN)
        #expect(p.gradient.storage[0] == before.storage[0])
    }
}
