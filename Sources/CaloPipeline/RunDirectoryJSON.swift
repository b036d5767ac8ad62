import Foundation
import CaloData

/// Deterministic JSON for run files and checkpoint attributes: sorted keys, pretty-printed (or
/// compact, one line, for metrics.jsonl), slashes unescaped. Non-finite doubles are written as the
/// strings "NaN", "Infinity", "-Infinity" and read back as such, so a diverged loss survives a round
/// trip. Uses Foundation's coders: fine for files, not for hot paths.
public enum RunJSON {
    // MARK: - Strings

    /// `value` as JSON text with sorted keys; pretty (indented, with a trailing newline) or one line.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity",
                                                                      negativeInfinity: "-Infinity", nan: "NaN")
        do {
            let text = String(decoding: try encoder.encode(value), as: UTF8.self)
            return pretty ? text + "\n" : text
        } catch {
            throw RunDirectoryError.invalidJSON(path: "(value of type \(T.self))", detail: describe(error))
        }
    }

    /// Decodes `T` from JSON text; `source` names where the text came from in error messages.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, source: String = "(string)") throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity",
                                                                        negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch let e as ConfigError {
            throw RunDirectoryError.invalidJSON(path: source, detail: e.description)
        } catch {
            throw RunDirectoryError.invalidJSON(path: source, detail: describe(error))
        }
    }

    /// Whether `text` parses as JSON (any top-level value).
    public static func isValid(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    /// `text` re-serialised with sorted keys (pretty), for stable comparisons and copies.
    public static func normalized(_ text: String, source: String = "(string)") throws -> String {
        do {
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            let data = try JSONSerialization.data(withJSONObject: object,
                                                  options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes, .fragmentsAllowed])
            return String(decoding: data, as: UTF8.self) + "\n"
        } catch {
            throw RunDirectoryError.invalidJSON(path: source, detail: describe(error))
        }
    }

    // MARK: - Files

    /// Writes `value` as pretty JSON to `path` atomically (temporary file, then rename).
    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        try writeText(try encode(value), to: path)
    }

    /// Reads and decodes `T` from the JSON file at `path`.
    public static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        try decode(T.self, from: try readText(path), source: path)
    }

    /// Writes `text` to `path` atomically: readers see the old file or the new one, never a mix.
    public static func writeText(_ text: String, to path: String) throws {
        do {
            let destination = try AtomicFileDestination(path: path)
            let fd = open(destination.temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw RunDirectoryError.io(path: destination.temporaryPath, operation: "creating", detail: errnoText()) }
            let ok = writeAll(fd, Array(text.utf8))
            let err = errnoText()
            close(fd)
            guard ok else { destination.discard(); throw RunDirectoryError.io(path: path, operation: "writing", detail: err) }
            try destination.commit()
        } catch let e as CaloDataError {
            throw RunDirectoryError.io(path: path, operation: "writing", detail: e.description)
        }
    }

    /// The whole file at `path` as UTF-8 text.
    public static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunDirectoryError.io(path: path, operation: "reading", detail: FileSystem.exists(path) ? "not readable" : "no such file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Internals

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// A decoding error as "key path: what went wrong".
    static func describe(_ error: Error) -> String {
        func path(_ c: [CodingKey]) -> String {
            let p = c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "top level" : "key '\(p)'"
        }
        switch error {
        case DecodingError.keyNotFound(let key, let ctx): return "\(path(ctx.codingPath + [key])): missing"
        case DecodingError.typeMismatch(_, let ctx): return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        case DecodingError.valueNotFound(_, let ctx): return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        case DecodingError.dataCorrupted(let ctx):
            let under = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "\(path(ctx.codingPath)): \(under ?? ctx.debugDescription)"
        case EncodingError.invalidValue(_, let ctx): return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        default: return "\(error)"
        }
    }
}
