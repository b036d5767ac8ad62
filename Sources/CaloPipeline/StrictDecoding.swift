import Foundation

/// A coding key that accepts any string, used to list the keys a JSON object really holds.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

/// A configuration problem found while reading a JSON config: names the key path and why.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String
    public init(path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { path.isEmpty ? "config: \(message)" : "config key '\(path)': \(message)" }
}

extension Decoder {
    /// Throws when the JSON object being decoded holds a key outside `known`: a typo in a config
    /// must not silently fall back to a default.
    func rejectUnknownKeys(_ known: [String]) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            let path = (codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            let close = known.min { editDistance($0, key.stringValue) < editDistance($1, key.stringValue) }
            let hint = close.map { editDistance($0, key.stringValue) <= 3 ? " (did you mean '\($0)'?)" : "" } ?? ""
            throw ConfigError(path: path, "unknown key\(hint); known keys here: \(known.joined(separator: ", "))")
        }
    }
}

/// Checks a decoded value and throws a `ConfigError` naming `key` when it is out of range.
func require(_ condition: Bool, _ decoder: Decoder, _ key: String, _ message: @autoclosure () -> String) throws {
    if !condition {
        let path = (decoder.codingPath.map(\.stringValue) + [key]).joined(separator: ".")
        throw ConfigError(path: path, message())
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// Checks an `emaDecay` setting: 0 (off) or a decay per optimizer step in (0, 1).
func requireDecay(_ decay: Double, _ decoder: Decoder) throws {
    try require(decay >= 0 && decay < 1, decoder, "emaDecay",
                "must be in [0, 1) (0 = off; e.g. 0.999 averages over about 1000 steps), got \(decay)")
}
