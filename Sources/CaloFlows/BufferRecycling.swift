import CaloTensor
import Synchronization

/// Keeps the `BlockPass`es of finished traces for the next pass through the same flow.
///
/// Why: a pass of the paper's flows holds, per block, a [B, 11592] MADE output (46 MB at
/// B = 1000) plus the MADE activations. Allocating them fresh every step costs a zero-fill
/// and, above glibc's mmap threshold, page faults on every page. A trace hands its passes back when it is freed, but only passes nobody
/// else holds (`isKnownUniquelyReferenced`), so a pass a caller kept is never overwritten;
/// matrices copied out of a pass (`madeOutputs`) are values and stay intact (copy-on-write).
final class BlockPassRecycler: Sendable {
    private let spare = Mutex<[BlockPass]>([])
    /// At most this many passes are kept.
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// A recycled pass, or a new one.
    func take() -> BlockPass {
        spare.withLock { $0.popLast() } ?? BlockPass()
    }

    func give(_ pass: BlockPass) {
        spare.withLock { if $0.count < capacity { $0.append(pass) } }
    }
}

/// A few large Float arrays kept between uses (the [B, D·(3K−1)] spline-parameter gradient
/// of each block's backward pass, one per concurrent worker), so they are allocated and
/// zero-filled once instead of every step. Arrays come back with stale contents: callers overwrite them completely.
enum LargeBufferPool {
    /// Arrays smaller than this are not worth pooling (malloc serves them from the heap).
    static let minimumCount = 1 << 20
    /// Two per CPU: one backward pass per data-parallel worker, with room for a second shape.
    static let maximumKept = 2 * max(1, Parallel.onlineCPUs)
    private static let kept = Mutex<[[Float]]>([])

    /// An array of exactly `count` elements (contents undefined when recycled).
    static func take(_ count: Int) -> [Float] {
        if count >= minimumCount, let a = kept.withLock({ list -> [Float]? in
            guard let i = list.firstIndex(where: { $0.count == count }) else { return nil }
            return list.remove(at: i)
        }) {
            return a
        }
        return [Float](repeating: 0, count: count)
    }

    /// Returns an array for later use (dropped if too small or the pool is full).
    static func give(_ array: consuming [Float]) {
        guard array.count >= minimumCount else { return }
        let a = array
        kept.withLock { list in
            if list.count >= maximumKept { list.removeFirst() }
            list.append(a)
        }
    }
}
