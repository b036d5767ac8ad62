import CaloTensor
import Synchronization

/// Data-parallel gradients: each optimizer step's batch is cut into a fixed number of *shards*,
/// every shard's gradient is computed on its own (by whichever worker thread or process holds
/// it), and the shard gradients are added in shard order.
///
/// The sum is the same left fold, entry by entry, however the shards are spread:
///
///     total = (…((total + g₀) + g₁) …) + g_{S−1}
///
/// in Float, where gₛ is shard s's gradient computed from zero by one worker with one BLAS
/// thread. A shard's gradient depends only on its rows and random streams, and the order of the
/// additions is fixed, so for a given shard count the result is bit-identical for any number of
/// workers and processes: one process with 1, 2 or 8 workers, or `mpirun -np 2` with one worker
/// each. Only the shard count changes the rounding (and, through the data plan, the batches).
///
/// Within a process the workers take the local shards in rounds, one shard each; rank 0 (or a
/// single process) adds each round to `total` as soon as it is done. Across processes the sum is
/// a pipelined chain in rank order (`ProcessGroup.orderedSum`): rank 0 sends its running total,
/// each following rank adds its shards and passes it on, and the last rank's result reaches every
/// rank, which then all take the same optimizer step. Only the live (unmasked) entries travel, in
/// one packed message per step.
///
/// With one shard in one process the backward pass writes straight into `total` on the calling
/// thread, with whatever BLAS threading is set: the single-worker training of before.
public final class DataParallelGradients {
    public let layout: GradientLayout
    /// Shards per step (the same on every process).
    public let shards: Int
    /// The other processes, or nil for a single process.
    public let group: ProcessGroup?
    /// The shards this process computes (a contiguous block; rank r of K holds
    /// `shards·r/K ..< shards·(r+1)/K`).
    public let localShards: Range<Int>
    /// Worker threads (each computes whole shards with one BLAS thread).
    public let workers: Int
    /// The gradient of the current optimizer step: everything accumulated since `zero()`.
    public var total: GradientBuffer {
        if pendingZero { sum.zero(); pendingZero = false }
        return sum
    }

    /// `total`'s storage. `zero()` only marks it: the first fold of a step writes
    /// (…((0 + g₀) + g₁) …) without reading it (the same Float operations as adding to a zeroed
    /// buffer, one pass over the gradient less), and a later process's chain result overwrites
    /// every live entry; reading `total` before either zeroes it.
    private let sum: GradientBuffer
    private var pendingZero = false

    private var buffers: [GradientBuffer] = []
    private var packed: UnsafeMutablePointer<Float>?

    /// - Parameters:
    ///   - parameters: the trained parameters (the layout's order: the optimizer's).
    ///   - shards: shards per step, ≥ the number of processes.
    ///   - threads: worker threads available to this process (the workers are at most the
    ///     local shard count).
    /// - Throws: `NNError.invalidHyperparameter` for fewer shards than processes.
    public init(parameters: [Parameter], shards: Int, group: ProcessGroup?, threads: Int) throws {
        let size = group?.size ?? 1, rank = group?.rank ?? 0
        guard shards >= 1 else { throw NNError.invalidHyperparameter("the shard count must be ≥ 1, got \(shards)") }
        guard shards >= size else {
            throw NNError.invalidHyperparameter("\(shards) gradient shards cannot be spread over \(size) processes: each needs at least one")
        }
        layout = GradientLayout(parameters)
        self.shards = shards
        self.group = size > 1 ? group : nil
        localShards = Self.shards(rank: rank, of: size, total: shards)
        workers = max(1, min(threads, localShards.count))
        sum = GradientBuffer(layout)
    }

    deinit { packed?.deallocate() }

    /// The shards of rank `rank` of `size` processes.
    public static func shards(rank: Int, of size: Int, total: Int) -> Range<Int> {
        (total * rank / size)..<(total * (rank + 1) / size)
    }

