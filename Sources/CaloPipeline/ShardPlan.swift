import CaloNN
import CaloTensor

/// How a training stage's showers and each step's batch are divided into gradient shards
/// (`DataParallelGradients`).
///
/// Shard s takes `batchRows(s)` = ⌊B(s+1)/S⌋ − ⌊Bs/S⌋ rows of every batch of B, from its own
/// fixed *part* of the training showers: the positions `part(s)` of the (sorted) training
/// indices, sized in proportion to those rows. Each epoch every part is shuffled on its own
/// stream (seed, stage, epoch, shard), and step k gives shard s the positions
/// `k·batchRows(s) ..< (k+1)·batchRows(s)` of its shuffled part. An epoch therefore visits every
/// training shower once, each batch draws from every part in proportion, and a process that
/// holds shards `a..<b` needs only the showers of parts a..<b: a contiguous range of the file.
///
/// Every random draw of a shard's step (voxel noise, dropout, distillation's latent codes and
/// conditions) comes from a stream of (seed, stage, purpose, epoch, step, shard), so a shard's
/// gradient does not depend on which worker or process computes it. With one shard the plan is
/// the plain epoch of shuffled batches.
public struct ShardPlan: Sendable, Equatable {
    /// S: shards per step.
    public let shards: Int
    /// B: rows per step (the global batch).
    public let batchSize: Int
    /// N: training showers.
    public let trainingCount: Int
    /// Steps per epoch: enough for every part to be visited.
    public let stepsPerEpoch: Int

    /// - Throws: `PipelineError.invalidData` unless 1 ≤ S ≤ B.
    public init(shards: Int, batchSize: Int, trainingCount: Int) throws {
        guard shards >= 1, batchSize >= 1 else {
            throw PipelineError.invalidData("shards and batch size must be ≥ 1 (got \(shards) and \(batchSize))")
        }
        guard shards <= batchSize else {
            throw PipelineError.invalidData("\(shards) gradient shards do not fit a batch of \(batchSize): every shard needs at least one shower per step")
        }
        guard shards <= RandomStreams.maximumShards else {
            throw PipelineError.invalidData("at most \(RandomStreams.maximumShards) gradient shards are supported, got \(shards)")
        }
        self.shards = shards
        self.batchSize = batchSize
        self.trainingCount = max(0, trainingCount)
        var steps = 1
        for s in 0..<shards {
            let rows = batchSize * (s + 1) / shards - batchSize * s / shards
            let n = Self.partStart(s + 1, shards: shards, batch: batchSize, count: trainingCount)
                - Self.partStart(s, shards: shards, batch: batchSize, count: trainingCount)
            steps = max(steps, (n + rows - 1) / rows)
        }
        guard steps <= RandomStreams.maximumStepsPerEpoch else {
            throw PipelineError.invalidData("\(steps) steps per epoch exceed the \(RandomStreams.maximumStepsPerEpoch) the random streams can tell apart; use a larger batch")
        }
        stepsPerEpoch = steps
    }

    private static func partStart(_ s: Int, shards: Int, batch: Int, count: Int) -> Int {
        let rowsBefore = batch * s / shards
        return Int((Int64(count) * Int64(rowsBefore)) / Int64(batch))
    }

    /// Rows shard `s` takes from each full step.
    public func batchRows(_ s: Int) -> Int { batchSize * (s + 1) / shards - batchSize * s / shards }

    /// Positions (into the sorted training indices) of shard `s`'s part.
    public func part(_ s: Int) -> Range<Int> {
        Self.partStart(s, shards: shards, batch: batchSize, count: trainingCount)
            ..< Self.partStart(s + 1, shards: shards, batch: batchSize, count: trainingCount)
    }

    /// Positions of the parts of shards `range` (contiguous).
    public func parts(_ range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty else { return 0..<0 }
        return part(range.lowerBound).lowerBound..<part(range.upperBound - 1).upperBound
    }

    /// The offsets into shard `s`'s shuffled part used in step `k` (empty once the part is used up).
    public func window(shard s: Int, step k: Int) -> Range<Int> {
        let n = part(s).count, b = batchRows(s)
        let lo = min(n, k * b)
        return lo..<min(n, lo + b)
    }

    /// The file rows spanned by the parts of process `rank` of `size`'s shards (what it must
    /// load), given the sorted training indices.
    public func fileRows(_ trainIndices: [Int], rank: Int, of size: Int) -> [Range<Int>] {
        let positions = parts(DataParallelGradients.shards(rank: rank, of: size, total: shards))
        guard !positions.isEmpty else { return [] }
        return [trainIndices[positions.lowerBound]..<(trainIndices[positions.upperBound - 1] + 1)]
    }

    /// Rows of step `k` over all shards (the divisor of the batch-mean loss).
    public func stepRows(_ k: Int) -> Int { (0..<shards).reduce(0) { $0 + window(shard: $1, step: k).count } }

    /// The epoch's order of shard `s`'s part: training indices (file rows) in shuffled order.
    public func shuffledPart(_ s: Int, trainIndices: [Int], seed: UInt64, stage: FlowStage, epoch: Int) -> [Int] {
        let positions = part(s)
        var rng = Xoshiro256(seed: seed, stream: RandomStreams.shard(stage: stage, purpose: RandomStreams.shuffle,
                                                                       epoch: epoch, step: 0, shard: s))
        return rng.permutation(positions.count).map { trainIndices[positions.lowerBound + $0] }
    }
}
