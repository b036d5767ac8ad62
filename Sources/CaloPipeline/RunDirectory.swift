import CaloData
import Glibc

/// A training run's directory, runs/<name>/:
///
///     config.json          the effective config, copied as given (atomic)
///     run.json             {"geometry": {...}, "invocations": [...]}: the showers' geometry (full
///                          binning); per invocation seed, threads, data file, version, command line
///     log.txt              human-readable log, appended line by line
///     metrics.jsonl        one `MetricsRecord` per epoch and stage (see `MetricsLog`)
///     <stage>-best.h5      best checkpoint on validation (stage: flow1, teacher, student)
///     <stage>-last.h5      latest checkpoint with optimizer and training state, for --resume
///
/// A value holding the path; every method does its own I/O. Commands must refuse to start a
/// fresh training in a directory that holds checkpoints unless resuming: `checkCanStart(resume:)`.
public struct RunDirectory: Sendable, Equatable {
    /// Which checkpoint of a stage.
    public enum Slot: String, Sendable, CaseIterable { case best, last }

    /// Directory path as given (no trailing slash).
    public let path: String

    /// Refers to `path` without touching the file system.
    public init(path: String) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.path = p
    }

    /// Creates the directory (and parents) if needed and returns it.
    public static func create(at path: String) throws -> RunDirectory {
        let dir = RunDirectory(path: path)
        do { try FileSystem.createDirectories(dir.path) } catch {
            throw RunDirectoryError.io(path: dir.path, operation: "creating the run directory", detail: "\(error)")
        }
        return dir
    }

    // MARK: - Paths

    public var configPath: String { file("config.json") }
    public var runInfoPath: String { file("run.json") }
    public var logPath: String { file("log.txt") }
    public var metricsPath: String { file("metrics.jsonl") }

    /// `<dir>/<stage>-<slot>.h5`, e.g. runs/x/teacher-best.h5.
    public func checkpointPath(stage: String, _ slot: Slot) -> String { file("\(stage)-\(slot.rawValue).h5") }

    /// `<dir>/<name>`.
    public func file(_ name: String) -> String { path + "/" + name }

    // MARK: - Start and resume checks

    /// File names of the checkpoints present (`*-best.h5`, `*-last.h5`), sorted.
    public func existingCheckpoints() -> [String] {
        fileNames().filter { Self.parseCheckpointName($0) != nil }
    }

    /// Whether any checkpoint is present.
    public var hasCheckpoints: Bool { !existingCheckpoints().isEmpty }

    /// Throws `checkpointsExist` when the directory already holds checkpoints and `resume` is
    /// false, so a new training never overwrites a previous one by accident.
    /// With `stages`, only checkpoints of those stages count (distill may add a student to a
    /// directory holding a teacher).
    public func checkCanStart(resume: Bool, stages: [String]? = nil) throws {
        guard !resume else { return }
        let present = existingCheckpoints().filter { name in
            guard let stages else { return true }
            return stages.contains(Self.parseCheckpointName(name)!.stage)
        }
        if !present.isEmpty { throw RunDirectoryError.checkpointsExist(directory: path, files: present) }
    }

    /// Throws `notARunDirectory` unless `path` is a directory holding the files every run has from
    /// its start: config.json and run.json (written by train-teacher before any training).
    public func requireRunFiles() throws {
        guard FileSystem.isDirectory(path) else {
            throw RunDirectoryError.notARunDirectory(path: path, detail: FileSystem.exists(path) ? "it is not a directory" : "it does not exist")
        }
        let missing = [configPath, runInfoPath].filter { !FileSystem.exists($0) }
        guard missing.isEmpty else {
            let names = missing.map { String($0.split(separator: "/").last!) }
            throw RunDirectoryError.notARunDirectory(path: path, detail: "\(names.joined(separator: " and ")) missing "
                                                     + "(a run directory is made by 'caloflow train-teacher --run')")
        }
    }

    /// The `last` checkpoint of `stage` to resume from; throws `nothingToResume` when absent.
    public func resumeCheckpoint(stage: String) throws -> String {
        let p = checkpointPath(stage: stage, .last)
        guard FileSystem.exists(p) else { throw RunDirectoryError.nothingToResume(directory: path, expected: "\(stage)-last.h5") }
        return p
    }

    // MARK: - Writing

    /// Copies the effective config text into config.json atomically, unchanged (it must be valid JSON).
    public func writeConfig(jsonText: String) throws {
        guard RunJSON.isValid(jsonText) else { throw RunDirectoryError.invalidJSON(path: configPath, detail: "the config to copy is not valid JSON") }
        try RunJSON.writeText(jsonText.hasSuffix("\n") ? jsonText : jsonText + "\n", to: configPath)
    }

    /// Writes `config` to config.json as pretty, key-sorted JSON (atomically).
    public func writeConfig<T: Encodable>(_ config: T) throws { try RunJSON.write(config, to: configPath) }

    /// Appends `invocation` to run.json (created on first use; rewritten atomically).
    public func recordInvocation(_ invocation: RunInvocation) throws {
        var record = FileSystem.exists(runInfoPath) ? try RunJSON.read(RunDirectoryRecord.self, from: runInfoPath)
                                                    : RunDirectoryRecord(geometry: nil, invocations: [])
        record.invocations.append(invocation)
        try RunJSON.write(record, to: runInfoPath)
    }

    /// Records the geometry of the run's showers in run.json, or, when run.json records one
    /// already, checks that `geometry` has the same voxels. `source` names where the showers
    /// come from (the data file) for the message.
    ///
    /// - Throws: `PipelineError.unsupportedGeometry` naming both geometries.
    public func recordGeometry(_ geometry: CalorimeterGeometry, source: String) throws {
        var record = FileSystem.exists(runInfoPath) ? try RunJSON.read(RunDirectoryRecord.self, from: runInfoPath)
                                                    : RunDirectoryRecord(geometry: nil, invocations: [])
        if let recorded = record.geometry ?? (record.invocations.isEmpty ? nil : .calogan) {
            guard recorded.hasSameVoxels(as: geometry) else {
                throw PipelineError.unsupportedGeometry("the run \(path) models showers of the geometry \(recorded.name) "
                    + "(\(recorded.voxelCount) voxels), but \(source) holds showers of \(geometry.name) (\(geometry.voxelCount) voxels); "
                    + "use a new run directory for another geometry")
            }
            if record.geometry != nil { return }
        }
        record.geometry = geometry
        try RunJSON.write(record, to: runInfoPath)
    }

    /// The geometry run.json records, or nil when it records none (no run.json, or a run made
    /// before geometries were recorded).
    public func recordedGeometry() throws -> CalorimeterGeometry? {
        guard FileSystem.exists(runInfoPath) else { return nil }
        return try RunJSON.read(RunDirectoryRecord.self, from: runInfoPath).geometry
    }

    /// The run's geometry: the one run.json records, CaloGAN when it records none.
    public func geometry() throws -> CalorimeterGeometry { try recordedGeometry() ?? .calogan }

    /// Adds `plan` to the latest invocation of run.json (written by `recordInvocation`).
    public func recordSchedulePlan(_ plan: SchedulePlan) throws {
        var record = try RunJSON.read(RunDirectoryRecord.self, from: runInfoPath)
        guard !record.invocations.isEmpty else {
            throw RunDirectoryError.io(path: runInfoPath, operation: "recording a schedule plan", detail: "no invocation recorded")
        }
        record.invocations[record.invocations.count - 1].schedulePlans = (record.invocations.last?.schedulePlans ?? []) + [plan]
        try RunJSON.write(record, to: runInfoPath)
    }

    /// The latest schedule planned for `stage` by a time limit in run.json, or nil.
    public func plannedSchedule(stage: String) throws -> SchedulePlan? {
        try invocations().reversed().lazy.compactMap { $0.schedulePlans?.last { $0.stage == stage } }.first
    }

    /// Every invocation recorded in run.json, oldest first (empty when there is no run.json).
    public func invocations() throws -> [RunInvocation] {
        guard FileSystem.exists(runInfoPath) else { return [] }
        return try RunJSON.read(RunDirectoryRecord.self, from: runInfoPath).invocations
    }

    /// Appends `message` to log.txt, one line per line of `message`, each prefixed with the UTC time
    /// when `timestamp` is true. Written with one write(2), so lines from a killed process are whole.
    public func log(_ message: String, timestamp: Bool = true) throws {
        let prefix = timestamp ? ShowerFileMetadata.utcTimestamp() + " " : ""
        let text = message.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 + "\n" }.joined()
        let fd = open(logPath, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw RunDirectoryError.io(path: logPath, operation: "opening for append", detail: RunJSON.errnoText()) }
        defer { close(fd) }
        guard RunJSON.writeAll(fd, Array(text.utf8)) else {
            throw RunDirectoryError.io(path: logPath, operation: "appending", detail: RunJSON.errnoText())
        }
    }

    /// Appends one epoch's record to metrics.jsonl.
    public func appendMetrics(_ record: MetricsRecord) throws { try MetricsLog.append(record, to: metricsPath) }

    /// All records of metrics.jsonl (tolerating an incomplete last line).
    public func readMetrics() throws -> MetricsLog.Contents { try MetricsLog.read(from: metricsPath) }

    // MARK: - Internals

    /// Names of the regular entries of the directory, sorted (empty if it does not exist).
    func fileNames() -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// (stage, slot) of a checkpoint file name like "teacher-best.h5".
    static func parseCheckpointName(_ name: String) -> (stage: String, slot: Slot)? {
        guard name.hasSuffix(".h5") else { return nil }
        let stem = name.dropLast(3)
        for slot in Slot.allCases where stem.hasSuffix("-" + slot.rawValue) {
            let stage = stem.dropLast(slot.rawValue.count + 1)
            if !stage.isEmpty { return (String(stage), slot) }
        }
        return nil
    }
}
