// MARK: - RenderError

/// Errors of the rendering module, each with a message a user can act on.
public enum RenderError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Inputs that cannot be drawn (shape mismatch, empty data, bad range).
    case invalidInput(String)
    /// libpng reported a failure (message from libpng).
    case png(String)
    /// A file could not be written or read.
    case io(String)

    public var description: String {
        switch self {
        case .invalidInput(let m): return "rendering: invalid input: \(m)"
        case .png(let m): return "rendering: PNG error: \(m)"
        case .io(let m): return "rendering: I/O error: \(m)"
        }
    }
}
