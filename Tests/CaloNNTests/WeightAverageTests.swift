import CaloNN
import CaloTensor
import Testing

/// `WeightAverage`: the moving average follows its formula step by step (warm-up included),
/// swaps in and out without changing either set of values, keeps masked entries at 0 and
/// refuses a saved average of another shape.
@Suite("WeightAverage: exponential moving average of the weights")
struct WeightAverageTests {
    func parameters() -> [Parameter] {
        [Parameter(name: "w", value: Matrix(rows: 2, cols: 2, storage: [1, -2, 3, 0]),
                   mask: Matrix(rows: 2, cols: 2, storage: [1, 1, 1, 0])),
         Parameter(name: "b", value: Matrix(rows: 1, cols: 3, storage: [0.5, 0.25, -1]))]
    }

    @Test("the decay warms up as min(d, (1 + t) / (10 + t))")
    func decaySchedule() {
        let a = WeightAverage(parameters: parameters(), decay: 0.99)
        #expect(a.decay(afterStep: 1) == 2.0 / 11.0)
        #expect(a.decay(afterStep: 90) == 91.0 / 100.0)
        #expect(a.decay(afterStep: 10_000) == 0.99)
        #expect(WeightAverage(parameters: parameters(), decay: 0).decay(afterStep: 5) == 0)
    }

    @Test("update: a <- d_t a + (1 - d_t) theta after every step, against a Double reference")
    func updateFollowsTheFormula() {
        let p = parameters()
        let a = WeightAverage(parameters: p, decay: 0.9)
        var reference = p.map { $0.value.storage.map(Double.init) }
        var rng = Xoshiro256(seed: 3)
        for t in 1...40 {
            for q in p {
                for k in 0..<q.value.count where q.mask?.storage[k] != 0 { q.value.storage[k] += Float(rng.uniform() - 0.5) }
            }
            a.update(from: p, step: t)
            let d = min(0.9, (1 + Double(t)) / (10 + Double(t)))
            for i in p.indices {
                for k in reference[i].indices { reference[i][k] = d * reference[i][k] + (1 - d) * Double(p[i].value.storage[k]) }
            }
        }
        for i in p.indices {
            for k in reference[i].indices {
                #expect(abs(Double(a.values[i].storage[k]) - reference[i][k]) <= 1e-5 * max(1, abs(reference[i][k])),
                        "\(p[i].name)[\(k)]: \(a.values[i].storage[k]) vs \(reference[i][k])")
            }
        }
        #expect(a.values[0].storage[3] == 0, "a masked entry stays exactly 0")
    }

    @Test("exchange swaps the average in and back out; withAveragedWeights restores after a throw")
    func exchange() throws {
        let p = parameters()
        let a = WeightAverage(parameters: p, decay: 0.5)
        let training = p.map(\.value.storage)
        for q in p { q.value.storage = q.value.storage.map { $0 + 1 } }
        a.update(from: p, step: 1000)   // d = 0.5: average = theta0 + 0.5
        let average = a.values.map(\.storage)
        #expect(average[1] == [1.0, 0.75, -0.5])
        let moved = p.map(\.value.storage)
        #expect(moved != training)
        a.withAveragedWeights(in: p) { #expect(p.map(\.value.storage) == average) }
        #expect(p.map(\.value.storage) == moved && a.values.map(\.storage) == average)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try a.withAveragedWeights(in: p) { throw Boom() } }
        #expect(p.map(\.value.storage) == moved, "the training weights are back after a throw")
    }

    @Test("restore takes a saved average of the same shapes and refuses others")
    func restore() throws {
        let p = parameters()
        let a = WeightAverage(parameters: p, decay: 0.9)
        let saved = [Matrix(rows: 2, cols: 2, storage: [4, 3, 2, 0]), Matrix(rows: 1, cols: 3, storage: [7, 8, 9])]
        try a.restore(saved)
        #expect(a.values.map(\.storage) == saved.map(\.storage))
        #expect(throws: NNError.self) { try a.restore([saved[0]]) }
        #expect(throws: NNError.self) { try a.restore([saved[0], Matrix(rows: 3, cols: 1, storage: [1, 2, 3])]) }
        #expect(a.values.map(\.storage) == saved.map(\.storage), "a refused restore changes nothing")
    }
}
