/// A positional argument of a command, e.g. the file in `caloflow info <file>`.
///
/// Positional values are paths or words; commands check their meaning in `validate()`.
public struct PositionalSpec: Sendable, Equatable {
    /// How many values this positional takes. Only the last positional may repeat.
    public enum Arity: Sendable, Equatable {
        case one, optional, oneOrMore, zeroOrMore
    }

    /// Placeholder shown in usage and help, e.g. `file` for `<file>`.
    public let name: String
    public let help: String
    public let arity: Arity
    /// Expand a leading `~/` like a path.
    public let isPath: Bool

    public init(_ name: String, arity: Arity = .one, isPath: Bool = true, help: String) {
        self.name = name
        self.help = help
        self.arity = arity
        self.isPath = isPath
    }

    var minimumCount: Int { arity == .one || arity == .oneOrMore ? 1 : 0 }
    var isRepeating: Bool { arity == .oneOrMore || arity == .zeroOrMore }

    /// `<file>`, `[<file>]`, `<file>...` or `[<file>...]`.
    var usage: String {
        switch arity {
        case .one: return "<\(name)>"
        case .optional: return "[<\(name)>]"
        case .oneOrMore: return "<\(name)>..."
        case .zeroOrMore: return "[<\(name)>...]"
        }
    }
}
