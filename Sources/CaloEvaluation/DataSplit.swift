import CaloTensor

/// A seeded random partition of 0..<count into train / validation / test index sets.
///
/// Roles (to avoid the naming clash of the sources): `validation` selects the best epoch and
/// fits the isotonic calibration — CaloFlow's and CaloChallenge's "test" set; `test` gives the
/// final reported scores — their "val" set. Default fractions 60/20/20 (CaloChallenge).
public struct DataSplit: Sendable, Equatable, Codable {
    public let train: [Int]
    public let validation: [Int]
    public let test: [Int]

    /// Shuffles 0..<count with `Xoshiro256(seed:stream:)` and cuts it: floor(count·train) for
    /// training, floor(count·validation) for validation, the rest for test. Each part keeps the
    /// shuffled order. Same seed and stream, same split, on every machine.
    ///
    /// Throws if a fraction is negative or not finite, or they sum to more than 1 (+1e-9).
    public init(count: Int, train: Double = 0.6, validation: Double = 0.2, seed: UInt64, stream: UInt64 = 0) throws {
        guard count >= 0 else { throw EvaluationError("DataSplit: count \(count) is negative") }
        guard train >= 0, validation >= 0, train.isFinite, validation.isFinite, train + validation <= 1 + 1e-9 else {
            throw EvaluationError("DataSplit: fractions train \(train), validation \(validation) must be >= 0 and sum to <= 1")
        }
        var rng = Xoshiro256(seed: seed, stream: stream)
        let p = rng.permutation(count)
        let nTrain = min(count, Int((Double(count) * train).rounded(.down)))
        let nVal = min(count - nTrain, Int((Double(count) * validation).rounded(.down)))
        self.train = Array(p[0..<nTrain])
        self.validation = Array(p[nTrain..<(nTrain + nVal)])
        self.test = Array(p[(nTrain + nVal)...])
    }
}

/// Classifier inputs with labels: rows of `inputs` [n, F] and `labels` [n] (1 = reference,
/// 0 = generated, the CaloChallenge convention).
public struct LabelledSet: Sendable, Equatable {
    public var inputs: Matrix
    public var labels: [Float]

    public init(inputs: Matrix, labels: [Float]) {
        self.inputs = inputs
        self.labels = labels
    }

    /// Number of samples.
    public var count: Int { labels.count }

    /// Rows `referenceRows` of `reference` (label 1) and `generatedRows` of `generated`
    /// (label 0), interleaved by a seeded shuffle. Throws if the feature counts differ or an
    /// index is out of range.
    public static func merge(reference: Matrix, referenceRows: [Int], generated: Matrix, generatedRows: [Int],
                             seed: UInt64, stream: UInt64 = 0) throws -> LabelledSet {
        guard reference.cols == generated.cols else {
            throw EvaluationError("LabelledSet.merge: reference has \(reference.cols) features, generated \(generated.cols)")
        }
        if let r = referenceRows.first(where: { $0 < 0 || $0 >= reference.rows }) {
            throw EvaluationError("LabelledSet.merge: reference row \(r) out of range 0..<\(reference.rows)")
        }
        if let r = generatedRows.first(where: { $0 < 0 || $0 >= generated.rows }) {
            throw EvaluationError("LabelledSet.merge: generated row \(r) out of range 0..<\(generated.rows)")
        }
        let all = Matrix.vstack([reference.gatherRows(referenceRows), generated.gatherRows(generatedRows)])
        let labels = [Float](repeating: 1, count: referenceRows.count) + [Float](repeating: 0, count: generatedRows.count)
        var rng = Xoshiro256(seed: seed, stream: stream)
        let p = rng.permutation(labels.count)
        return LabelledSet(inputs: all.gatherRows(p), labels: p.map { labels[$0] })
    }
}

/// The three labelled sets of a classifier test.
public struct ClassifierDataSets: Sendable, Equatable {
    public let train: LabelledSet
    /// Model selection and calibration (CaloFlow/CaloChallenge "test").
    public let validation: LabelledSet
    /// Final scores (CaloFlow/CaloChallenge "val").
    public let test: LabelledSet

    /// Splits each class separately (60/20/20 by default), then merges and shuffles each part,
    /// as CaloChallenge's evaluate.py. `reference` and `generated` are classifier input
    /// matrices [N_ref, F] and [N_gen, F]. Reproducible from `seed`; the two class splits and
    /// the three shuffles use separate streams of it.
    public init(reference: Matrix, generated: Matrix, train: Double = 0.6, validation: Double = 0.2,
                seed: UInt64) throws {
        let rs = try DataSplit(count: reference.rows, train: train, validation: validation, seed: seed, stream: 0)
        let gs = try DataSplit(count: generated.rows, train: train, validation: validation, seed: seed, stream: 1)
        self.train = try LabelledSet.merge(reference: reference, referenceRows: rs.train,
                                           generated: generated, generatedRows: gs.train, seed: seed, stream: 2)
        self.validation = try LabelledSet.merge(reference: reference, referenceRows: rs.validation,
                                                generated: generated, generatedRows: gs.validation, seed: seed, stream: 3)
        self.test = try LabelledSet.merge(reference: reference, referenceRows: rs.test,
                                          generated: generated, generatedRows: gs.test, seed: seed, stream: 4)
    }
}
