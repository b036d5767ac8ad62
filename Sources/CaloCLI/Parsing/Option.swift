/// A typed command-line option: its spec (for parsing and help) plus how to read its value.
///
/// Declare each option once as a static constant and read it from the parsed arguments:
/// ```
/// static let events = Option.int("events", short: "n", default: 10_000, range: 1...,
///                                 help: "Number of showers to simulate.")
/// let n = arguments[Self.events]
/// ```
public struct Option<Value>: Sendable {
    public let spec: OptionSpec
    let extract: @Sendable (ParsedValue?) -> Value

    public init(spec: OptionSpec, extract: @escaping @Sendable (ParsedValue?) -> Value) {
        self.spec = spec
        self.extract = extract
    }
}

// MARK: - Flags and scalars

extension Option where Value == Bool {
    /// A flag: false unless given.
    public static func flag(_ long: String, short: Character? = nil, help: String,
                            section: String = "OPTIONS") -> Option<Bool> {
        Option(spec: OptionSpec(long: long, short: short, kind: .flag, help: help,
                                presence: .defaulted("off"), section: section)) { value in
            if case .flag(let b)? = value { return b }
            return false
        }
    }
}

extension Option where Value == Int {
    /// An integer with a default (shown in help) or, with `default: nil`, a required one.
    public static func int(_ long: String, short: Character? = nil, default value: Int?,
                           range: (any AllowedRangeConvertible)? = nil, valueName: String? = nil,
                           help: String, section: String = "OPTIONS") -> Option<Int> {
        let presence: OptionSpec.Presence = value.map { .defaulted(String($0)) } ?? .required
        return Option(spec: OptionSpec(long: long, short: short, kind: .integer(range?.allowedRange), help: help,
                                       presence: presence, valueName: valueName, section: section)) { parsed in
            if case .integer(let n)? = parsed { return n }
            return value ?? 0
        }
    }
}

extension Option where Value == Int? {
    /// An integer whose absence the command interprets; `defaultLabel` says how (e.g. `all cores`).
    public static func optionalInt(_ long: String, short: Character? = nil, defaultLabel: String,
                                   range: (any AllowedRangeConvertible)? = nil, valueName: String? = nil,
                                   help: String, section: String = "OPTIONS") -> Option<Int?> {
        Option(spec: OptionSpec(long: long, short: short, kind: .integer(range?.allowedRange), help: help,
                                presence: .optional(defaultLabel), valueName: valueName, section: section)) { parsed in
            if case .integer(let n)? = parsed { return n }
            return nil
        }
    }
}

extension Option where Value == UInt64 {
    /// A 64-bit unsigned integer such as a random seed; decimal or `0x` hexadecimal.
    public static func uint64(_ long: String, short: Character? = nil, default value: UInt64,
                              valueName: String? = nil, help: String,
                              section: String = "OPTIONS") -> Option<UInt64> {
        Option(spec: OptionSpec(long: long, short: short, kind: .unsignedInteger, help: help,
                                presence: .defaulted(String(value)), valueName: valueName,
                                section: section)) { parsed in
            if case .unsignedInteger(let n)? = parsed { return n }
            return value
        }
    }
}

extension Option where Value == Double {
    /// A finite number with a default or, with `default: nil`, a required one.
    public static func double(_ long: String, short: Character? = nil, default value: Double?,
                              range: AllowedRange? = nil, valueName: String? = nil,
                              help: String, section: String = "OPTIONS") -> Option<Double> {
        let presence: OptionSpec.Presence = value.map { .defaulted(AllowedRange.format($0, false)) } ?? .required
        return Option(spec: OptionSpec(long: long, short: short, kind: .real(range), help: help,
                                       presence: presence, valueName: valueName, section: section)) { parsed in
            if case .real(let x)? = parsed { return x }
            return value ?? 0
        }
    }
}

extension Option where Value == Double? {
    /// A number whose absence the command interprets; `defaultLabel` says how.
    public static func optionalDouble(_ long: String, short: Character? = nil, defaultLabel: String,
                                      range: AllowedRange? = nil, valueName: String? = nil,
                                      help: String, section: String = "OPTIONS") -> Option<Double?> {
        Option(spec: OptionSpec(long: long, short: short, kind: .real(range), help: help,
                                presence: .optional(defaultLabel), valueName: valueName, section: section)) { parsed in
            if case .real(let x)? = parsed { return x }
            return nil
        }
    }
}

extension Option where Value == String {
    /// Free text with a default or, with `default: nil`, required.
    public static func string(_ long: String, short: Character? = nil, default value: String?,
                              valueName: String? = nil, help: String,
                              section: String = "OPTIONS") -> Option<String> {
        text(long, short: short, kind: .text, default: value, valueName: valueName, help: help, section: section)
    }

