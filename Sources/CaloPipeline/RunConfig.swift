import CaloNN

/// How one flow is trained (Flow I or the teacher). JSON keys: `epochs`, `batchSize`,
/// `schedule` (CaloNN `LearningRateSchedule`, which holds the learning rate), `scheduleUnit`
/// ("epoch" or "step"), `validationFraction`, `earlyStoppingPatience` (0 = off),
/// `gradientClipNorm` (0 = off), `maxEvents` (0 = all), `noise` (voxel noise on/off), `emaDecay`
/// (0 = off: validation and the best checkpoint use an exponential moving average of the weights
/// with this decay per optimizer step, `WeightAverage`).
public struct TrainingSettings: Codable, Sendable, Equatable {
    public enum ScheduleUnit: String, Codable, Sendable { case epoch, step }

    public var epochs: Int
    public var batchSize: Int
    public var schedule: LearningRateSchedule
    public var scheduleUnit: ScheduleUnit
    public var validationFraction: Double
    public var earlyStoppingPatience: Int
    public var gradientClipNorm: Double
    public var maxEvents: Int
    public var noise: Bool
    public var emaDecay: Double

    public init(epochs: Int, batchSize: Int, schedule: LearningRateSchedule, scheduleUnit: ScheduleUnit = .epoch,
                validationFraction: Double = 0.2, earlyStoppingPatience: Int = 0, gradientClipNorm: Double = 0,
                maxEvents: Int = 0, noise: Bool = true, emaDecay: Double = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.schedule = schedule
        self.scheduleUnit = scheduleUnit
        self.validationFraction = validationFraction
        self.earlyStoppingPatience = earlyStoppingPatience
        self.gradientClipNorm = gradientClipNorm
        self.maxEvents = maxEvents
        self.noise = noise
        self.emaDecay = emaDecay
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, batchSize, schedule, scheduleUnit, validationFraction, earlyStoppingPatience, gradientClipNorm, maxEvents, noise, emaDecay
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        schedule = try c.decode(LearningRateSchedule.self, forKey: .schedule)
        scheduleUnit = try c.decodeIfPresent(ScheduleUnit.self, forKey: .scheduleUnit) ?? .epoch
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0.2
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience) ?? 0
        gradientClipNorm = try c.decodeIfPresent(Double.self, forKey: .gradientClipNorm) ?? 0
        maxEvents = try c.decodeIfPresent(Int.self, forKey: .maxEvents) ?? 0
        noise = try c.decodeIfPresent(Bool.self, forKey: .noise) ?? true
        emaDecay = try c.decodeIfPresent(Double.self, forKey: .emaDecay) ?? 0
        try requireDecay(emaDecay, decoder)
        try require(epochs >= 1 && epochs <= 100_000, decoder, "epochs", "must be in 1...100000, got \(epochs)")
        try require(batchSize >= 1 && batchSize <= 1_000_000, decoder, "batchSize", "must be in 1...1000000, got \(batchSize)")
        try require(validationFraction > 0 && validationFraction < 1, decoder, "validationFraction",
                    "must be in (0, 1), got \(validationFraction)")
        try require(earlyStoppingPatience >= 0, decoder, "earlyStoppingPatience", "must be >= 0 (0 = off), got \(earlyStoppingPatience)")
        try require(gradientClipNorm >= 0 && gradientClipNorm.isFinite, decoder, "gradientClipNorm", "must be >= 0 (0 = off)")
        try require(maxEvents >= 0, decoder, "maxEvents", "must be >= 0 (0 = all), got \(maxEvents)")
    }

    /// The learning rate for an epoch and the global optimizer step.
    public func learningRate(epoch: Int, step: Int) -> Double {
        schedule.learningRate(at: scheduleUnit == .epoch ? epoch : step)
    }
}

