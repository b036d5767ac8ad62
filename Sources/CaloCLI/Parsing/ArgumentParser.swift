#if canImport(Glibc)
import Glibc
#endif

/// Parses the arguments that follow a command name against the command's option and
/// positional specs.
///
/// Accepted forms: `--name value`, `--name=value`, `-n value`, `-n=value`, `-nvalue` for
/// options with values; `--flag`, `-f` for flags; `--` ends options (everything after it is
/// positional). `--help`/`-h` anywhere before `--` asks for help, even next to mistakes.
/// A scalar option given twice keeps the last value (so scripts can override defaults);
/// a list option accumulates.
public struct ArgumentParser: Sendable {
    public let options: [OptionSpec]
    public let positionals: [PositionalSpec]

    /// What the command line asked for.
    public enum Outcome: Sendable {
        case help
        case arguments(ParsedArguments)
    }

    public init(options: [OptionSpec], positionals: [PositionalSpec] = []) {
        self.options = options
        self.positionals = positionals
    }

    // MARK: - Parsing

    /// - Throws: `UsageError` naming the offending option or argument.
    public func parse(_ arguments: [String]) throws -> Outcome {
        let beforeTerminator = arguments.prefix { $0 != "--" }
        if beforeTerminator.contains("--help") || beforeTerminator.contains("-h") { return .help }

        var result = ParsedArguments()
        var loose: [String] = []
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !Self.looksLikeOption(argument) {
                loose.append(argument)
            } else if argument == "--" {
                optionsEnded = true
            } else {
                let (spec, inline) = try lookUp(argument)
                let raw: String?
                if spec.kind == .flag {
                    guard inline == nil else { throw UsageError.flagWithValue(option: spec.displayName) }
                    raw = nil
                } else if let inline {
                    raw = inline
                } else if index < arguments.count, acceptsAsValue(arguments[index], for: spec) {
                    raw = arguments[index]
                    index += 1
                } else {
                    throw UsageError.missingValue(option: spec.displayName, expected: spec.kind.expectation)
                }
                let value = try raw.map { try Self.value(of: $0, kind: spec.kind, option: spec.displayName) }
                result.set(value ?? .flag(true), for: spec.long)
            }
        }
        try assignPositionals(loose, into: &result)
        for spec in options where spec.presence == .required && result.optionValues[spec.long] == nil {
            throw UsageError.missingRequired(option: "\(spec.displayName) <\(spec.valueName)>")
        }
        return .arguments(result)
    }

    /// Finds the spec for `--name[=value]`, `-n[value]` or `-n=value`.
    private func lookUp(_ argument: String) throws -> (OptionSpec, inline: String?) {
        if argument.hasPrefix("--") {
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inline = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
            if let spec = options.first(where: { $0.long == name }) { return (spec, inline) }
            let suggestion = Suggestion.closest(to: name, among: options.map(\.long)).map { "--" + $0 }
            throw UsageError.unknownOption("--" + name, suggestion: suggestion)
        }
        let body = argument.dropFirst()
        let letter = body.first!
        if let spec = options.first(where: { $0.short == letter }), spec.kind != .flag || body.count == 1 {
            var rest = body.dropFirst()
            if rest.hasPrefix("=") { rest = rest.dropFirst() }
            return (spec, body.count > 1 ? String(rest) : nil)
        }
        // `-events` for `--events` is a common slip; so is a mistyped short name.
        let word = String(body.prefix { $0 != "=" })
        if options.contains(where: { $0.long == word }) {
            throw UsageError.unknownOption("-" + word, suggestion: "--" + word)
        }
        let suggestion = Suggestion.closest(to: word, among: options.map(\.long)).map { "--" + $0 }
        throw UsageError.unknownOption("-" + word, suggestion: suggestion)
    }

    /// The next argument is this option's value unless it looks like another option; negative
    /// numbers are values for numeric options.
    private func acceptsAsValue(_ next: String, for spec: OptionSpec) -> Bool {
        guard Self.looksLikeOption(next) else { return true }
        switch spec.kind {
        case .integer, .unsignedInteger, .real, .list(.integer), .list(.real): return Double(next.split(separator: ",").first ?? "") != nil
        default: return false
        }
    }

    private func assignPositionals(_ loose: [String], into result: inout ParsedArguments) throws {
        var remaining = loose[...]
        for spec in positionals {
            if remaining.isEmpty {
                if spec.minimumCount > 0 { throw UsageError.missingArgument(spec.usage) }
                continue
            }
            let take = spec.isRepeating ? remaining.count : 1
            for value in remaining.prefix(take) {
                result.appendPositional(spec.isPath ? Self.expandingTilde(value) : value, to: spec.name)
            }
            remaining = remaining.dropFirst(take)
        }
        if let extra = remaining.first { throw UsageError.unexpectedArgument(extra) }
    }

    /// Options start with `-` (but a lone `-` is a positional, conventionally standard input).
    static func looksLikeOption(_ argument: String) -> Bool {
        argument.hasPrefix("-") && argument.count > 1
    }
}

