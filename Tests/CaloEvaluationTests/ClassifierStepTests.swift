import Testing
import Foundation
import CaloEvaluation
import CaloNN
import CaloTensor
import CaloTestSupport

/// The classifier's data-parallel step (`ClassifierStep`): one shard is the step of before, bit
/// for bit; for a given shard count the weights do not depend on the number of worker threads;
/// a different shard count changes only the rounding of the gradient.
@Suite("Classifier step: gradient shards on worker threads")
struct ClassifierStepTests {
    /// Two overlapping Gaussian classes, `rows` x `features`, labels alternating.
    static func data(rows: Int = 203, features: Int = 12) -> (x: Matrix, labels: [Float]) {
        var rng = Xoshiro256(seed: 31)
        var x = Matrix.randomNormal(rows, features, rng: &rng)
        let labels = (0..<rows).map { Float($0 % 2) }
        for r in 0..<rows where labels[r] == 1 { for c in 0..<features { x[r, c] += 0.3 } }
        return (x, labels)
    }

    static func model(seed: UInt64 = 3) throws -> MLP {
        var rng = Xoshiro256(seed: seed)
        return try MLP(inputs: 12, hidden: [32, 24], outputs: 1, activation: .leakyReLU(slope: 0.01), name: "classifier", rng: &rng)
    }

    /// Weights after `steps` steps of batches of 64 (the last batch of 203 rows has 11).
    static func train(shards: Int, threads: Int, steps: Int = 4) throws -> (weights: [[Float]], gradient: [Float], losses: [Double]) {
        let (x, labels) = data()
        let model = try model()
        let step = try ClassifierStep(model: model, adam: try Adam(parameters: model.parameters, learningRate: 1e-2),
                                      shards: shards, threads: threads)
        let order = Array(0..<x.rows).reversed().map { $0 }
        var losses: [Double] = []
        try ComputeThreads.with(blas: shards == 1 ? 2 : 1, workers: threads) {
            for k in 0..<steps {
                let lo = (k * 64) % x.rows
                losses.append(try step.step(x: x, labels: labels, rows: order[lo..<min(x.rows, lo + 64)]))
            }
        }
        let g = step.gradients.total
        return (model.parameters.map(\.value.storage), Array(UnsafeBufferPointer(start: g.base, count: g.layout.count)), losses)
    }

    @Test("one shard is the classifier step of before, bit for bit")
    func oneShardIsTheClassicStep() throws {
        try withTrainingLock {
            let sharded = try Self.train(shards: 1, threads: 2)
            let (x, labels) = Self.data()
            let model = try Self.model()
            let adam = try Adam(parameters: model.parameters, learningRate: 1e-2)
            let order = Array(0..<x.rows).reversed().map { $0 }
            var losses: [Double] = []
            for k in 0..<4 {
                let lo = (k * 64) % x.rows
                let rows = Array(order[lo..<min(x.rows, lo + 64)])
                adam.zeroGradients()
                let (loss, gradient) = binaryCrossEntropyWithLogits(
                    logits: model.forward(x.gatherRows(rows), training: true),
                    targets: Matrix(rows: rows.count, cols: 1, storage: rows.map { labels[$0] }))
                _ = model.backward(gradient)
                adam.step()
                losses.append(loss)
            }
            #expect(sharded.weights == model.parameters.map(\.value.storage))
            #expect(sharded.losses == losses)
        }
    }

    @Test("for a given shard count the weights do not depend on the worker threads", arguments: [2, 3])
    func workerCountDoesNotMatter(shards: Int) throws {
        try withTrainingLock {
            let one = try Self.train(shards: shards, threads: 1)
            let two = try Self.train(shards: shards, threads: 2)
            #expect(one.weights == two.weights)
            #expect(one.losses == two.losses)
        }
    }

    /// Sharding changes only the rounding: the summed gradient of one step agrees with the
    /// one-shard gradient to 1e-5 relative (Float sums of 64 rows differ by a few ulp; the
    /// bound does not depend on one BLAS kernel's rounding), and so does the loss.
    @Test("a sharded step's gradient equals the one-shard gradient to 1e-5 relative", arguments: [2, 3])
    func shardedGradientAgrees(shards: Int) throws {
        try withTrainingLock {
            let one = try Self.train(shards: 1, threads: 2, steps: 1)
            let many = try Self.train(shards: shards, threads: 2, steps: 1)
            var difference = 0.0, norm = 0.0
            for (a, b) in zip(one.gradient, many.gradient) {
                difference += Double(a - b) * Double(a - b)
                norm += Double(a) * Double(a)
            }
            #expect(norm > 0)
            #expect((difference / norm).squareRoot() < 1e-5, "relative difference \((difference / norm).squareRoot())")
            #expect(abs(one.losses[0] - many.losses[0]) < 1e-6 * abs(one.losses[0]))
        }
    }

    @Test("a whole classifier run with 2 shards is the same on 1 and 2 threads")
    func runIsReproducibleAcrossThreads() throws {
        try withTrainingLock {
            var rng = Xoshiro256(seed: 41)
            let reference = Matrix.randomNormal(300, 12, rng: &rng)
            var generated = Matrix.randomNormal(300, 12, rng: &rng)
            for r in 0..<300 { generated[r, 0] += 0.5 }
            var o = ClassifierTrainingOptions()
            o.hidden = [32, 32]; o.batchSize = 64; o.maxEpochs = 3; o.patience = 0; o.shards = 2
            let a = try ClassifierTraining.run(variant: .high, reference: reference, generated: generated, options: o, seed: 9, threads: 1)
            let b = try ClassifierTraining.run(variant: .high, reference: reference, generated: generated, options: o, seed: 9, threads: 2)
            #expect(a.history.map(\.trainLoss) == b.history.map(\.trainLoss))
            #expect(a.history.map(\.validationAUC) == b.history.map(\.validationAUC))
            #expect(a.scores == b.scores)
        }
    }

    @Test("options saved before shards existed decode with 1 shard; shards round-trip")
    func decodesOldOptions() throws {
        var o = ClassifierTrainingOptions()
        o.shards = 3
        let data = try JSONEncoder().encode(o)
        #expect(try JSONDecoder().decode(ClassifierTrainingOptions.self, from: data) == o)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["shards"] = nil
        let old = try JSONDecoder().decode(ClassifierTrainingOptions.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.shards == 1 && old.hidden == o.hidden && old.batchSize == o.batchSize)
    }

    @Test("shard counts outside 1 ... batch size are refused")
    func invalidShards() {
        var o = ClassifierTrainingOptions()
        o.batchSize = 10
        o.shards = 11
        #expect(throws: EvaluationError.self) { try o.validate() }
        o.shards = 0
        #expect(throws: EvaluationError.self) { try o.validate() }
    }
}
