/// One point of the quality-vs-cost study (issue #16): a configuration trained on one particle,
/// what its training cost in CPU time, and how well the classifier tells its teacher's and its
/// student's showers from the reference. One JSON line of a results file
/// (`scripts/study/run-point.sh` appends it through `caloflow study-record`); keys are snake_case.
public struct QualityStudyPoint: Sendable, Equatable, Codable {
    /// Mean, sample standard deviation and number of classifier runs of a score.
    public struct Score: Sendable, Equatable, Codable {
        public var mean: Double
        public var std: Double
        public var runs: Int

        public init(mean: Double, std: Double, runs: Int) { self.mean = mean; self.std = std; self.runs = runs }
        public init(_ m: MeanAndSpread) { self.init(mean: m.mean, std: m.standardDeviation, runs: m.count) }
    }

    /// CPU time (user + system of the stage's processes) and wall time of one stage, summed
    /// over its attempts (an interrupted stage resumed later has several).
    public struct StageTime: Sendable, Equatable, Codable {
        public var cpuSeconds: Double
        public var wallSeconds: Double
        public var attempts: Int

        public init(cpuSeconds: Double, wallSeconds: Double, attempts: Int) {
            self.cpuSeconds = cpuSeconds; self.wallSeconds = wallSeconds; self.attempts = attempts
        }

        enum CodingKeys: String, CodingKey {
            case attempts
            case cpuSeconds = "cpu_seconds"
            case wallSeconds = "wall_seconds"
        }
    }

    /// The teacher's or the student's side of the point.
    public struct Flow: Sendable, Equatable, Codable {
        /// Training CPU time up to this flow, hours: Flow I + teacher for the teacher, Flow I +
        /// teacher + distillation for the student.
        public var trainingCpuHours: Double
        public var trainingWallHours: Double
        /// The teacher's best mean validation log-likelihood per shower (nats).
        public var validationLogLikelihood: Double?
        /// The student's lowest validation KL(student || teacher) per shower (nats).
        public var kl: Double?
        /// Epochs trained and the epoch kept.
        public var epochs: Int?
        public var bestEpoch: Int?
        /// Classifier AUC and JSD by variant ("low", "low-normalized", "high").
        public var auc: [String: Score]
        public var jsd: [String: Score]
        /// The generated file evaluated.
        public var generated: String

        public init(trainingCpuHours: Double, trainingWallHours: Double, validationLogLikelihood: Double? = nil, kl: Double? = nil,
                    epochs: Int? = nil, bestEpoch: Int? = nil, auc: [String: Score], jsd: [String: Score], generated: String) {
            self.trainingCpuHours = trainingCpuHours; self.trainingWallHours = trainingWallHours
            self.validationLogLikelihood = validationLogLikelihood; self.kl = kl; self.epochs = epochs; self.bestEpoch = bestEpoch
            self.auc = auc; self.jsd = jsd; self.generated = generated
        }

        enum CodingKeys: String, CodingKey {
            case kl, epochs, auc, jsd, generated
            case trainingCpuHours = "training_cpu_hours"
            case trainingWallHours = "training_wall_hours"
            case validationLogLikelihood = "validation_log_likelihood"
            case bestEpoch = "best_epoch"
        }
    }

    /// Seeds of every random step, as recorded in the files and run the point produced.
    public struct Seeds: Sendable, Equatable, Codable {
        public var trainingData: UInt64?
        public var referenceData: UInt64?
        public var training: UInt64?
        public var generation: UInt64?
        public var evaluation: UInt64

        public init(trainingData: UInt64?, referenceData: UInt64?, training: UInt64?, generation: UInt64?, evaluation: UInt64) {
            self.trainingData = trainingData; self.referenceData = referenceData; self.training = training
            self.generation = generation; self.evaluation = evaluation
        }

        enum CodingKeys: String, CodingKey {
            case training, generation, evaluation
            case trainingData = "training_data"
            case referenceData = "reference_data"
        }
    }

