/// One epoch of one training stage: a line of metrics.jsonl and an entry of the history kept in
/// `last` checkpoints. JSON keys are snake_case (`train_loss`, `validation_log_likelihood`, ...)
/// so `pandas.read_json(path, lines=True)` gives readable columns; absent optional values are
/// omitted, non-finite numbers are written as "NaN"/"Infinity" (see `RunJSON`).
public struct MetricsRecord: Codable, Sendable, Equatable {
    /// Training stage: "flow1", "teacher", "student", "classifier".
    public var stage: String
    /// Epoch number, counted from 1 (the epoch this record closes).
    public var epoch: Int
    /// Optimizer steps taken so far in this stage, after this epoch.
    public var step: Int
    /// Mean training loss over the epoch (NLL per shower for flows, distillation loss for students).
    public var trainLoss: Double
    /// Mean validation loss, when a validation set is used.
    public var validationLoss: Double?
    /// Mean validation log-likelihood per shower (the flow selection metric), when computed.
    public var validationLogLikelihood: Double?
    /// Learning rate used during the epoch.
    public var learningRate: Double
    /// Wall-clock seconds of the epoch (training plus validation).
    public var seconds: Double
    /// Training throughput: showers per second of training time.
    public var showersPerSecond: Double
    /// Further named numbers (e.g. "max_gradient_norm", "kl"), keys sorted in the output.
    public var extra: [String: Double]

    public init(stage: String, epoch: Int, step: Int = 0, trainLoss: Double, validationLoss: Double? = nil,
                validationLogLikelihood: Double? = nil, learningRate: Double, seconds: Double,
                showersPerSecond: Double, extra: [String: Double] = [:]) {
        self.stage = stage
        self.epoch = epoch
        self.step = step
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.validationLogLikelihood = validationLogLikelihood
        self.learningRate = learningRate
        self.seconds = seconds
        self.showersPerSecond = showersPerSecond
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case stage, epoch, step, extra, seconds
        case trainLoss = "train_loss"
        case validationLoss = "validation_loss"
        case validationLogLikelihood = "validation_log_likelihood"
        case learningRate = "learning_rate"
        case showersPerSecond = "showers_per_second"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stage = try c.decode(String.self, forKey: .stage)
        epoch = try c.decode(Int.self, forKey: .epoch)
        step = try c.decodeIfPresent(Int.self, forKey: .step) ?? 0
        trainLoss = try c.decode(Double.self, forKey: .trainLoss)
        validationLoss = try c.decodeIfPresent(Double.self, forKey: .validationLoss)
        validationLogLikelihood = try c.decodeIfPresent(Double.self, forKey: .validationLogLikelihood)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds) ?? 0
        showersPerSecond = try c.decodeIfPresent(Double.self, forKey: .showersPerSecond) ?? 0
        extra = try c.decodeIfPresent([String: Double].self, forKey: .extra) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stage, forKey: .stage)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(step, forKey: .step)
        try c.encode(trainLoss, forKey: .trainLoss)
        try c.encodeIfPresent(validationLoss, forKey: .validationLoss)
        try c.encodeIfPresent(validationLogLikelihood, forKey: .validationLogLikelihood)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(showersPerSecond, forKey: .showersPerSecond)
        if !extra.isEmpty { try c.encode(extra, forKey: .extra) }
    }
}
