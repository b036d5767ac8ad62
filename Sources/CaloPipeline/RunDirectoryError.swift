/// Failures of run-directory handling and of the JSON helper: each names the file and the problem.
public enum RunDirectoryError: Error, CustomStringConvertible, Sendable {
    /// The run directory already holds checkpoints and `--resume` was not given.
    case checkpointsExist(directory: String, files: [String])
    /// `--resume` was given but the run directory has no `last` checkpoint for the stage.
    case nothingToResume(directory: String, expected: String)
    /// A file-system call failed.
    case io(path: String, operation: String, detail: String)
    /// A JSON file or string could not be encoded or decoded; `detail` names the key path.
    case invalidJSON(path: String, detail: String)
    /// A line of metrics.jsonl other than the last one is not a valid record.
    case corruptMetrics(path: String, line: Int, detail: String)
    /// Another process holds the run directory's lock; `holder` is what it wrote into the lock
    /// file (its pid and command line), empty if it had not written it yet.
    case inUse(directory: String, holder: String)
    /// `path` is not a run directory (missing, or without the files a run has).
    case notARunDirectory(path: String, detail: String)

    public var description: String {
        switch self {
        case .checkpointsExist(let d, let files):
            return "\(d) already holds checkpoints (\(files.joined(separator: ", "))); pass --resume to continue that run, or choose another run name"
        case .nothingToResume(let d, let e):
            return "\(d): --resume given, but there is no \(e) to resume from"
        case .io(let p, let op, let d):
            return "\(p): \(op) failed: \(d)"
        case .invalidJSON(let p, let d):
            return "\(p): invalid JSON: \(d)"
        case .corruptMetrics(let p, let l, let d):
            return "\(p): line \(l) is not a valid metrics record (\(d)); only the last line may be incomplete"
        case .inUse(let d, let h):
            return "\(d) is in use by another caloflow process" + (h.isEmpty ? "" : " (\(h))")
                + "; wait for it to finish or choose another run directory"
        case .notARunDirectory(let p, let d):
            return "\(p) is not a run directory: \(d)"
        }
    }
}
