import Testing
import CaloNN
import CaloTensor
import Foundation

@Suite struct ClassifierTests {
    /// Two Gaussian blobs in 6 dimensions, means ±0.8 along every axis (Bayes accuracy ≈ 97.5%):
    /// the CaloFlow classifier recipe (LeakyReLU 0.01, BCE with logits, Adam lr 1e-3) at small width.
    static func blobs(_ n: Int, seed: UInt64) -> (Matrix, Matrix) {
        var rng = Xoshiro256(seed: seed)
        var x = Matrix.randomNormal(n, 6, rng: &rng)
        var y = Matrix(rows: n, cols: 1)
        for r in 0..<n {
            let label: Float = r % 2 == 0 ? 1 : 0
            y[r, 0] = label
            for c in 0..<6 { x[r, c] += label == 1 ? 0.8 : -0.8 }
        }
        return (x, y)
    }

    @Test func mlpSeparatesTwoGaussianBlobs() throws {
        var rng = Xoshiro256(seed: 1)
        let model = try MLP(inputs: 6, hidden: [32, 32, 32], outputs: 1, activation: .leakyReLU(slope: 0.01),
                            dropout: 0.05, rng: &rng)
        let adam = try Adam(parameters: model.parameters, learningRate: 1e-3)
        let (x, y) = Self.blobs(2000, seed: 2)
        let batch = 200
        var firstLoss = 0.0, lastLoss = 0.0
        for epoch in 0..<15 {
            var epochLoss = 0.0
            for start in stride(from: 0, to: x.rows, by: batch) {
                let xb = x.rows(start..<(start + batch)), yb = y.rows(start..<(start + batch))
                adam.zeroGradients()
                let (loss, g) = binaryCrossEntropyWithLogits(logits: model.forward(xb, training: true), targets: yb)
                _ = model.backward(g)
                adam.step()
                epochLoss += loss / Double(x.rows / batch)
            }
            if epoch == 0 { firstLoss = epochLoss }
            lastLoss = epochLoss
        }
        #expect(lastLoss < firstLoss * 0.5)
        let (tx, ty) = Self.blobs(2000, seed: 3)
        let logits = model(tx)
        var correct = 0
        for r in 0..<tx.rows where (logits[r, 0] > 0) == (ty[r, 0] == 1) { correct += 1 }
        let accuracy = Double(correct) / Double(tx.rows)
        #expect(accuracy > 0.95, "test accuracy \(accuracy)")
    }

    /// A replica computes what its network computes (forward and gradients, bit for bit) over
    /// parameters of its own, named alike; a network with dropout has none.
    @Test func mlpReplicaComputesTheSameOnItsOwnParameters() throws {
        for activation in [Activation.relu, .leakyReLU(slope: 0.01), .sigmoid] {
            var rng = Xoshiro256(seed: 4)
            let model = try MLP(inputs: 6, hidden: [16, 8], outputs: 2, activation: activation, rng: &rng)
            let replica = try model.replica()
            #expect(replica.parameters.map(\.name) == model.parameters.map(\.name))
            #expect(zip(replica.parameters, model.parameters).allSatisfy { $0 !== $1 })
            let (x, _) = Self.blobs(20, seed: 5)
            let g = Matrix.randomNormal(20, 2, rng: &rng)
            #expect(replica.forward(x, training: true) == model.forward(x, training: true))
            #expect(replica.backward(g) == model.backward(g))
            #expect(replica.parameters.map(\.gradient) == model.parameters.map(\.gradient))
            replica.parameters[0].value[0, 0] += 1
            #expect(model.parameters[0].value != replica.parameters[0].value)
        }
        var rng = Xoshiro256(seed: 6)
        let dropout = try MLP(inputs: 6, hidden: [8], outputs: 1, dropout: 0.1, rng: &rng)
        #expect(throws: NNError.self) { try dropout.replica() }
    }
}

@Suite struct ConfigCodingTests {
    @Test func activationAndWeightDecayRoundTripThroughJSON() throws {
        for a in [Activation.relu, .leakyReLU(slope: 0.01), .sigmoid] {
            #expect(try JSONDecoder().decode(Activation.self, from: JSONEncoder().encode(a)) == a)
        }
        for w in [WeightDecay.none, .l2(coefficient: 1e-4), .decoupled(coefficient: 0.01)] {
            #expect(try JSONDecoder().decode(WeightDecay.self, from: JSONEncoder().encode(w)) == w)
        }
        let text = #"{"leakyReLU": {"slope": 0.01}}"#
        #expect(try JSONDecoder().decode(Activation.self, from: Data(text.utf8)) == .leakyReLU(slope: 0.01))
    }
}