// MARK: - Values

extension ArgumentParser {
    /// Parses and checks one raw value against a kind; lists split on commas.
    static func value(of raw: String, kind: ValueKind, option: String) throws -> ParsedValue {
        switch kind {
        case .flag:
            throw UsageError.flagWithValue(option: option)
        case .integer(let range):
            guard let n = parseInteger(raw) else {
                throw UsageError.invalidValue(option: option, value: raw, expected: kind.expectation)
            }
            if let range, !range.contains(Double(n)) {
                throw UsageError.outOfRange(option: option, value: raw, allowed: range.description(integer: true))
            }
            return .integer(n)
        case .unsignedInteger:
            guard let n = parseUnsigned(raw) else {
                throw UsageError.invalidValue(option: option, value: raw, expected: kind.expectation)
            }
            return .unsignedInteger(n)
        case .real(let range):
            guard let x = Double(raw), x.isFinite else {
                throw UsageError.invalidValue(option: option, value: raw, expected: "a finite number")
            }
            if let range, !range.contains(x) {
                throw UsageError.outOfRange(option: option, value: raw, allowed: range.description(integer: false))
            }
            return .real(x)
        case .text:
            return .text(raw)
        case .path:
            guard !raw.isEmpty else {
                throw UsageError.invalidValue(option: option, value: raw, expected: "a non-empty path")
            }
            return .text(expandingTilde(raw))
        case .choice(let choices):
            guard choices.contains(raw) else {
                throw UsageError.invalidChoice(option: option, value: raw, choices: choices,
                                               suggestion: Suggestion.closest(to: raw, among: choices))
            }
            return .text(raw)
        case .list(let element):
            let items = raw.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !items.contains(where: \.isEmpty) else {
                throw UsageError.invalidValue(option: option, value: raw, expected: kind.expectation)
            }
            return .list(try items.map { try value(of: $0, kind: element, option: option) })
        }
    }

    /// `20000`, `+20000`, `20_000` or an exact `2e4`.
    static func parseInteger(_ raw: String) -> Int? {
        let plain = raw.contains("_") && !raw.hasPrefix("_") && !raw.hasSuffix("_")
            ? raw.replacingAll("_", with: "") : raw
        if let n = Int(plain) { return n }
        guard plain.contains(where: { $0 == "e" || $0 == "E" }), let x = Double(plain), x.isFinite,
              x == x.rounded(), abs(x) <= 9_007_199_254_740_992 else { return nil }
        return Int(x)
    }

    /// Decimal or `0x` hexadecimal, without sign.
    static func parseUnsigned(_ raw: String) -> UInt64? {
        let lower = raw.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) }
        return UInt64(raw.replacingAll("_", with: ""))
    }

    /// Replaces a leading `~/` (or a lone `~`) by `$HOME`, as a shell would.
    static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = getenv("HOME") else { return path }
        return String(cString: home) + path.dropFirst()
    }
}

extension String {
    func replacingAll(_ character: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self { if c == character { out += replacement } else { out.append(c) } }
        return out
    }
}
