import CaloData
import CaloTensor
import Dispatch

/// Many write batches of generated showers, with the workers kept busy across batch boundaries.
///
/// `ShowerGenerator.generate` makes one batch: its workers take passes until none is left, and
/// the first worker to run out waits for the others, for half a pass on average. A stream keeps one pool of workers
/// for the whole run. They take passes in order across batches (all passes of batch b, then
/// those of b + 1), so a worker that finds batch b's last pass taken starts on batch b + 1,
/// while `next()` hands out each batch as soon as its last pass is done.
///
/// The showers are exactly `generate`'s: batch b covers the showers `plan.range(ofBatch: b)`,
/// its energies are `energies(range)`, and it is cut into the same passes; every shower draws
/// from its own random stream (seed, shower index).
///
/// Workers run at most one batch ahead of the batch last asked for; with the batch a file
/// writer is still compressing, at most three batches are in memory, whatever `count` is.
/// Streams are used through `ShowerGenerator.stream`, which stops the workers when its body
/// returns or throws.
public final class GenerationStream: @unchecked Sendable {
    /// Where the stream's batches start and end.
    public let plan: ShowerBatchPlan
    /// Showers in the whole stream, and per batch (the last batch may be smaller).
    public var count: Int { plan.count }
    public var batchSize: Int { plan.batchSize }
    /// Number of batches.
    public var batches: Int { plan.batches }

    private let generator: ShowerGenerator
    private let seed: UInt64
    /// The run's index of the stream's first shower (random streams count from it).
    private let firstShower: Int
    private let energiesOf: @Sendable (Range<Int>) throws -> [Float]
    private let passesPerFullBatch: Int
    private let totalPasses: Int
    private let finished = DispatchGroup()

    // Guarded by `lock`.
    private let lock = ConditionLock()
    private var nextPass = 0
    private var requested = 0
    private var pending: [Int: Pending] = [:]
    private var failure: (any Error)?
    private var stopped = false
    /// The batch `next()` returns next (used by the consumer only).
    private var delivered = 0

    /// One batch in the making: its energies, one slot per pass, the passes not yet done, and
    /// those a worker is running now.
    private struct Pending {
        var energies: [Float]
        var passes: [Range<Int>]
        var voxels: [Matrix?]
        var remaining: Int
        var running = 0
    }

    /// Starts the workers (`close()` must follow: `ShowerGenerator.stream` sees to it).
    /// - Parameters:
    ///   - energies: incident energies (GeV) of the showers in a range of the stream; called
    ///     once per batch, from a worker thread.
    ///   - workers: worker threads, each running whole passes.
    init(generator: ShowerGenerator, plan: ShowerBatchPlan, seed: UInt64, firstShower: Int = 0, workers: Int,
         energies: @escaping @Sendable (Range<Int>) throws -> [Float]) {
        self.generator = generator
        self.firstShower = firstShower
        self.plan = plan
        self.seed = seed
        self.energiesOf = energies
        let batches = plan.batches
        passesPerFullBatch = generator.passRanges(showers: plan.batchSize).count
        totalPasses = batches == 0 ? 0 : (batches - 1) * passesPerFullBatch
            + generator.passRanges(showers: plan.range(ofBatch: batches - 1).count).count

        // The thread settings (single-threaded BLAS, serial `Parallel` loops inside a pass) are
        // held by the caller (`ShowerGenerator.stream`): taking them here, on another thread,
        // would wait forever for a caller that already holds them.
        let workers = max(1, min(workers, max(1, totalPasses)))
        finished.enter()
        DispatchQueue(label: "caloflow.generation-stream").async { [self] in
            defer { finished.leave() }
            DispatchQueue.concurrentPerform(iterations: workers) { _ in self.work() }
        }
    }

    // MARK: - Consumer

    /// The next batch, in order, once all its passes are done; nil after the last one.
    /// Rethrows the first error of any worker (or of `energies`) once no finished batch is left.
    public func next() throws -> ShowerBatch? {
        let b = delivered
        guard b < batches else { return nil }
        let done: Pending = try lock.withLock {
            requested = b
            lock.broadcast()
            func complete() -> Bool { pending[b].map { $0.remaining == 0 } ?? false }
            // After a failure no new pass starts, but the batch's running passes may still
            // complete it.
            func running() -> Bool { pending[b].map { $0.running > 0 } ?? false }
            while !complete() && ((failure == nil && !stopped) || running()) { lock.wait() }
            // A batch finished before a later one failed is still delivered.
            if complete() { return pending.removeValue(forKey: b)! }
            if let failure { throw failure }
            throw PipelineError.invalidData("the generation stream was closed")
        }
        delivered += 1
        let voxels = done.voxels.map { $0! }
        return ShowerBatch(geometry: generator.geometry, incidentEnergy: done.energies,
                           voxels: voxels.count == 1 ? voxels[0] : Matrix.vstack(voxels))
    }

    /// `next()` for a consumer that knows which showers it expects (a `ShowerStreamWriter`
    /// given the same `plan`): a check that both sides agree.
    public func next(expecting range: Range<Int>) throws -> ShowerBatch {
        guard delivered < batches else {
            throw PipelineError.invalidData("showers \(range) were asked for, but the stream's \(count) showers are all delivered")
        }
        let next = plan.range(ofBatch: delivered)
        guard range == next, let batch = try self.next() else {
            throw PipelineError.invalidData("showers \(range) were asked for, but the stream's next batch is \(next)")
        }
        return batch
    }

