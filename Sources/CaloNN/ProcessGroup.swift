/// The processes of one data-parallel training (MPI ranks), as one of them sees them: the few
/// collective operations `DataParallelGradients` and the trainers need. A single process needs
/// none of it (the trainers take `nil`); the MPI implementation lives outside the numerical
/// libraries, so nothing here links MPI.
///
/// Every process must call the same operations in the same order with the same sizes (a
/// collective called by only some processes waits for the others). Implementations turn a
/// process that died or stopped answering into a thrown error or an abort of the whole job,
/// never into a wait without end.
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, 0 ..< size. Rank 0 alone writes files.
    var rank: Int { get }
    /// Number of processes.
    var size: Int { get }

    /// Replaces `values` (the same count on every process) by their elementwise sum over all
    /// processes. Callers give every entry at most one non-zero contribution (each process fills
    /// its own entries and leaves the rest 0), so the sums are exact and equal everywhere
    /// whatever order the implementation adds in.
    func sum(_ values: inout [Double]) throws

    /// An ordered sum across processes of `count` floats: process 0 computes its terms
    /// (`step(range, nil, out)`), and each following process adds its own terms to what the
    /// previous one passed on (`step(range, incoming, out)`), in rank order; every process ends
    /// with the last process's output in `result`. The implementation may cut the count into
    /// chunks and pipeline them, calling `step` once per chunk with that chunk's packed range
    /// (`incoming` and `out` then hold just that range). The result is therefore the same, bit
    /// for bit, as one process applying every process's `step` in rank order.
    func orderedSum(count: Int, step: (_ range: Range<Int>, _ incoming: UnsafePointer<Float>?,
                                       _ out: UnsafeMutablePointer<Float>) -> Void,
                    result: UnsafeMutablePointer<Float>) throws

    /// Copies `count` bytes from `root`'s `bytes` into every other process's `bytes`.
    func broadcast(_ bytes: UnsafeMutableRawPointer, count: Int, root: Int) throws

    /// Returns once every process has called it.
    func barrier() throws
}

extension ProcessGroup {
    /// True on every process when `flag` is true on any.
    public func any(_ flag: Bool) throws -> Bool {
        var v = [flag ? 1.0 : 0.0]
        try sum(&v)
        return v[0] > 0
    }
}
