/// A value the parser has already checked against its option's kind and range.
public enum ParsedValue: Sendable, Equatable {
    case flag(Bool)
    case integer(Int)
    case unsignedInteger(UInt64)
    case real(Double)
    case text(String)
    case list([ParsedValue])
}

/// The result of parsing one command line: validated option values and positional arguments.
///
/// Read it through the same `Option` constants the command declared, so the value's type
/// and default come from one place: `let events = arguments[Simulate.events]`.
public struct ParsedArguments: Sendable {
    /// Values given on the command line, keyed by long option name. Absent options are missing.
    public private(set) var optionValues: [String: ParsedValue]
    /// Positional arguments, keyed by the positional's name, in command-line order.
    public private(set) var positionalValues: [String: [String]]

    public init(optionValues: [String: ParsedValue] = [:], positionalValues: [String: [String]] = [:]) {
        self.optionValues = optionValues
        self.positionalValues = positionalValues
    }

    /// The option's value, or its default when the user did not give it.
    public subscript<Value>(_ option: Option<Value>) -> Value {
        option.extract(optionValues[option.spec.long])
    }

    /// Whether the user gave the option explicitly (as opposed to its default applying).
    public func contains<Value>(_ option: Option<Value>) -> Bool {
        optionValues[option.spec.long] != nil
    }

    /// The value of a single positional (`.one` or `.optional`), nil when absent.
    public func value(_ positional: PositionalSpec) -> String? {
        positionalValues[positional.name]?.first
    }

    /// All values of a repeating positional, in order.
    public func values(_ positional: PositionalSpec) -> [String] {
        positionalValues[positional.name] ?? []
    }

    /// Stores a value; list options accumulate across repetitions, other options keep the last.
    mutating func set(_ value: ParsedValue, for long: String) {
        if case .list(let old)? = optionValues[long], case .list(let new) = value {
            optionValues[long] = .list(old + new)
        } else {
            optionValues[long] = value
        }
    }

    mutating func appendPositional(_ value: String, to name: String) {
        positionalValues[name, default: []].append(value)
    }
}
