/// Progress of a long loop (simulation, training steps, generation batches).
///
/// On a terminal: one live line on stderr, redrawn at most every `redrawInterval` seconds,
/// e.g. `generate  42000/100000  42%  2.31k showers/s  elapsed 18.2s  ETA 25.1s  nan=0`.
/// Otherwise (batch jobs, pipes): a plain log line at every 10% milestone and at least every
/// `logInterval` seconds, so log files stay short but show that the job is alive. Milestone
/// lines also go to the logger's file in both modes. `--quiet` hides the live line.
///
/// Rates are averages since the start (steady for long runs); ETA = remaining / rate.
public final class ProgressLine {
    public let label: String
    /// Total units of work; nil when unknown (no percentage or ETA then). May change while the
    /// loop runs (a training whose time-limit plan was revised).
    public var total: Int?
    /// Unit of work in rates, e.g. `showers` or `steps`.
    public let unit: String
    public var redrawInterval: Double = 0.1
    public var logInterval: Double

    private let logger: Logger
    private let clock: () -> Double
    private let start: Double
    private var lastDraw = -Double.infinity
    private var lastLog: Double
    private var lastMilestone = 0
    private var done = 0
    private var finished = false

    /// - Parameters:
    ///   - logInterval: seconds between plain log lines when not on a terminal.
    ///   - clock: monotonic seconds (tests pass a fake clock).
    public init(label: String, total: Int?, unit: String = "items", logger: Logger,
                logInterval: Double = 60, clock: @escaping () -> Double = Clock.monotonicSeconds) {
        self.label = label
        self.total = total
        self.unit = unit
        self.logger = logger
        self.logInterval = logInterval
        self.clock = clock
        start = clock()
        lastLog = start
    }

    // MARK: - Updates

    /// Reports that `done` units are complete, with extra `name value` fields such as the loss.
    public func update(_ done: Int, fields: KeyValuePairs<String, String> = [:]) {
        guard !finished else { return }
        self.done = done
        let now = clock()
        let milestone = total.map { $0 > 0 ? min(10, done * 10 / $0) : 10 } ?? 0
        let reachedMilestone = milestone > lastMilestone
        if reachedMilestone { lastMilestone = milestone }

        let console = logger.console
        if console.isTerminal {
            if logger.verbosity >= .normal && (now - lastDraw >= redrawInterval || reachedMilestone) {
                console.setStatus(line(at: now, fields: fields, compact: true))
                lastDraw = now
            }
            if reachedMilestone { logger.record(line(at: now, fields: fields, compact: false)) }
        } else if reachedMilestone || now - lastLog >= logInterval {
            logger.info(line(at: now, fields: fields, compact: false))
            lastLog = now
        }
    }

    /// Adds `count` completed units.
    public func advance(by count: Int = 1, fields: KeyValuePairs<String, String> = [:]) {
        update(done + count, fields: fields)
    }

    /// Ends the progress: clears the live line and logs one summary with the total time and
    /// average rate, e.g. `simulate: 20000 showers in 1.9s (10.5k showers/s)`.
    public func finish(fields: KeyValuePairs<String, String> = [:]) {
        guard !finished else { return }
        finished = true
        logger.console.clearStatus()
        let elapsed = clock() - start
        var summary = "\(label): \(done) \(unit) in \(HumanFormat.duration(elapsed))"
        if elapsed > 0 { summary += " (\(HumanFormat.rate(Double(done) / elapsed, unit: unit)))" }
        for (name, value) in fields { summary += ", \(name) \(value)" }
        logger.info(summary)
    }

    // MARK: - Text

    /// The progress text; `compact` is the terminal form (double-space separated), otherwise
    /// the log form (`label: 420/1000 (42%), 2.31k showers/s, elapsed 18.2s, ETA 25.1s`).
    func line(at now: Double, fields: KeyValuePairs<String, String>, compact: Bool) -> String {
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(done) / elapsed : .nan
        var parts: [String] = []
        if let total {
            let percent = total > 0 ? "\(min(100, done * 100 / total))%" : "100%"
            parts.append(compact ? "\(done)/\(total)  \(percent)" : "\(done)/\(total) (\(percent))")
        } else {
            parts.append("\(done)")
        }
        if rate.isFinite { parts.append(HumanFormat.rate(rate, unit: unit)) }
        parts.append("elapsed " + HumanFormat.duration(elapsed))
        if let total, rate.isFinite, rate > 0, done < total {
            parts.append("ETA " + HumanFormat.duration(Double(total - done) / rate))
        }
        for (name, value) in fields { parts.append(compact ? "\(name)=\(value)" : "\(name) \(value)") }
        return compact ? label + "  " + parts.joined(separator: "  ") : label + ": " + parts.joined(separator: ", ")
    }
}
