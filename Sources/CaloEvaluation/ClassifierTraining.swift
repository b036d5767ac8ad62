import Glibc
import CaloTensor
import CaloNN

// MARK: - Options

/// Hyperparameters of the classifier test. Defaults: CaloFlow's DNN (method §6.1) — 3 hidden
/// layers of 512, LeakyReLU(0.01), no dropout, BCE with logits, Adam lr 1e-3, batch 1000 — with
/// at most 50 epochs instead of 150 and early stopping (the CPU budget; the best epoch by
/// validation accuracy is kept either way, as in CaloFlow).
public struct ClassifierTrainingOptions: Sendable, Equatable, Codable {
    public var hidden: [Int] = [512, 512, 512]
    public var leakySlope: Float = 0.01
    public var learningRate: Double = 1e-3
    public var batchSize: Int = 1000
    /// Upper limit of training epochs.
    public var maxEpochs: Int = 50
    /// Stop when the validation accuracy has not improved for this many epochs (0 = never).
    public var patience: Int = 8
    /// Fractions of each class for training and validation; the rest is the test set.
    public var trainFraction: Double = 0.6
    public var validationFraction: Double = 0.2
    /// Standardize inputs with the training-set mean and standard deviation.
    public var standardize: Bool = true
    /// Gradient shards per step (`ClassifierStep`): each batch is cut into this many parts,
    /// computed by one worker thread each with one BLAS thread and summed in a fixed order. The
    /// result depends on the seed and the shard count, not on the number of threads; 1 is the
    /// classifier of before (threaded products).
    public var shards: Int = 1

    public init() {}

    /// Decodes a saved configuration; one written before `shards` existed has 1 shard (the
    /// classifier's training then).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hidden = try c.decode([Int].self, forKey: .hidden)
        leakySlope = try c.decode(Float.self, forKey: .leakySlope)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        maxEpochs = try c.decode(Int.self, forKey: .maxEpochs)
        patience = try c.decode(Int.self, forKey: .patience)
        trainFraction = try c.decode(Double.self, forKey: .trainFraction)
        validationFraction = try c.decode(Double.self, forKey: .validationFraction)
        standardize = try c.decode(Bool.self, forKey: .standardize)
        shards = try c.decodeIfPresent(Int.self, forKey: .shards) ?? 1
    }

    /// Throws for values a user could pass that make no sense.
    public func validate() throws {
        guard !hidden.isEmpty, hidden.allSatisfy({ $0 > 0 }) else { throw EvaluationError("classifier hidden widths must be positive") }
        guard learningRate > 0, learningRate.isFinite else { throw EvaluationError("classifier learning rate must be positive, got \(learningRate)") }
        guard batchSize >= 1 else { throw EvaluationError("classifier batch size must be >= 1, got \(batchSize)") }
        guard shards >= 1, shards <= batchSize else {
            throw EvaluationError("classifier gradient shards must be between 1 and the batch size \(batchSize), got \(shards)")
        }
        guard maxEpochs >= 1 else { throw EvaluationError("classifier epochs must be >= 1, got \(maxEpochs)") }
        guard patience >= 0 else { throw EvaluationError("classifier patience must be >= 0, got \(patience)") }
        guard trainFraction > 0, validationFraction > 0, trainFraction + validationFraction < 1 else {
            throw EvaluationError("classifier split fractions \(trainFraction)/\(validationFraction) leave no test set")
        }
    }
}

// MARK: - Results

/// One training epoch: mean training loss and the validation-set numbers after it.
public struct ClassifierEpoch: Sendable, Equatable, Codable {
    /// 1-based epoch number.
    public let epoch: Int
    /// Mean BCE-with-logits over the training batches of the epoch (weighted by batch size).
    public let trainLoss: Double
    /// BCE-with-logits on the validation set after the epoch.
    public let validationLoss: Double
    public let validationAccuracy: Double
    public let validationAUC: Double
    /// Wall time of the epoch including validation, seconds.
    public let seconds: Double
}

/// The outcome of one classifier training and test.
public struct ClassifierRun: Sendable, Equatable, Codable {
    public let variant: ClassifierVariant
    /// Seed of the split, initialisation and batch order.
    public let seed: UInt64
    /// Showers per class in the split, e.g. ["train": 600, "validation": 200, "test": 200] ×2.
    public let trainCount: Int
    public let validationCount: Int
    public let testCount: Int
    /// Per-epoch history, in order.
    public let history: [ClassifierEpoch]
    /// Epoch (1-based) whose weights were kept: best validation accuracy.
    public let bestEpoch: Int
    /// Why training ended: "max epochs", "patience", "validation accuracy 1".
    public let stopReason: String
    /// Final numbers on the held-out test set (calibrated on the validation set).
    public let scores: ClassifierScores
    /// Wall time, seconds.
    public let seconds: Double
}

// MARK: - Training

