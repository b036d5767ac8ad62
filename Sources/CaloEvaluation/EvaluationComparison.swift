/// What is known about the model that made a generated sample, read from its run directory:
/// the teacher's and the student's best validation scores (metrics.jsonl). Every field is
/// optional: a run may hold no student yet, or the sample may come from a checkpoint alone.
public struct ModelTrainingSummary: Sendable, Equatable, Codable {
    /// The run directory (or checkpoint) given for the sample.
    public var model: String
    /// Best mean validation log-likelihood per shower of Flow I and of the teacher (nats), the
    /// epoch it was reached and the epochs trained.
    public var flow1ValidationLogLikelihood: Double?
    public var teacherValidationLogLikelihood: Double?
    public var teacherBestEpoch: Int?
    public var teacherEpochs: Int?
    /// Lowest validation KL(student || teacher) per shower (nats), its epoch and the epochs trained.
    public var studentValidationKL: Double?
    public var studentBestEpoch: Int?
    public var studentEpochs: Int?

    public init(model: String) { self.model = model }
}

/// One generated sample of a multi-sample evaluation.
public struct EvaluationSample: Sendable, Equatable, Codable {
    /// The sample's label (unique within the report), e.g. "teacher" or "student".
    public var label: String
    /// The generated file.
    public var path: String
    /// The flow that made the file when caloflow wrote it ("teacher" or "student", from the
    /// file's generator attribute); nil for other files.
    public var flow: String?
    /// The model's training summary, when a run directory was given for the sample.
    public var training: ModelTrainingSummary?
    /// Every number of this sample against the reference: the same structure (and, for the same
    /// showers, seed and options, the same numbers) as the report.json of a single-file evaluation.
    public var result: EvaluationResult

    public init(label: String, path: String, flow: String? = nil, training: ModelTrainingSummary? = nil,
                result: EvaluationResult) {
        self.label = label; self.path = path; self.flow = flow; self.training = training; self.result = result
    }
}

/// Every number of `caloflow evaluate` with several generated samples (report.json then holds
/// this): one shared reference, the same showers of it, the same classifier seeds and splits for
/// every sample, and one `EvaluationSample` per generated file in the order given.
public struct EvaluationComparisonResult: Sendable, Equatable, Codable {
    /// The reference file, its shower count, particle and generator.
    public var referencePath: String
    public var referenceEventsInFile: Int
    public var referenceParticle: String?
    public var referenceGenerator: String?
    /// Showers used from the reference and from every generated file (the same number for all).
    public var eventsUsed: Int
    public var configuration: EvaluationConfiguration
    public var samples: [EvaluationSample]
    public var appVersion: String
    /// UTC time the evaluation started, ISO 8601.
    public var startedAt: String
    public var threads: Int
    public var commandLine: String
    /// Warnings shown to the user (different particles, different file sizes, ...).
    public var warnings: [String]
    /// Wall times in seconds: "reference", "sample <label>", "report", "total".
    public var timings: [String: Double]
    /// True once every output file was written (the last thing recorded).
    public var complete: Bool = false

    public init(referencePath: String, referenceEventsInFile: Int, referenceParticle: String?, referenceGenerator: String?,
                eventsUsed: Int, configuration: EvaluationConfiguration, samples: [EvaluationSample], appVersion: String,
                startedAt: String, threads: Int, commandLine: String, warnings: [String] = [], timings: [String: Double] = [:]) {
        self.referencePath = referencePath; self.referenceEventsInFile = referenceEventsInFile
        self.referenceParticle = referenceParticle; self.referenceGenerator = referenceGenerator
        self.eventsUsed = eventsUsed; self.configuration = configuration; self.samples = samples
        self.appVersion = appVersion; self.startedAt = startedAt; self.threads = threads
        self.commandLine = commandLine; self.warnings = warnings; self.timings = timings
    }

    /// The sample labelled `label`, if any.
    public func sample(_ label: String) -> EvaluationSample? { samples.first { $0.label == label } }
}