/// How the student is distilled from the teacher (CaloFlow II, method section 5).
/// JSON keys: `epochs`, `batchSize`, `schedule`, `scheduleUnit`, `beta` (weight of the
/// data-driven term; L = (1 - beta) L_z + beta L_x), `studentWidth` (latent width of the
/// noise-driven term), `guided` (include intermediate states and MADE outputs), `gradientClipNorm`,
/// `maxEvents`, `validationFraction`, `accumulation` (pairs [fromEpoch, minibatches per optimizer
/// step]; gradients are summed over the accumulated minibatches, as CaloFlow II does with
/// [[0, 2], [10, 4], [40, 8], [70, 16]]; default [[0, 1]]), `emaDecay` (0 = off; as for
/// `TrainingSettings`: the KL validation and the best student use the weights' moving average).
public struct DistillationSettings: Codable, Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var schedule: LearningRateSchedule
    public var scheduleUnit: TrainingSettings.ScheduleUnit
    public var beta: Double
    public var studentWidth: Double
    public var guided: Bool
    public var gradientClipNorm: Double
    public var maxEvents: Int
    public var validationFraction: Double
    public var accumulation: [[Int]]
    public var emaDecay: Double

    public init(epochs: Int, batchSize: Int, schedule: LearningRateSchedule, scheduleUnit: TrainingSettings.ScheduleUnit = .epoch,
                beta: Double = 0.5, studentWidth: Double = 1, guided: Bool = true, gradientClipNorm: Double = 0,
                maxEvents: Int = 0, validationFraction: Double = 0.2, accumulation: [[Int]] = [[0, 1]], emaDecay: Double = 0) {
        self.accumulation = accumulation
        self.emaDecay = emaDecay
        self.epochs = epochs
        self.batchSize = batchSize
        self.schedule = schedule
        self.scheduleUnit = scheduleUnit
        self.beta = beta
        self.studentWidth = studentWidth
        self.guided = guided
        self.gradientClipNorm = gradientClipNorm
        self.maxEvents = maxEvents
        self.validationFraction = validationFraction
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, batchSize, schedule, scheduleUnit, beta, studentWidth, guided, gradientClipNorm, maxEvents, validationFraction, accumulation
        case emaDecay
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        schedule = try c.decode(LearningRateSchedule.self, forKey: .schedule)
        scheduleUnit = try c.decodeIfPresent(TrainingSettings.ScheduleUnit.self, forKey: .scheduleUnit) ?? .epoch
        beta = try c.decodeIfPresent(Double.self, forKey: .beta) ?? 0.5
        studentWidth = try c.decodeIfPresent(Double.self, forKey: .studentWidth) ?? 1
        guided = try c.decodeIfPresent(Bool.self, forKey: .guided) ?? true
        gradientClipNorm = try c.decodeIfPresent(Double.self, forKey: .gradientClipNorm) ?? 0
        maxEvents = try c.decodeIfPresent(Int.self, forKey: .maxEvents) ?? 0
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0.2
        accumulation = try c.decodeIfPresent([[Int]].self, forKey: .accumulation) ?? [[0, 1]]
        emaDecay = try c.decodeIfPresent(Double.self, forKey: .emaDecay) ?? 0
        try requireDecay(emaDecay, decoder)
        try require(accumulation.first?.first == 0 && accumulation.allSatisfy { $0.count == 2 && $0[0] >= 0 && $0[1] >= 1 }
                    && zip(accumulation, accumulation.dropFirst()).allSatisfy { $0[0] < $1[0] },
                    decoder, "accumulation", "must be pairs [fromEpoch, minibatches >= 1] with increasing epochs, the first from epoch 0")
        try require(epochs >= 1 && epochs <= 100_000, decoder, "epochs", "must be in 1...100000, got \(epochs)")
        try require(batchSize >= 1 && batchSize <= 1_000_000, decoder, "batchSize", "must be in 1...1000000, got \(batchSize)")
        try require(beta >= 0 && beta <= 1, decoder, "beta", "must be in [0, 1], got \(beta)")
        try require(studentWidth > 0 && studentWidth.isFinite, decoder, "studentWidth", "must be positive, got \(studentWidth)")
        try require(gradientClipNorm >= 0 && gradientClipNorm.isFinite, decoder, "gradientClipNorm", "must be >= 0 (0 = off)")
        try require(maxEvents >= 0, decoder, "maxEvents", "must be >= 0 (0 = all), got \(maxEvents)")
        try require(validationFraction > 0 && validationFraction < 1, decoder, "validationFraction", "must be in (0, 1)")
    }

    public func learningRate(epoch: Int, step: Int) -> Double {
        schedule.learningRate(at: scheduleUnit == .epoch ? epoch : step)
    }

    /// Minibatches summed per optimizer step in `epoch` (0-based).
    public func accumulationSteps(epoch: Int) -> Int {
        accumulation.last { $0[0] <= epoch }?[1] ?? 1
    }
}

/// One flow's architecture and training recipe.
public struct StageConfig<Settings: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var architecture: FlowArchitecture
    public var training: Settings

    public init(architecture: FlowArchitecture, training: Settings) {
        self.architecture = architecture
        self.training = training
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case architecture, training }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(FlowArchitecture.self, forKey: .architecture)
        training = try c.decode(Settings.self, forKey: .training)
    }
}

/// A whole CaloFlow run configuration (configs/*.json): preprocessing, Flow I, the teacher and
/// the student. Unknown keys anywhere are rejected with their path.
public struct CaloFlowConfig: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var preprocessing: Preprocessing
    public var flowI: StageConfig<TrainingSettings>
    public var teacher: StageConfig<TrainingSettings>
    public var student: StageConfig<DistillationSettings>
    /// Wall-time limits of train-teacher and distill, if any (`TimeLimits`).
    public var timeLimit: TimeLimits?

    public init(name: String, description: String = "", preprocessing: Preprocessing = Preprocessing(),
                flowI: StageConfig<TrainingSettings>, teacher: StageConfig<TrainingSettings>,
                student: StageConfig<DistillationSettings>) {
        self.name = name
        self.description = description
        self.preprocessing = preprocessing
        self.flowI = flowI
        self.teacher = teacher
        self.student = student
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, description, preprocessing, flowI, teacher, student, timeLimit }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        preprocessing = try c.decodeIfPresent(Preprocessing.self, forKey: .preprocessing) ?? Preprocessing()
        flowI = try c.decode(StageConfig<TrainingSettings>.self, forKey: .flowI)
        teacher = try c.decode(StageConfig<TrainingSettings>.self, forKey: .teacher)
        student = try c.decode(StageConfig<DistillationSettings>.self, forKey: .student)
        timeLimit = try c.decodeIfPresent(TimeLimits.self, forKey: .timeLimit)
        try require(student.architecture.blocks == teacher.architecture.blocks, decoder, "student.architecture.blocks",
                    "must equal the teacher's (\(teacher.architecture.blocks)): guided distillation pairs block by block")
    }

    /// Reads and validates a config file; errors name the file and the key path.
    public static func load(path: String) throws -> CaloFlowConfig {
        try RunJSON.read(CaloFlowConfig.self, from: path)
    }
}