    /// Layout version of the record.
    public var schema: Int = 1
    public var particle: String
    /// The point's name, unique per particle within a results file.
    public var label: String
    /// The configuration file and the SHA-256 of its bytes.
    public var config: String
    public var configSha256: String
    /// Source revision (e.g. `git describe --always --dirty`) and caloflow version.
    public var commit: String
    public var caloflowVersion: String
    /// UTC time the point was recorded, ISO 8601.
    public var recordedAt: String
    /// Threads of the training commands; the machine's CPU model and online cores.
    public var threads: Int
    public var cpu: String
    public var cores: Int
    public var seeds: Seeds
    /// Showers in the training file, in the reference file and used per sample by the evaluation.
    public var trainingEvents: Int
    public var referenceEvents: Int
    public var evaluatedEvents: Int
    public var classifierRuns: Int
    /// Per stage ("simulate_training", "simulate_reference", "flow1", "teacher", "student",
    /// "generate_teacher", "generate_student", "evaluate"): CPU and wall time.
    public var stages: [String: StageTime]
    /// False when a stage was interrupted in a way whose CPU time could not be recorded (the
    /// harness killed with SIGKILL): the CPU hours are then a lower bound.
    public var cpuTimeComplete: Bool
    public var teacher: Flow
    public var student: Flow
    /// The evaluation report and the command that reproduces the point.
    public var report: String
    public var command: String

    public init(particle: String, label: String, config: String, configSha256: String, commit: String, caloflowVersion: String,
                recordedAt: String, threads: Int, cpu: String, cores: Int, seeds: Seeds, trainingEvents: Int, referenceEvents: Int,
                evaluatedEvents: Int, classifierRuns: Int, stages: [String: StageTime], cpuTimeComplete: Bool, teacher: Flow,
                student: Flow, report: String, command: String) {
        self.particle = particle; self.label = label; self.config = config; self.configSha256 = configSha256
        self.commit = commit; self.caloflowVersion = caloflowVersion; self.recordedAt = recordedAt; self.threads = threads
        self.cpu = cpu; self.cores = cores; self.seeds = seeds; self.trainingEvents = trainingEvents
        self.referenceEvents = referenceEvents; self.evaluatedEvents = evaluatedEvents; self.classifierRuns = classifierRuns
        self.stages = stages; self.cpuTimeComplete = cpuTimeComplete; self.teacher = teacher; self.student = student
        self.report = report; self.command = command
    }

    enum CodingKeys: String, CodingKey {
        case schema, particle, label, config, commit, threads, cpu, cores, seeds, stages, teacher, student, report, command
        case configSha256 = "config_sha256"
        case caloflowVersion = "caloflow_version"
        case recordedAt = "recorded_at"
        case trainingEvents = "training_events"
        case referenceEvents = "reference_events"
        case evaluatedEvents = "evaluated_events"
        case classifierRuns = "classifier_runs"
        case cpuTimeComplete = "cpu_time_complete"
    }

    /// Checks what the figure and table rely on.
    /// - Throws: `EvaluationError` naming the field.
    public func validate() throws {
        guard schema == 1 else { throw EvaluationError("schema \(schema) is not supported (this caloflow reads schema 1)") }
        guard !particle.isEmpty else { throw EvaluationError("particle is empty") }
        guard !label.isEmpty else { throw EvaluationError("label is empty") }
        for (name, flow) in [("teacher", teacher), ("student", student)] {
            guard flow.trainingCpuHours.isFinite, flow.trainingCpuHours > 0 else {
                throw EvaluationError("\(name).training_cpu_hours must be a positive number, got \(flow.trainingCpuHours)")
            }
            for (variant, s) in flow.auc {
                guard s.mean.isFinite, s.mean >= 0, s.mean <= 1, s.std.isFinite, s.std >= 0, s.runs >= 1 else {
                    throw EvaluationError("\(name).auc.\(variant) must have a mean in [0, 1], a std >= 0 and runs >= 1")
                }
            }
        }
        guard student.trainingCpuHours >= teacher.trainingCpuHours else {
            throw EvaluationError("student.training_cpu_hours (\(student.trainingCpuHours)) is below the teacher's (\(teacher.trainingCpuHours)); it includes the teacher's")
        }
    }
}
