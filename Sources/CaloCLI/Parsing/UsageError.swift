/// A mistake on the command line. Reported as one `error: ...` line plus a hint to run
/// `--help`, with exit code 2, before any work starts.
public enum UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownCommand(String, suggestion: String?)
    case unknownOption(String, suggestion: String?)
    /// A root-level option given before the command name, e.g. `caloflow --seed 3 simulate`.
    case optionBeforeCommand(String)
    case missingCommand
    case missingValue(option: String, expected: String)
    case flagWithValue(option: String)
    case invalidValue(option: String, value: String, expected: String)
    case outOfRange(option: String, value: String, allowed: String)
    case invalidChoice(option: String, value: String, choices: [String], suggestion: String?)
    case missingRequired(option: String)
    case missingArgument(String)
    case unexpectedArgument(String)
    /// A check of the command's own `validate()` failed.
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownCommand(let name, let suggestion):
            return "unknown command '\(name)'" + Self.didYouMean(suggestion)
        case .unknownOption(let name, let suggestion):
            return "unknown option '\(name)'" + Self.didYouMean(suggestion)
        case .optionBeforeCommand(let name):
            return "option '\(name)' belongs after the command name (caloflow <command> \(name) ...)"
        case .missingCommand:
            return "missing command"
        case .missingValue(let option, let expected):
            return "option '\(option)' needs a value (\(expected))"
        case .flagWithValue(let option):
            return "option '\(option)' is a flag and takes no value"
        case .invalidValue(let option, let value, let expected):
            return "invalid value '\(value)' for '\(option)': expected \(expected)"
        case .outOfRange(let option, let value, let allowed):
            return "value \(value) for '\(option)' is out of range (allowed: \(allowed))"
        case .invalidChoice(let option, let value, let choices, let suggestion):
            return "invalid value '\(value)' for '\(option)': choose one of \(choices.joined(separator: ", "))"
                + Self.didYouMean(suggestion)
        case .missingRequired(let option):
            return "missing required option '\(option)'"
        case .missingArgument(let name):
            return "missing argument \(name)"
        case .unexpectedArgument(let value):
            return "unexpected argument '\(value)'"
        case .invalid(let message):
            return message
        }
    }

    private static func didYouMean(_ suggestion: String?) -> String {
        suggestion.map { " (did you mean '\($0)'?)" } ?? ""
    }
}

/// Thrown by a command's `validate()` when options are individually fine but do not fit
/// together, e.g. `ValidationError("--quiet and --verbose cannot be used together")`.
/// Reported like a usage error (exit code 2).
public struct ValidationError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Process exit codes of `caloflow`.
public enum ExitCode: Int32, Sendable {
    /// The command did its work.
    case success = 0
    /// The work failed at run time (unreadable file, non-finite loss, ...).
    case failure = 1
    /// The command line was wrong; nothing was done.
    case usage = 2
}
