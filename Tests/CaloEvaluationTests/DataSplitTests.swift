import Testing
import CaloTensor
import CaloEvaluation

@Suite struct DataSplitTests {
    @Test func splitIsAPartitionAndReproducible() throws {
        let s = try DataSplit(count: 1000, seed: 42)
        #expect(s.train.count == 600 && s.validation.count == 200 && s.test.count == 200)
        #expect(Set(s.train + s.validation + s.test) == Set(0..<1000))
        #expect(try DataSplit(count: 1000, seed: 42) == s)
        #expect(try DataSplit(count: 1000, seed: 43) != s)
        let odd = try DataSplit(count: 7, train: 0.5, validation: 0.25, seed: 1)
        #expect(odd.train.count == 3 && odd.validation.count == 1 && odd.test.count == 3)
        #expect(throws: EvaluationError.self) { try DataSplit(count: 10, train: 0.9, validation: 0.2, seed: 1) }
        #expect(throws: EvaluationError.self) { try DataSplit(count: 10, train: -0.1, seed: 1) }
    }

    @Test func labelledSetsCarryTheirClass() throws {
        // Feature 0 marks the class (1 = reference), feature 1 the original row.
        let ref = Matrix((0..<50).map { [1, Float($0)] }), gen = Matrix((0..<30).map { [0, Float($0)] })
        let sets = try ClassifierDataSets(reference: ref, generated: gen, seed: 7)
        #expect(sets.train.count == 30 + 18 && sets.validation.count == 10 + 6 && sets.test.count == 10 + 6)
        var seenRef = Set<Int>(), seenGen = Set<Int>()
        for set in [sets.train, sets.validation, sets.test] {
            for r in 0..<set.count {
                #expect(set.inputs[r, 0] == set.labels[r])
                let row = Int(set.inputs[r, 1])
                #expect(set.labels[r] == 1 ? seenRef.insert(row).inserted : seenGen.insert(row).inserted)
            }
        }
        #expect(seenRef == Set(0..<50) && seenGen == Set(0..<30))
        // Shuffled: the labels of the training set are not one block.
        #expect(sets.train.labels != sets.train.labels.sorted() && sets.train.labels != sets.train.labels.sorted(by: >))
        #expect(throws: EvaluationError.self) { try ClassifierDataSets(reference: ref, generated: Matrix(rows: 3, cols: 5), seed: 1) }
    }
}
