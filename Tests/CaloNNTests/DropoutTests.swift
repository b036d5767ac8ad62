import Testing
import CaloNN
import CaloTensor

@Suite struct DropoutTests {
    @Test(arguments: [0.05, 0.3, 0.5])
    func keepsTheExpectedFractionAndScalesSurvivors(_ p: Double) throws {
        let dropout = try Dropout(p, generator: Xoshiro256(seed: 1))
        let x = Matrix(rows: 200, cols: 500, repeating: 2)
        let y = dropout.forward(x, training: true)
        let n = Double(x.count)
        let kept = y.storage.filter { $0 != 0 }
        // Binomial standard deviation of the kept fraction; allow 5 sigma.
        let sigma = (p * (1 - p) / n).squareRoot()
        #expect(abs(Double(kept.count) / n - (1 - p)) < 5 * sigma)
        let scaled = Float(2 / (1 - p))
        #expect(kept.allSatisfy { $0 == scaled })
        // Backward routes the gradient through the same mask and scale.
        let g = dropout.backward(Matrix(rows: 200, cols: 500, repeating: 1))
        for k in 0..<x.count { #expect(g.storage[k] == y.storage[k] / 2) }
    }

    @Test func isTheIdentityInEvaluationMode() throws {
        let dropout = try Dropout(0.5, generator: Xoshiro256(seed: 2))
        var rng = Xoshiro256(seed: 3)
        let x = Matrix.randomNormal(10, 7, rng: &rng)
        #expect(dropout.forward(x, training: false) == x)
        #expect(dropout.backward(x) == x)
        let before = dropout.generator
        _ = dropout.forward(x, training: false)
        #expect(dropout.generator == before, "evaluation mode must not consume random numbers")
    }

    @Test func sameGeneratorStateGivesTheSameMask() throws {
        let a = try Dropout(0.3, generator: Xoshiro256(seed: 4)), b = try Dropout(0.3, generator: Xoshiro256(seed: 4))
        let x = Matrix(rows: 8, cols: 9, repeating: 1)
        #expect(a.forward(x, training: true) == b.forward(x, training: true))
        let saved = a.generator.stateWords
        let next = a.forward(x, training: true)
        b.generator = Xoshiro256(stateWords: saved)
        #expect(b.forward(x, training: true) == next)
    }

    @Test func rejectsInvalidProbabilities() {
        #expect(throws: NNError.self) { try Dropout(1, generator: Xoshiro256(seed: 0)) }
        #expect(throws: NNError.self) { try Dropout(-0.1, generator: Xoshiro256(seed: 0)) }
        var r = Xoshiro256(seed: 0)
        #expect(throws: NNError.self) { try MLP(inputs: 2, hidden: [0], outputs: 1, rng: &r) }
    }
}
