import Foundation

/// The stage log of one study point, written by `scripts/study/run-point.sh` (tab-separated):
///
///     start  <stage>  <unix time>
///     end    <stage>  <exit status>  <user CPU s>  <system CPU s>  <wall s>
///
/// The CPU times are the getrusage(RUSAGE_CHILDREN) differences of the script's shell around
/// the stage's command (bash's `times`), so they count every process of the stage. A stage
/// interrupted by a signal ends with its status (130, 143) and is resumed later: its attempts
/// add up. A `start` without an `end` (the script killed with SIGKILL) leaves that attempt's
/// CPU time unknown.
public struct QualityStudyStageTimes: Sendable, Equatable {
    /// One stage: its attempts summed, the status of the last one.
    public struct Stage: Sendable, Equatable {
        public var cpuSeconds: Double = 0
        public var wallSeconds: Double = 0
        public var attempts = 0
        public var lastStatus: Int?
        /// Attempts that started and never recorded their end.
        public var unrecordedAttempts = 0
    }

    public var stages: [String: Stage]

    /// Parses the log; `source` names it in errors.
    /// - Throws: `EvaluationError` "<source> line <n>: ..." for a malformed line.
    public init(text: String, source: String) throws {
        var stages: [String: Stage] = [:]
        var open: Set<String> = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let f = line.split(separator: "\t").map(String.init)
            let bad = EvaluationError("\(source) line \(i + 1): expected 'start <stage> <time>' or "
                                      + "'end <stage> <status> <user s> <system s> <wall s>', tab-separated; got '\(line)'")
            switch f.first {
            case "start":
                guard f.count == 3, !f[1].isEmpty, Double(f[2]) != nil else { throw bad }
                if open.contains(f[1]) { stages[f[1], default: Stage()].unrecordedAttempts += 1 }
                open.insert(f[1])
            case "end":
                guard f.count == 6, let status = Int(f[2]), let user = Double(f[3]), let system = Double(f[4]), let wall = Double(f[5]),
                      user >= 0, system >= 0, wall >= 0, user.isFinite, system.isFinite, wall.isFinite else { throw bad }
                var s = stages[f[1], default: Stage()]
                s.cpuSeconds += user + system
                s.wallSeconds += wall
                s.attempts += 1
                s.lastStatus = status
                stages[f[1]] = s
                open.remove(f[1])
            default:
                throw bad
            }
        }
        for name in open { stages[name, default: Stage()].unrecordedAttempts += 1 }
        self.stages = stages
    }

    /// True when every attempt of every stage recorded its CPU time.
    public var complete: Bool { stages.values.allSatisfy { $0.unrecordedAttempts == 0 } }
}