/// Trains and scores the CaloFlow DNN classifier: reference (label 1) vs generated (label 0).
public enum ClassifierTraining {
    /// Splits each class 60/20/20 (seeded), standardizes with training constants, trains the
    /// MLP with Adam, keeps the epoch with the best validation accuracy (stopping early after
    /// `patience` epochs without improvement or at validation accuracy 1), fits the isotonic
    /// calibration on the validation set and scores the test set.
    ///
    /// - Parameters:
    ///   - reference, generated: input matrices [N_ref, F] and [N_gen, F] of the variant.
    ///   - seed: seeds the split (streams 0-4 of it), the initial weights and the batch order.
    ///   - threads: worker threads for the gradient shards (`options.shards` > 1); the result
    ///     does not depend on it.
    ///   - onEpoch: called after every epoch (logging).
    /// - Throws: `EvaluationError` for invalid options, mismatched widths, a class with too few
    ///   samples for the split, or a non-finite training loss.
    public static func run(variant: ClassifierVariant, reference: Matrix, generated: Matrix,
                           options: ClassifierTrainingOptions = ClassifierTrainingOptions(), seed: UInt64,
                           threads: Int = Parallel.maxWorkers, onEpoch: (ClassifierEpoch) -> Void = { _ in }) throws -> ClassifierRun {
        try options.validate()
        guard reference.cols == generated.cols, reference.cols > 0 else {
            throw EvaluationError("classifier: reference has \(reference.cols) features, generated \(generated.cols)")
        }
        let start = monotonicNow()
        let sets = try ClassifierDataSets(reference: reference, generated: generated, train: options.trainFraction,
                                          validation: options.validationFraction, seed: seed)
        for (name, s) in [("training", sets.train), ("validation", sets.validation), ("test", sets.test)] {
            let positives = s.labels.reduce(0) { $0 + Int($1) }
            guard positives > 0, positives < s.count else {
                throw EvaluationError("classifier: the \(name) set needs showers of both classes (reference \(reference.rows), generated \(generated.rows) are too few)")
            }
        }
        let standardizer = options.standardize ? ClassifierStandardizer(fitting: sets.train.inputs) : nil
        let trainX = standardizer?.apply(sets.train.inputs) ?? sets.train.inputs
        let validationX = standardizer?.apply(sets.validation.inputs) ?? sets.validation.inputs
        let testX = standardizer?.apply(sets.test.inputs) ?? sets.test.inputs

        var initRNG = Xoshiro256(seed: seed, stream: 10)
        let model = try MLP(inputs: reference.cols, hidden: options.hidden, outputs: 1,
                            activation: .leakyReLU(slope: options.leakySlope), name: "classifier", rng: &initRNG)
        let adam = try Adam(parameters: model.parameters, learningRate: options.learningRate)
        let step = try ClassifierStep(model: model, adam: adam, shards: options.shards, threads: threads)
        var orderRNG = Xoshiro256(seed: seed, stream: 11)

        var history: [ClassifierEpoch] = []
        var best: (epoch: Int, accuracy: Double, weights: [Matrix])? = nil
        var stopReason = "max epochs"
        for epoch in 1...options.maxEpochs {
            let t0 = monotonicNow()
            let loss = try trainEpoch(step, x: trainX, labels: sets.train.labels, batchSize: options.batchSize,
                                      threads: threads, rng: &orderRNG)
            let logits = predictLogits(model, validationX)
            let validationLoss = meanBCE(logits: logits, labels: sets.validation.labels)
            let probabilities = logits.map(sigmoid)
            let accuracy = try ClassifierMetrics.accuracy(scores: probabilities, labels: sets.validation.labels)
            let auc = try ROC.auc(scores: logits, labels: sets.validation.labels)
            let record = ClassifierEpoch(epoch: epoch, trainLoss: loss, validationLoss: validationLoss,
                                         validationAccuracy: accuracy, validationAUC: auc, seconds: monotonicNow() - t0)
            history.append(record)
            onEpoch(record)
            if best == nil || accuracy > best!.accuracy {
                best = (epoch, accuracy, model.parameters.map(\.value))
            }
            if accuracy >= 1 { stopReason = "validation accuracy 1"; break }
            if options.patience > 0, epoch - best!.epoch >= options.patience { stopReason = "patience"; break }
        }
        for (p, w) in zip(model.parameters, best!.weights) { p.value = w }

        let validationScores = predictLogits(model, validationX).map(sigmoid)
        let testScores = predictLogits(model, testX).map(sigmoid)
        let scores = try ClassifierMetrics.evaluate(calibrationScores: validationScores, calibrationLabels: sets.validation.labels,
                                                    finalScores: testScores, finalLabels: sets.test.labels)
        return ClassifierRun(variant: variant, seed: seed, trainCount: sets.train.count, validationCount: sets.validation.count,
                             testCount: sets.test.count, history: history, bestEpoch: best!.epoch, stopReason: stopReason,
                             scores: scores, seconds: monotonicNow() - start)
    }

    // MARK: - Steps

    /// One pass over the training rows in a fresh random order; returns the mean loss. With
    /// several shards OpenBLAS runs on one thread for the epoch (the workers' setting; switching
    /// its pool every step would cost), with one as the caller set it.
    static func trainEpoch(_ step: ClassifierStep, x: Matrix, labels: [Float], batchSize: Int, threads: Int,
                           rng: inout Xoshiro256) throws -> Double {
        let order = rng.permutation(x.rows)
        func pass() throws -> Double {
            var total = 0.0
            var start = 0
            while start < order.count {
                let rows = order[start..<min(order.count, start + batchSize)]
                total += try step.step(x: x, labels: labels, rows: rows) * Double(rows.count)
                start += batchSize
            }
            return total / Double(max(1, order.count))
        }
        return step.gradients.isDirect ? try pass() : try ComputeThreads.with(blas: 1, workers: threads, pass)
    }

    /// Logits of every row of `x`, evaluated in chunks of 4096 rows (bounded memory).
    public static func predictLogits(_ model: MLP, _ x: Matrix) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(x.rows)
        var start = 0
        while start < x.rows {
            let y = model(x.rows(start..<min(x.rows, start + 4096)))
            out.append(contentsOf: y.storage.map { Double($0) })
            start += 4096
        }
        return out
    }

    /// Mean BCE-with-logits, stable form max(x,0) − x·t + log1p(e^−|x|).
    static func meanBCE(logits: [Double], labels: [Float]) -> Double {
        var s = 0.0
        for (x, t) in zip(logits, labels) { s += max(x, 0) - x * Double(t) + log1p(exp(-abs(x))) }
        return s / Double(max(1, logits.count))
    }

    static func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }

    static func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
