import CaloNN
import CaloTensor

/// How a training stage spreads its work: the gradient shards per step, the worker threads of
/// this process and the other processes (MPI ranks), if any. See `DataParallelGradients` for
/// what the shard count fixes and `ShardPlan` for how shards map to showers.
public struct DataParallelSetup: Sendable {
    /// Gradient shards per optimizer step (recorded in the stage's checkpoints; a resumed run
    /// keeps its own).
    public var shards: Int
    /// Worker threads of this process.
    public var threads: Int
    /// The processes of an MPI job, or nil for a single process.
    public var group: ProcessGroup?

    public init(shards: Int = 1, threads: Int = Parallel.maxWorkers, group: ProcessGroup? = nil) {
        self.shards = shards
        self.threads = max(1, threads)
        self.group = group
    }

    /// This process's rank (0 for a single process).
    public var rank: Int { group?.rank ?? 0 }
    /// Number of processes.
    public var size: Int { group?.size ?? 1 }
    /// Rank 0: the process that writes checkpoints, metrics, logs and run.json.
    public var isLeader: Bool { rank == 0 }

    /// The shard count a new run takes unless told otherwise: one per worker thread of every
    /// process, so each worker computes one shard per step.
    public static func defaultShards(threads: Int, processes: Int) -> Int { max(1, threads) * max(1, processes) }

    /// The shards this process computes.
    public var localShards: Range<Int> { DataParallelGradients.shards(rank: rank, of: size, total: shards) }

    /// Worker threads that actually compute shards (at most one per local shard).
    public var workers: Int { max(1, min(threads, localShards.count)) }

    /// True when the stage runs as one worker on the calling thread with OpenBLAS's own threads
    /// (one shard, one process): the training of a single model before data parallelism.
    public var threadedProducts: Bool { shards == 1 && size == 1 }

    /// A stop request (SIGINT/SIGTERM) on this or any other process: a collective, so every
    /// process asks at the same step boundary and all stop there together.
    public func stopRequested() throws -> Bool {
        let here = TrainingSignals.stopRequested
        guard let group else { return here }
        return try group.any(here)
    }

    /// Runs `body` with the thread settings of this setup: one BLAS thread per worker when
    /// several workers compute shards, else `threads` BLAS threads; `Parallel` loops (the
    /// optimizer, the sums of shard gradients) use `threads` workers either way.
    public func withThreadSettings<R>(_ body: () throws -> R) rethrows -> R {
        try ComputeThreads.with(blas: threadedProducts ? threads : 1, workers: threads, body)
    }
}