    /// True when the backward pass writes straight into `total` (one shard, one process).
    public var isDirect: Bool { shards == 1 && group == nil }

    /// Starts a new optimizer step: `total` = 0.
    public func zero() { pendingZero = true }

    /// Computes every shard's gradient and adds them to `total` in shard order (see the type).
    ///
    /// - Parameters:
    ///   - valuesPerShard: how many numbers `body` returns per shard (losses and the like).
    ///   - body: `(shard, gradients)`: adds shard `shard`'s gradient into `gradients` (zero when
    ///     called, except in the direct mode, where it is `total`) and returns its numbers. Runs
    ///     on the worker threads with single-threaded BLAS (or on the calling thread in the
    ///     direct mode), one call per local shard.
    /// - Returns: the numbers of every shard (all processes), in shard order.
    public func accumulate(valuesPerShard: Int,
                           _ body: @Sendable (_ shard: Int, _ gradients: GradientBuffer) throws -> [Double]) throws -> [[Double]] {
        var local = [[Double]](repeating: [], count: localShards.count)
        if isDirect {
            local[0] = try body(0, total)
        } else {
            let isFirst = (group?.rank ?? 0) == 0
            // Rank 0 folds round by round; later ranks keep every local shard for the chain.
            let needed = isFirst ? min(workers, localShards.count) : localShards.count
            while buffers.count < needed { buffers.append(GradientBuffer(layout)) }
            let results = ShardResults(count: localShards.count)
            var first = 0
            while first < localShards.count {
                let round = min(workers, localShards.count - first)
                let slots = UnsafeSendable(buffers), start = first, lo = localShards.lowerBound
                try ComputeThreads.onWorkers(round) { w in
                    let k = start + w
                    let target = slots.value[isFirst ? w : k]
                    target.zero()
                    results.set(k, try body(lo + k, target))
                }
                if isFirst {
                    if pendingZero { sum.setSum(Array(buffers[0..<round])); pendingZero = false } else { sum.add(Array(buffers[0..<round])) }
                }
                first += round
            }
            local = results.values
            if let group { try chain(group, isFirst: isFirst) }
        }
        for v in local where v.count != valuesPerShard {
            throw NNError.stateMismatch("a shard returned \(v.count) values, \(valuesPerShard) expected")
        }
        // Every shard's numbers on every process: each process fills its own shards' entries.
        var exchange = [Double](repeating: 0, count: shards * valuesPerShard)
        for (k, v) in local.enumerated() {
            for j in 0..<valuesPerShard { exchange[(localShards.lowerBound + k) * valuesPerShard + j] = v[j] }
        }
        if let group { try group.sum(&exchange) }
        return (0..<shards).map { s in Array(exchange[(s * valuesPerShard)..<((s + 1) * valuesPerShard)]) }
    }

    /// The ordered sum across processes: rank 0 passes on `total` (its shards already in it),
    /// each later rank adds its shards in order; `total` becomes the result everywhere.
    private func chain(_ group: ProcessGroup, isFirst: Bool) throws {
        let n = layout.liveCount
        if packed == nil { packed = .allocate(capacity: max(1, n)) }
        let sources = isFirst ? [] : Array(buffers[0..<localShards.count])
        let total = sum  // rank 0's holds its shards; a later rank's is only written (unpack)
        try group.orderedSum(count: n, step: { range, incoming, out in
            total.packedSum(range, incoming: incoming, sources: sources, into: out)
        }, result: packed!)
        total.unpack(0..<n, from: packed!)
        pendingZero = false
    }
}

/// One slot per shard for the numbers workers return.
private final class ShardResults: Sendable {
    private let slots: Mutex<[[Double]]>
    init(count: Int) { slots = Mutex([[Double]](repeating: [], count: count)) }
    func set(_ k: Int, _ v: [Double]) { slots.withLock { $0[k] = v } }
    var values: [[Double]] { slots.withLock { $0 } }
}
