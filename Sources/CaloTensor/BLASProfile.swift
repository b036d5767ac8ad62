import Synchronization

/// Opt-in accounting of the wall time and floating-point operations spent inside
/// `BLAS.sgemm`, so a benchmark can say how fast the dense products run *inside* a training or
/// sampling step (not only as a standalone product) and what share of the step they take.
///
/// Off by default: then each product pays one relaxed atomic load. While on, every product is
/// timed with a monotonic clock and its 2·m·n·k flops are added to the totals. With several
/// threads calling BLAS at once, `seconds` is the sum over callers.
public enum BLASProfile {
    public struct Totals: Sendable {
        public var seconds = 0.0
        public var flops = 0.0
        public var calls = 0
        public init() {}
        /// Flops per second of product time, in GFLOP/s.
        public var gflops: Double { seconds > 0 ? flops / seconds / 1e9 : 0 }
    }

    @usableFromInline static let enabled = Atomic<Bool>(false)
    @usableFromInline static let totals = Mutex(Totals())

    /// Runs `body` with accounting on and returns what the products inside it cost.
    /// Not reentrant: do not nest `measure` calls.
    public static func measure(_ body: () throws -> Void) rethrows -> Totals {
        totals.withLock { $0 = Totals() }
        enabled.store(true, ordering: .sequentiallyConsistent)
        defer { enabled.store(false, ordering: .sequentiallyConsistent) }
        try body()
        return totals.withLock { $0 }
    }

    @usableFromInline
    static func record(seconds: Double, m: Int, n: Int, k: Int) {
        totals.withLock { t in
            t.seconds += seconds
            t.flops += 2 * Double(m) * Double(n) * Double(k)
            t.calls += 1
        }
    }
}
