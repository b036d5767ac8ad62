/// How much a command prints to the console.
public enum Verbosity: Int, Sendable, Comparable {
    /// Warnings and errors only; no progress line.
    case quiet
    /// Progress and the main steps.
    case normal
    /// Also details (settings, per-epoch breakdowns).
    case verbose

    public static func < (a: Verbosity, b: Verbosity) -> Bool { a.rawValue < b.rawValue }
}
