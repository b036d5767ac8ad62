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
    /// Worker / BLAS threads used (results are deterministic for a fixed seed and thread count).
    public var threads: Int
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
                appVersion: String, started: String, resumed: Bool = false, extra: [String: String] = [:]) {
        self.command = command
        self.commandLine = commandLine
        self.seed = seed
        self.threads = threads
        self.dataFile = dataFile
        self.appVersion = appVersion
        self.started = started
        self.resumed = resumed
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case command, seed, threads, resumed, extra, started
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
