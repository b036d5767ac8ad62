/// Why the embedding library refused a request. Every case carries a message for the user that
/// names the problem; the C API maps each case to one status code (`caloflow.h`).
public enum InferenceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A null pointer, a count or size out of range, an unknown option.
    case invalidArgument(String)
    /// The run directory or a checkpoint it needs is missing.
    case notFound(String)
    /// A checkpoint that cannot be read or does not fit (foreign, truncated, wrong stage or shape).
    case badModel(String)
    /// An incident energy that is not finite, not positive or outside the training range.
    case energy(String)
    /// The caller's output (or latent) buffer is smaller than the request needs.
    case bufferTooSmall(String)
    /// A caller-supplied latent value that is not finite.
    case latent(String)
    /// The context is in use by another thread (contexts are one per thread).
    case busy(String)
    /// Memory for the model or a context could not be allocated.
    case outOfMemory(String)

    public var description: String {
        switch self {
        case .invalidArgument(let m), .notFound(let m), .badModel(let m), .energy(let m), .bufferTooSmall(let m),
             .latent(let m), .busy(let m), .outOfMemory(let m):
            return m
        }
    }
}
