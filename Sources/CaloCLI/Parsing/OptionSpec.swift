/// The description of one command-line option, declared once and used for parsing, validation
/// and help text alike. Build specs through the typed constructors of `Option` so the value a
/// command reads and the default printed by `--help` can never disagree.
public struct OptionSpec: Sendable, Equatable {
    /// Long name without the leading dashes, e.g. `events` for `--events`.
    public let long: String
    /// Optional one-letter alias, e.g. `n` for `-n`.
    public let short: Character?
    /// What the value looks like and which values are allowed.
    public let kind: ValueKind
    /// One or two sentences for `--help`.
    public let help: String
    /// Required, defaulted (with the default as shown in help) or optional.
    public let presence: Presence
    /// Placeholder shown after the option in help and errors, e.g. `n` for `--events <n>`.
    public let valueName: String
    /// Help section the option is listed under (`OPTIONS` or `COMMON OPTIONS`).
    public let section: String

    /// Whether a value must be given, and what happens if it is not.
    public enum Presence: Sendable, Equatable {
        /// The parser reports a usage error when the option is missing.
        case required
        /// The option has a default; the text is what help shows (e.g. `10000`, `off`).
        case defaulted(String)
        /// The command decides what absence means; the text explains it (e.g. `all cores`).
        case optional(String)
    }

    public init(long: String, short: Character? = nil, kind: ValueKind, help: String,
                presence: Presence, valueName: String? = nil, section: String = "OPTIONS") {
        self.long = long
        self.short = short
        self.kind = kind
        self.help = help
        self.presence = presence
        self.valueName = valueName ?? kind.defaultValueName
        self.section = section
    }

    /// `--events` or `--events <n>`, the way the option is named in messages.
    public var displayName: String { "--\(long)" }

    /// `-n, --events <n>` (or `    --events <n>` without a short name), the help's left column.
    public var synopsis: String {
        let prefix = short.map { "-\($0), " } ?? "    "
        return kind.takesValue ? "\(prefix)--\(long) <\(valueName)>" : "\(prefix)--\(long)"
    }

    /// `(default: 10000; allowed: 1...1000000)`-style annotation for help.
    public var annotation: String {
        var parts: [String] = []
        switch kind {
        case .choice(let choices): parts.append("one of: " + choices.joined(separator: ", "))
        case .list(let element):
            parts.append("comma-separated or repeated")
            if case .choice(let choices) = element { parts.append("each one of: " + choices.joined(separator: ", ")) }
            if let range = element.range { parts.append("each in \(range.description(integer: element.isInteger))") }
        default:
            if let range = kind.range { parts.append("allowed: \(range.description(integer: kind.isInteger))") }
        }
        switch presence {
        case .required: parts.insert("required", at: 0)
        case .defaulted(let text): parts.append("default: \(text)")
        case .optional(let text): parts.append("default: \(text)")
        }
        return "(" + parts.joined(separator: "; ") + ")"
    }
}

/// The shape of an option's value.
public indirect enum ValueKind: Sendable, Equatable {
    /// Present or absent; takes no value.
    case flag
    /// A signed integer; `2e4` and `20_000` are accepted when they are exact integers.
    case integer(AllowedRange?)
    /// A 64-bit unsigned integer (seeds); decimal or `0x` hexadecimal.
    case unsignedInteger
    /// A finite floating-point number.
    case real(AllowedRange?)
    /// Free text.
    case text
    /// A file or directory path; a leading `~/` is expanded.
    case path
    /// One of a fixed set of words.
    case choice([String])
    /// Several values of the element kind, comma-separated and/or from repeated options.
    case list(ValueKind)

    var takesValue: Bool { self != .flag }

    var isInteger: Bool {
        switch self {
        case .integer, .unsignedInteger: return true
        default: return false
        }
    }

    var range: AllowedRange? {
        switch self {
        case .integer(let r), .real(let r): return r
        default: return nil
        }
    }

    var defaultValueName: String {
        switch self {
        case .flag: return ""
        case .integer, .unsignedInteger: return "n"
        case .real: return "x"
        case .text: return "text"
        case .path: return "path"
        case .choice(let choices): return choices.joined(separator: "|")
        case .list(let element): return element.defaultValueName + ",..."
        }
    }

    /// What a value of this kind is, for error messages ("an integer", "a number", ...).
    var expectation: String {
        switch self {
        case .flag: return "no value"
        case .integer: return "an integer"
        case .unsignedInteger: return "a non-negative integer"
        case .real: return "a number"
        case .text: return "a text value"
        case .path: return "a path"
        case .choice(let choices): return "one of " + choices.joined(separator: ", ")
        case .list(let element): return "a comma-separated list of " + element.expectation.pluralizedList
        }
    }
}

private extension String {
    var pluralizedList: String {
        switch self {
        case "an integer": return "integers"
        case "a non-negative integer": return "non-negative integers"
        case "a number": return "numbers"
        case "a path": return "paths"
        case "a text value": return "text values"
        default: return "values (\(self))"
        }
    }
}
