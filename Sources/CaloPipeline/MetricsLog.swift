import Glibc

/// metrics.jsonl: one compact JSON `MetricsRecord` per line, appended once per epoch. Each line is
/// handed to the kernel with a single write(2), so a killed process leaves at most one incomplete
/// last line; the reader skips such a line (and says so), and the next append cuts it off first.
/// Any other unparsable line is reported as corruption with its line number.
public enum MetricsLog {
    /// What `read` found.
    public struct Contents: Sendable, Equatable {
        /// Complete records, in file order.
        public var records: [MetricsRecord]
        /// True when an incomplete last line (no newline, unparsable) was skipped.
        public var droppedIncompleteLine: Bool
    }

    /// Appends `record` as one line to `path` (created if needed), first cutting off an incomplete
    /// last line left by an interrupted writer.
    public static func append(_ record: MetricsRecord, to path: String) throws {
        let line = try RunJSON.encode(record, pretty: false) + "\n"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw RunDirectoryError.io(path: path, operation: "opening for append", detail: RunJSON.errnoText()) }
        defer { close(fd) }
        let end = try completeLength(fd, path)
        guard lseek(fd, off_t(end), SEEK_SET) >= 0, ftruncate(fd, off_t(end)) == 0 else {
            throw RunDirectoryError.io(path: path, operation: "cutting an incomplete last line", detail: RunJSON.errnoText())
        }
        guard RunJSON.writeAll(fd, Array(line.utf8)) else {
            throw RunDirectoryError.io(path: path, operation: "appending a record", detail: RunJSON.errnoText())
        }
    }

    /// Reads every record of `path`; a missing file reads as empty.
    public static func read(from path: String) throws -> Contents {
        guard FileSystemProbe.exists(path) else { return Contents(records: [], droppedIncompleteLine: false) }
        let text = try RunJSON.readText(path)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let endsWithNewline = text.hasSuffix("\n") || text.isEmpty
        if endsWithNewline { lines.removeLast() }
        var records: [MetricsRecord] = []
        var dropped = false
        for (i, line) in lines.enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            do {
                records.append(try RunJSON.decode(MetricsRecord.self, from: line, source: "\(path) line \(i + 1)"))
            } catch {
                if i == lines.count - 1 && !endsWithNewline { dropped = true; continue }
                throw RunDirectoryError.corruptMetrics(path: path, line: i + 1, detail: "\(error)")
            }
        }
        return Contents(records: records, droppedIncompleteLine: dropped)
    }

    /// Replaces the whole file by `records` atomically (e.g. after a resume, with the history the
    /// checkpoint holds).
    public static func rewrite(_ records: [MetricsRecord], to path: String) throws {
        let text = try records.map { try RunJSON.encode($0, pretty: false) + "\n" }.joined()
        try RunJSON.writeText(text, to: path)
    }

    /// For a resume: drops records of `stage` with epoch > `epoch` (written after the checkpoint
    /// the run resumes from) and any incomplete last line; other stages are kept.
    public static func truncate(_ path: String, stage: String, afterEpoch epoch: Int) throws {
        let c = try read(from: path)
        let kept = c.records.filter { $0.stage != stage || $0.epoch <= epoch }
        if kept != c.records || c.droppedIncompleteLine { try rewrite(kept, to: path) }
    }

    // MARK: - Internals

    /// Length of the file up to and including its last newline.
    private static func completeLength(_ fd: Int32, _ path: String) throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw RunDirectoryError.io(path: path, operation: "stat", detail: RunJSON.errnoText()) }
        var end = Int(st.st_size)
        var byte: UInt8 = 0
        while end > 0 {
            guard pread(fd, &byte, 1, off_t(end - 1)) == 1 else {
                throw RunDirectoryError.io(path: path, operation: "reading", detail: RunJSON.errnoText())
            }
            if byte == 0x0A { break }
            end -= 1
        }
        return end
    }
}

/// Minimal existence check without pulling CaloData into every caller.
enum FileSystemProbe {
    static func exists(_ path: String) -> Bool { var st = stat(); return stat(path, &st) == 0 }
    static func size(_ path: String) -> Int? { var st = stat(); return stat(path, &st) == 0 ? Int(st.st_size) : nil }
}
