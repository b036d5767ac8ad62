import CaloCLI
import Foundation
import Testing

@Suite("Human-readable formatting")
struct HumanFormatTests {
    @Test("fixed-point rounding", arguments: [(3.14159, 2, "3.14"), (2.5, 0, "3"), (-2.5, 0, "-3"), (0.05, 1, "0.1"),
                                              (-0.0004, 2, "0.00"), (12, 3, "12.000"), (0.000123, 6, "0.000123"),
                                              (Double.nan, 2, "nan"), (-Double.infinity, 1, "-inf")])
    func fixed(_ x: Double, _ decimals: Int, _ expected: String) {
        #expect(HumanFormat.fixed(x, decimals) == expected)
    }

    @Test("durations pick a readable unit", arguments: [(0.0042, "4.2ms"), (0.35, "350ms"), (12.34, "12.3s"),
                                                        (59.99, "1m 00s"), (245, "4m 05s"), (7380, "2h 03m"),
                                                        (273_600, "3d 04h"), (-1, "?"), (Double.nan, "?")])
    func durations(_ seconds: Double, _ expected: String) {
        #expect(HumanFormat.duration(seconds) == expected)
    }

    @Test("rates keep three significant digits", arguments: [(0.0512, "0.0512 showers/s"), (0.5, "0.500 showers/s"),
                                                             (812.4, "812 showers/s"), (12_345, "12.3k showers/s"),
                                                             (2_500_000, "2.50M showers/s"), (0, "0.00 showers/s"),
                                                             (999.7, "1.00k showers/s")])
    func rates(_ perSecond: Double, _ expected: String) {
        #expect(HumanFormat.rate(perSecond, unit: "showers") == expected)
    }

    @Test("byte counts")
    func bytes() {
        #expect(HumanFormat.bytes(512) == "512 B")
        #expect(HumanFormat.bytes(1500) == "1.50 kB")
        #expect(HumanFormat.bytes(180_000_000) == "180 MB")
    }
}

/// A clock the test moves by hand.
final class FakeClock: @unchecked Sendable {
    var now = 1000.0
    func read() -> Double { now }
}

@Suite("Progress line")
struct ProgressLineTests {
    @Test("off a terminal: a log line at each 10% milestone and after the log interval, then a summary")
    func plainLog() {
        let err = StringSink(), clock = FakeClock()
        let logger = Logger(console: Console(output: StringSink(), errorOutput: err, isTerminal: false))
        let progress = ProgressLine(label: "simulate", total: 100, unit: "showers", logger: logger,
                                    logInterval: 30, clock: clock.read)
        for i in 1...100 {
            clock.now += 0.1
            progress.update(i, fields: ["nan": "0"])
        }
        let lines = err.text.split(separator: "\n")
        #expect(lines.count == 10)
        #expect(lines[0] == "simulate: 10/100 (10%), 10.0 showers/s, elapsed 1.0s, ETA 9.0s, nan 0")
        #expect(lines[9].hasPrefix("simulate: 100/100 (100%)"))
        #expect(!err.text.contains("\r"))

        let slow = StringSink()
        let slowLogger = Logger(console: Console(output: StringSink(), errorOutput: slow, isTerminal: false))
        let slowProgress = ProgressLine(label: "train", total: 1000, unit: "steps", logger: slowLogger,
                                        logInterval: 30, clock: clock.read)
        clock.now += 31
        slowProgress.update(1)
        clock.now += 1
        slowProgress.update(2)
        #expect(slow.text.split(separator: "\n").count == 1)
        slowProgress.finish(fields: ["loss": "1.23"])
        #expect(slow.text.split(separator: "\n").last == "train: 2 steps in 32.0s (0.0625 steps/s), loss 1.23")
    }

    @Test("on a terminal: one live line redrawn in place, cleared for messages and at the end")
    func terminal() {
        let err = StringSink(), clock = FakeClock()
        let logger = Logger(console: Console(output: StringSink(), errorOutput: err, isTerminal: true, terminalWidth: 200))
        let progress = ProgressLine(label: "generate", total: 1000, unit: "showers", logger: logger, clock: clock.read)
        clock.now += 1
        progress.update(50, fields: ["loss": "0.5"])
        #expect(err.text == "\r\u{1B}[2Kgenerate  50/1000  5%  50.0 showers/s  elapsed 1.0s  ETA 19.0s  loss=0.5")
        progress.update(51)  // within the redraw interval: not drawn
        #expect(!err.text.contains("51/1000"))
        logger.info("checkpoint saved")
        #expect(err.text.hasSuffix("\r\u{1B}[2Kcheckpoint saved\n\r\u{1B}[2Kgenerate  50/1000  5%  50.0 showers/s  elapsed 1.0s  ETA 19.0s  loss=0.5"))
        clock.now += 1
        progress.finish()
        #expect(err.text.hasSuffix("\r\u{1B}[2Kgenerate: 51 showers in 2.0s (25.5 showers/s)\n"))
    }

    @Test("--quiet hides the live line and the summary")
    func quiet() {
        let err = StringSink(), clock = FakeClock()
        let logger = Logger(console: Console(output: StringSink(), errorOutput: err, isTerminal: true),
                            verbosity: .quiet)
        let progress = ProgressLine(label: "x", total: 10, logger: logger, clock: clock.read)
        for i in 1...10 { clock.now += 1; progress.update(i) }
        progress.finish()
        #expect(err.text.isEmpty)
    }
}

@Suite("Logger")
struct LoggerTests {
    @Test("console output follows the verbosity; the log file gets everything with UTC timestamps")
    func levelsAndFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("caloflow-log-\(getpid()).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let err = StringSink()
        let logger = Logger(console: Console(output: StringSink(), errorOutput: err), verbosity: .normal,
                            now: { 86_400 + 3_723 })
        try logger.openLogFile(path)
        logger.info("started")
        logger.detail("batch size 1000")
        logger.warning("3 non-finite samples dropped")
        logger.record("progress 10%")
        logger.closeLogFile()
        #expect(err.text == "started\nwarning: 3 non-finite samples dropped\n")
        let file = try String(contentsOfFile: path, encoding: .utf8)
        #expect(file == """
            1970-01-02T01:02:03Z info    started
            1970-01-02T01:02:03Z detail  batch size 1000
            1970-01-02T01:02:03Z warning 3 non-finite samples dropped
            1970-01-02T01:02:03Z info    progress 10%

            """)

        let again = Logger(console: Console(output: StringSink(), errorOutput: StringSink()), now: { 0 })
        try again.openLogFile(path)
        again.info("appended")
        again.closeLogFile()
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("1970-01-01T00:00:00Z info    appended\n"))
    }

    @Test("an unwritable log file is a clear error")
    func unwritable() {
        let logger = Logger(console: Console(output: StringSink(), errorOutput: StringSink()))
        #expect(throws: LogFileError.self) { try logger.openLogFile("/nonexistent-dir/log.txt") }
    }
}
