/// How a generation run of `count` showers is cut into `parts` contiguous blocks of shower
/// indices, one per process (`caloflow generate --part i/n`, or rank i of n under mpirun),
/// such that the blocks together hold exactly the showers of one process.
///
/// Every shower draws from its own random stream (seed, index) and takes the incident energy of
/// its index, so any block would hold the same showers up to rounding; the rounding too is the
/// same when the block's passes through the flows (`ShowerGenerator.flowBatch` showers, cut per
/// write batch of `batchSize`) are the whole run's passes, because a matrix product of another
/// shape may sum in another order. Blocks therefore start at a multiple of the *unit*: the pass
/// size F when the batch size B is a multiple of it (the run's passes then start at every
/// multiple of F), else the batch size (passes restart at every batch). With the defaults
/// (B = 10,000, F = 1000) the unit is 1000 showers. The U = ⌈count/unit⌉ units are shared out
/// as ⌊U·i/n⌋ ..< ⌊U·(i+1)/n⌋, so blocks differ by at most one unit; with fewer units than
/// parts some parts are empty.
public struct GenerationPartition: Sendable, Equatable {
    /// Showers of the whole run.
    public let count: Int
    /// Write batch size of the run (B).
    public let batchSize: Int
    /// Showers per pass through the flows (F).
    public let flowBatch: Int
    /// Number of blocks (n ≥ 1).
    public let parts: Int

    public init(count: Int, batchSize: Int, flowBatch: Int, parts: Int) {
        self.count = max(0, count)
        self.batchSize = max(1, batchSize)
        self.flowBatch = max(1, flowBatch)
        self.parts = max(1, parts)
    }

    /// Showers per unit: blocks start at multiples of it.
    public var unit: Int { batchSize % flowBatch == 0 ? flowBatch : batchSize }

    /// Units of the run (U).
    public var units: Int { (count + unit - 1) / unit }

    /// The shower indices of block `i` (0 ≤ i < parts).
    public func range(ofPart i: Int) -> Range<Int> {
        precondition(i >= 0 && i < parts, "part \(i) is outside 0..<\(parts)")
        let u = units
        let lo = u * i / parts, hi = u * (i + 1) / parts
        return min(count, lo * unit)..<min(count, hi * unit)
    }
}
