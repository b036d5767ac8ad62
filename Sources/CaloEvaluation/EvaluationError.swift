/// An error from the evaluation code: bad input a user can trigger (mismatched lengths, empty
/// classes, invalid binning, non-finite scores). The message says what was wrong and where.
public struct EvaluationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A human-readable explanation, e.g. "ROC: scores has 10 entries, labels has 9".
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
