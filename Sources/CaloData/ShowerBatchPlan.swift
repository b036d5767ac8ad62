/// Where the batches of a run of showers start and end: `count` showers in batches of
/// `batchSize`, batch b covering showers b·batchSize ..< min(count, (b + 1)·batchSize), so only
/// the last batch may be smaller.
///
/// The one owner of these boundaries: the generation stream (which draws each batch's random
/// streams by batch index), the file writer that appends batch after batch, and the commands
/// and benchmark that connect the two all take the same plan instead of each cutting the run
/// up on its own.
public struct ShowerBatchPlan: Sendable, Equatable, CustomStringConvertible {
    /// Showers in the whole run (≥ 0).
    public let count: Int
    /// Showers per batch (≥ 1).
    public let batchSize: Int

    /// A negative `count` is taken as 0 and a `batchSize` below 1 as 1.
    public init(count: Int, batchSize: Int) {
        self.count = max(0, count)
        self.batchSize = max(1, batchSize)
    }

    /// Number of batches (0 for an empty run).
    public var batches: Int { (count + batchSize - 1) / batchSize }

    /// The showers of batch `b` (0 ≤ b < `batches`).
    public func range(ofBatch b: Int) -> Range<Int> {
        precondition(b >= 0 && b < batches, "batch \(b) is outside 0..<\(batches)")
        return (b * batchSize)..<min(count, (b + 1) * batchSize)
    }

    /// The batch containing shower `index` (0 ≤ index < `count`).
    public func batch(containing index: Int) -> Int {
        precondition(index >= 0 && index < count, "shower \(index) is outside 0..<\(count)")
        return index / batchSize
    }

    public var description: String { "\(count) showers in \(batches) batches of up to \(batchSize)" }
}
