import CaloNN
import CaloTensor
import Synchronization

/// The held-out showers of a stage cut into fixed chunks of `size`, the unit of validation
/// work: each chunk is evaluated as one batch by one worker with one BLAS thread, with its own
/// random streams (`RandomStreams.validation`), and the per-chunk sums are added in chunk order.
/// Validation numbers therefore do not depend on the number of workers or processes, and the
/// best epoch (and early stopping) is the same however a run is spread.
public struct ValidationChunks: Sendable {
    /// Showers per chunk.
    public static let size = 500

    /// File rows of the held-out showers, in order.
    public let indices: [Int]

    public init(indices: [Int]) { self.indices = indices }

    /// Number of chunks.
    public var count: Int { (indices.count + Self.size - 1) / Self.size }

    /// The file rows of chunk `c`.
    public func chunk(_ c: Int) -> [Int] { Array(indices[(c * Self.size)..<min(indices.count, (c + 1) * Self.size)]) }

    /// The chunks process `rank` of `size` evaluates (a contiguous block).
    public func chunks(rank: Int, of size: Int) -> Range<Int> {
        (count * rank / max(1, size))..<(count * (rank + 1) / max(1, size))
    }

    /// The file rows spanned by the chunks of process `rank` of `size` (what it must load).
    public func fileRows(rank: Int, of size: Int) -> [Range<Int>] {
        let local = chunks(rank: rank, of: size)
        guard !local.isEmpty else { return [] }
        let first = indices[local.lowerBound * Self.size]
        let last = indices[min(indices.count, local.upperBound * Self.size) - 1]
        return [first..<(last + 1)]
    }

    /// Runs `body(chunk, rows)` for this process's chunks on up to `threads` workers (one BLAS
    /// thread each) and returns every chunk's numbers (`values` per chunk), all processes'
    /// included, in chunk order.
    public func evaluate(values: Int, setup: DataParallelSetup,
                         _ body: @Sendable (_ chunk: Int, _ rows: [Int]) throws -> [Double]) throws -> [[Double]] {
        let local = chunks(rank: setup.rank, of: setup.size)
        let results = Mutex([[Double]](repeating: [], count: local.count))
        let next = Atomic<Int>(0)
        let me = self
        try ComputeThreads.onWorkers(max(1, min(setup.threads, local.count))) { _ in
            while true {
                let k = next.add(1, ordering: .relaxed).oldValue
                guard k < local.count else { return }
                let v = try body(local.lowerBound + k, me.chunk(local.lowerBound + k))
                results.withLock { $0[k] = v }
            }
        }
        var all = [Double](repeating: 0, count: count * values)
        for (k, v) in results.withLock({ $0 }).enumerated() {
            guard v.count == values else { throw PipelineError.invalidData("a validation chunk returned \(v.count) values, \(values) expected") }
            for j in 0..<values { all[(local.lowerBound + k) * values + j] = v[j] }
        }
        if let group = setup.group { try group.sum(&all) }
        return (0..<count).map { c in Array(all[(c * values)..<((c + 1) * values)]) }
    }
}
