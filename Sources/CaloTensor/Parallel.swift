import Dispatch

/// A pointer or other non-Sendable value handed to parallel workers that touch disjoint parts
/// of it. The caller guarantees the disjointness; this wrapper only silences the checker.
public struct UnsafeSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// Parallel loops over index ranges. Results must never depend on the number of workers:
/// randomness is drawn from per-item streams (`Xoshiro256(seed:stream:)`), each worker
/// writes only to its own rows, and each worker computes in the calling thread's
/// `SubnormalMode`.
public enum Parallel {
    /// Upper bound on the workers a loop uses (default: the number of active CPUs).
    nonisolated(unsafe) public static var maxWorkers: Int = max(1, sysconfNumCPU())

    /// The number of online CPUs.
    public static var onlineCPUs: Int { max(1, sysconfNumCPU()) }

    /// Runs `body` over `0..<count` split into contiguous chunks of at least `minChunk`
    /// items, one chunk per worker. Serial when one chunk suffices.
    public static func forEachChunk(_ count: Int, minChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = min(maxWorkers, max(1, count / max(1, minChunk)))
        if workers <= 1 { body(0..<count); return }
        let mode = SubnormalMode.current
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            if lo < hi { SubnormalMode.run(in: mode) { body(lo..<hi) } }
        }
    }

    /// Runs `body(i)` for every i in `0..<count`, with dynamic scheduling in blocks of `grain`.
    public static func forEach(_ count: Int, grain: Int = 1, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let blocks = (count + grain - 1) / grain
        if maxWorkers <= 1 || blocks <= 1 { for i in 0..<count { body(i) }; return }
        let mode = SubnormalMode.current
        DispatchQueue.concurrentPerform(iterations: blocks) { b in
            SubnormalMode.run(in: mode) {
                for i in (b * grain)..<min(count, (b + 1) * grain) { body(i) }
            }
        }
    }
}

@inline(__always) private func sysconfNumCPU() -> Int {
    #if canImport(Glibc)
    return Int(Glibc.sysconf(Int32(Glibc._SC_NPROCESSORS_ONLN)))
    #else
    return 1
    #endif
}

#if canImport(Glibc)
import Glibc
#endif