    /// Stops the workers after their current pass and waits for them. Idempotent.
    func close() {
        lock.withLock {
            stopped = true
            lock.broadcast()
        }
        finished.wait()
    }

    // MARK: - Workers

    /// One worker: claims passes in order until none is left, the stream stops or fails.
    private func work() {
        while let next = claim() {
            let (b, p, energies, first) = next
            let voxels: Matrix
            do {
                voxels = try generator.pass(energies, seed: seed, firstShower: firstShower + first)
            } catch {
                lock.withLock {
                    pending[b]!.running -= 1
                    if failure == nil { failure = error }
                    lock.broadcast()
                }
                return
            }
            lock.withLock {
                pending[b]!.voxels[p] = voxels
                pending[b]!.remaining -= 1
                pending[b]!.running -= 1
                lock.broadcast()
            }
        }
    }

    /// The next pass (batch, pass in batch, its energies, the stream index of its first
    /// shower), waiting while it lies more than one batch ahead of the consumer; nil when there
    /// is nothing left to do.
    private func claim() -> (Int, Int, [Float], Int)? {
        lock.withLock {
            while true {
                if stopped || failure != nil || nextPass >= totalPasses { return nil }
                let b = nextPass / passesPerFullBatch, p = nextPass % passesPerFullBatch
                if b > requested + 1 {
                    lock.wait()
                    continue
                }
                if pending[b] == nil {
                    // The batch's first pass: its energies, checked once.
                    let energies: [Float]
                    do {
                        let r = plan.range(ofBatch: b)
                        energies = try energiesOf(r)
                        guard energies.count == r.count else {
                            throw PipelineError.invalidData("the energy source gave \(energies.count) energies for \(r.count) showers")
                        }
                        try ShowerGenerator.checkEnergies(energies)
                    } catch {
                        if failure == nil { failure = error }
                        lock.broadcast()
                        return nil
                    }
                    let passes = generator.passRanges(showers: energies.count)
                    pending[b] = Pending(energies: energies, passes: passes,
                                         voxels: Array(repeating: nil, count: passes.count), remaining: passes.count)
                }
                nextPass += 1
                pending[b]!.running += 1
                let batch = pending[b]!
                let passRange = batch.passes[p]
                return (b, p, Array(batch.energies[passRange]), plan.range(ofBatch: b).lowerBound + passRange.lowerBound)
            }
        }
    }
}

extension ShowerGenerator {
    /// Runs `body` with a stream of the showers of `plan` (see `GenerationStream`), and stops its
    /// workers when `body` returns or throws.
    ///
    /// - Parameters:
    ///   - energies: incident energies (GeV) for a range of shower indices; deterministic in the
    ///     range, so each shower depends only on the seed, its index and its energy.
    ///   - workers: worker threads (default `Parallel.maxWorkers`), each running whole passes
    ///     with single-threaded BLAS unless `singleThreadedBLAS` is false (as in `generate`).
    @discardableResult
    public func stream<R>(plan: ShowerBatchPlan, seed: UInt64, workers: Int = Parallel.maxWorkers,
                          singleThreadedBLAS: Bool = true,
                          energies: @escaping @Sendable (Range<Int>) throws -> [Float],
                          _ body: (GenerationStream) throws -> R) throws -> R {
        try stream(plan: plan, seed: seed, firstShower: 0, workers: workers,
                   singleThreadedBLAS: singleThreadedBLAS, energies: energies, body)
    }

    /// `stream(plan:)` for `count` showers in batches of `batch`.
    @discardableResult
    public func stream<R>(count: Int, batch: Int, seed: UInt64, workers: Int = Parallel.maxWorkers,
                          singleThreadedBLAS: Bool = true,
                          energies: @escaping @Sendable (Range<Int>) throws -> [Float],
                          _ body: (GenerationStream) throws -> R) throws -> R {
        try stream(plan: ShowerBatchPlan(count: count, batchSize: batch), seed: seed, workers: workers,
                   singleThreadedBLAS: singleThreadedBLAS, energies: energies, body)
    }

    /// `stream` whose shower i is shower `firstShower + i` of the run (its random stream): one
    /// block of a run cut into parts (`GenerationPartition`). `energies` gets ranges of the
    /// stream (from 0), not of the run. `runShowers` is the whole run's count (default: the
    /// stream's): it decides the thread settings of the passes, as for the whole run, so that a
    /// block of one pass computes like that pass in the whole run (a pass threaded inside its
    /// products may round differently from one on a single thread).
    public func stream<R>(plan: ShowerBatchPlan, seed: UInt64, firstShower: Int, runShowers: Int? = nil, workers: Int,
                          singleThreadedBLAS: Bool, energies: @escaping @Sendable (Range<Int>) throws -> [Float],
                          _ body: (GenerationStream) throws -> R) throws -> R {
        let count = max(plan.count, runShowers ?? 0)
        func run() throws -> R {
            let stream = GenerationStream(generator: self, plan: plan, seed: seed,
                                          firstShower: firstShower, workers: workers, energies: energies)
            defer { stream.close() }
            return try body(stream)
        }
        // Several workers run whole passes each, with single-threaded BLAS and serial loops
        // inside a pass; a single pass (or worker) keeps the thread settings as they are.
        guard workers > 1 && count > max(1, flowBatch) else { return try run() }
        return try ComputeThreads.with(blas: singleThreadedBLAS ? 1 : nil, workers: 1, run)
    }
}
