import CaloData

/// One command run against a run directory (train-teacher, distill, a resume, ...), as recorded
/// in run.json: enough to reproduce it (seed, threads, data file, exact command line) and to know
/// which build produced the files. JSON keys are snake_case.
public struct RunInvocation: Codable, Sendable, Equatable {
    /// Subcommand, e.g. "train-teacher".
    public var command: String
    /// The full command line as given (argv).
    public var commandLine: [String]
    /// Seed of the run.
    public var seed: UInt64
    /// Worker threads of each process.
    public var threads: Int
    /// Processes of the job (MPI ranks; 1 without mpirun).
    public var processes: Int?
    /// Gradient shards per step of each stage trained (by stage name): with the seed, what fixes
    /// the result, whatever the threads and processes (see `DataParallelGradients`).
    public var gradientShards: [String: Int]?
    /// The schedules a time limit planned for the stages this invocation started (`TrainingBudget`).
    public var schedulePlans: [SchedulePlan]?
    /// Training data file, if any.
    public var dataFile: String?
    /// caloflow version.
    public var appVersion: String
    /// UTC start time (ISO 8601).
    public var started: String
    /// Whether this invocation resumed from a `last` checkpoint.
    public var resumed: Bool
    /// Further facts (e.g. "openblas_core", "build").
    public var extra: [String: String]

    public init(command: String, commandLine: [String], seed: UInt64, threads: Int, dataFile: String? = nil,
                appVersion: String, started: String, resumed: Bool = false, processes: Int? = nil,
                gradientShards: [String: Int]? = nil, extra: [String: String] = [:]) {
        self.command = command
        self.commandLine = commandLine
        self.seed = seed
        self.threads = threads
        self.dataFile = dataFile
        self.appVersion = appVersion
        self.started = started
        self.resumed = resumed
        self.processes = processes
        self.gradientShards = gradientShards
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case command, seed, threads, resumed, extra, started, processes
        case gradientShards = "gradient_shards"
        case schedulePlans = "schedule_plans"
        case commandLine = "command_line"
        case dataFile = "data_file"
        case appVersion = "app_version"
    }
}

/// The content of run.json: the run's geometry (full record; absent in runs made before
/// geometries were recorded, which are CaloGAN runs) and every invocation, oldest first.
struct RunDirectoryRecord: Codable {
    var geometry: CalorimeterGeometry?
    var invocations: [RunInvocation]
}