    /// A path with a default or, with `default: nil`, required. A leading `~/` is expanded.
    public static func path(_ long: String, short: Character? = nil, default value: String?,
                            valueName: String? = nil, help: String,
                            section: String = "OPTIONS") -> Option<String> {
        text(long, short: short, kind: .path, default: value, valueName: valueName, help: help, section: section)
    }

    private static func text(_ long: String, short: Character?, kind: ValueKind, default value: String?,
                             valueName: String?, help: String, section: String) -> Option<String> {
        let presence: OptionSpec.Presence = value.map { .defaulted($0) } ?? .required
        return Option(spec: OptionSpec(long: long, short: short, kind: kind, help: help,
                                       presence: presence, valueName: valueName, section: section)) { parsed in
            if case .text(let s)? = parsed { return s }
            return value ?? ""
        }
    }
}

extension Option where Value == String? {
    /// A path whose absence the command interprets (e.g. `--resume`); `defaultLabel` says how.
    public static func optionalPath(_ long: String, short: Character? = nil, defaultLabel: String = "none",
                                    valueName: String? = nil, help: String,
                                    section: String = "OPTIONS") -> Option<String?> {
        Option(spec: OptionSpec(long: long, short: short, kind: .path, help: help,
                                presence: .optional(defaultLabel), valueName: valueName, section: section)) { parsed in
            if case .text(let s)? = parsed { return s }
            return nil
        }
    }
}

extension Option where Value == String? {
    /// A text value whose absence the command interprets; `defaultLabel` says how.
    public static func optionalString(_ long: String, short: Character? = nil, defaultLabel: String,
                                      valueName: String? = nil, help: String,
                                      section: String = "OPTIONS") -> Option<String?> {
        Option(spec: OptionSpec(long: long, short: short, kind: .text, help: help,
                                presence: .optional(defaultLabel), valueName: valueName, section: section)) { parsed in
            if case .text(let s)? = parsed { return s }
            return nil
        }
    }
}

// MARK: - Choices

extension Option {
    /// One of the cases of a string-backed enum, e.g. `--particle eplus`.
    public static func choice(_ long: String, short: Character? = nil, default value: Value,
                              valueName: String? = nil, help: String, section: String = "OPTIONS") -> Option<Value>
    where Value: CaseIterable & RawRepresentable & Sendable, Value.RawValue == String {
        let choices = Value.allCases.map(\.rawValue)
        return Option(spec: OptionSpec(long: long, short: short, kind: .choice(choices), help: help,
                                       presence: .defaulted(value.rawValue), valueName: valueName,
                                       section: section)) { parsed in
            if case .text(let s)? = parsed, let v = Value(rawValue: s) { return v }
            return value
        }
    }
}

// MARK: - Lists

extension Option where Value == [Double] {
    /// Numbers given as `--energies 10,20,50` and/or by repeating the option.
    public static func doubleList(_ long: String, short: Character? = nil, default value: [Double],
                                  range: AllowedRange? = nil, valueName: String? = nil,
                                  help: String, section: String = "OPTIONS") -> Option<[Double]> {
        let text = value.isEmpty ? "none" : value.map { AllowedRange.format($0, false) }.joined(separator: ",")
        return Option(spec: OptionSpec(long: long, short: short, kind: .list(.real(range)), help: help,
                                       presence: .defaulted(text), valueName: valueName, section: section)) { parsed in
            guard case .list(let items)? = parsed else { return value }
            return items.compactMap { if case .real(let x) = $0 { return x } else { return nil } }
        }
    }
}

extension Option where Value == [Int] {
    /// Integers given as `--sizes 1,2,3` and/or by repeating the option.
    public static func intList(_ long: String, short: Character? = nil, default value: [Int],
                               range: (any AllowedRangeConvertible)? = nil, valueName: String? = nil,
                               help: String, section: String = "OPTIONS") -> Option<[Int]> {
        let text = value.isEmpty ? "none" : value.map(String.init).joined(separator: ",")
        return Option(spec: OptionSpec(long: long, short: short, kind: .list(.integer(range?.allowedRange)),
                                       help: help, presence: .defaulted(text), valueName: valueName,
                                       section: section)) { parsed in
            guard case .list(let items)? = parsed else { return value }
            return items.compactMap { if case .integer(let n) = $0 { return n } else { return nil } }
        }
    }
}

extension Option where Value == [String] {
    /// Words or paths given as `--inputs a.h5,b.h5` and/or by repeating the option.
    public static func stringList(_ long: String, short: Character? = nil, default value: [String],
                                  paths: Bool = false, valueName: String? = nil, help: String,
                                  section: String = "OPTIONS") -> Option<[String]> {
        let text = value.isEmpty ? "none" : value.joined(separator: ",")
        return Option(spec: OptionSpec(long: long, short: short, kind: .list(paths ? .path : .text), help: help,
                                       presence: .defaulted(text), valueName: valueName, section: section)) { parsed in
            guard case .list(let items)? = parsed else { return value }
            return items.compactMap { if case .text(let s) = $0 { return s } else { return nil } }
        }
    }
}
