import CaloData

/// What a run directory holds, for `caloflow info runs/x`: config, invocations, checkpoints
/// with their headers, the last metrics per stage and any other files.
public struct RunDirectoryContents: Sendable {
    /// One checkpoint file.
    public struct CheckpointEntry: Sendable {
        public var file: String
        public var stage: String
        public var slot: RunDirectory.Slot
        public var bytes: Int
        /// The header, or nil when the file could not be read (then `problem` says why).
        public var header: CheckpointHeader?
        public var problem: String?
    }

    public var path: String
    public var exists: Bool
    public var hasConfig: Bool
    public var invocations: [RunInvocation]
    /// The geometry run.json records (nil when it records none: a run made before geometries
    /// were recorded, which is a CaloGAN run).
    public var geometry: CalorimeterGeometry?
    public var checkpoints: [CheckpointEntry]
    /// Number of complete metrics records, and the latest record of each stage.
    public var metricsCount: Int
    public var latestMetrics: [String: MetricsRecord]
    /// A problem reading run.json or metrics.jsonl, if any (listing goes on regardless).
    public var problems: [String]
    /// Files that are not part of the layout (plots, temporary files, ...).
    public var otherFiles: [String]

    /// Multi-line text for the terminal.
    public var description: String {
        guard exists else { return "\(path): no such run directory" }
        var lines = ["run directory \(path)"]
        lines.append("  config.json: " + (hasConfig ? "present" : "missing"))
        lines.append("  geometry: " + (geometry.map(\.description) ?? "calogan (not recorded; runs made before geometries were recorded are CaloGAN runs)"))
        for inv in invocations {
            lines.append("  \(inv.started) \(inv.command)\(inv.resumed ? " (resumed)" : ""): seed \(inv.seed), \(inv.threads) threads"
                         + (inv.dataFile.map { ", data \($0)" } ?? "") + ", caloflow \(inv.appVersion)")
        }
        if checkpoints.isEmpty { lines.append("  checkpoints: none") }
        for c in checkpoints {
            let size = c.bytes >= 1 << 20 ? "\((Double(c.bytes) / 1_048_576 * 10).rounded() / 10) MiB" : "\(c.bytes) B"
            lines.append("  \(c.file) (\(size)): " + (c.header?.summary ?? "unreadable: \(c.problem ?? "?")"))
        }
        lines.append("  metrics.jsonl: \(metricsCount) epoch records")
        for (stage, r) in latestMetrics.sorted(by: { $0.key < $1.key }) {
            var s = "    \(stage) epoch \(r.epoch): train loss \(r.trainLoss)"
            if let v = r.validationLoss { s += ", validation loss \(v)" }
            if let ll = r.validationLogLikelihood { s += ", validation log-likelihood \(ll)" }
            lines.append(s + ", lr \(r.learningRate)")
        }
        for p in problems { lines.append("  problem: \(p)") }
        if !otherFiles.isEmpty { lines.append("  other files: " + otherFiles.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

extension RunDirectory {
    /// Lists what the directory holds. Never throws for damaged content: unreadable checkpoints and
    /// files are reported in the result.
    public func contents() -> RunDirectoryContents {
        let names = fileNames()
        var result = RunDirectoryContents(path: path, exists: FileSystemProbe.exists(path), hasConfig: names.contains("config.json"),
                                          invocations: [], checkpoints: [], metricsCount: 0, latestMetrics: [:],
                                          problems: [], otherFiles: [])
        do { result.invocations = try invocations() } catch { result.problems.append("\(error)") }
        result.geometry = try? recordedGeometry()
        do {
            let m = try readMetrics()
            result.metricsCount = m.records.count
            for r in m.records { result.latestMetrics[r.stage] = r }
            if m.droppedIncompleteLine { result.problems.append("metrics.jsonl ends with an incomplete line (interrupted write)") }
        } catch { result.problems.append("\(error)") }
        let known: Set<String> = ["config.json", "run.json", "log.txt", "metrics.jsonl"]
        for name in names {
            if let (stage, slot) = Self.parseCheckpointName(name) {
                var entry = RunDirectoryContents.CheckpointEntry(file: name, stage: stage, slot: slot,
                                                                 bytes: FileSystemProbe.size(file(name)) ?? 0, header: nil, problem: nil)
                do { entry.header = try CheckpointHeader.read(from: file(name)) } catch { entry.problem = "\(error)" }
                result.checkpoints.append(entry)
            } else if !known.contains(name) {
                result.otherFiles.append(name)
            }
        }
        return result
    }
}
