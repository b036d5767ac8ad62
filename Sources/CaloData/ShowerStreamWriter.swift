import Dispatch
import Synchronization
import CaloTensor

/// Writes `count` showers made batch by batch into a `ShowerFileWriter`, compressing and
/// writing batch k on a background thread while batch k + 1 is being made.
///
/// HDF5's gzip is single-threaded and takes a noticeable share of a generation run; done in
/// the shadow of the next batch it mostly disappears (the second core is otherwise
/// spent in BLAS's spin-waits). The stream holds two batches (the one being written and the one
/// `make` returns next), so memory stays flat in N.
/// Only the writer thread calls HDF5 while a stream is running, and the file appears under its
/// name only after the last batch (`finish`); any error — from `make` or from writing — removes
/// the temporary file (`abort`) and is rethrown.
public enum ShowerStreamWriter {
    /// Seconds the writer spent in `append` (all batches) and the whole stream's wall time.
    public struct Timing: Sendable {
        public var writeSeconds: Double
        public var totalSeconds: Double
    }

    /// - Parameters:
    ///   - plan: the batches, in order; `make` is asked for each of them.
    ///   - overlap: false writes each batch before making the next (one thread, one batch in memory).
    ///   - written: called on the caller's thread with the number of showers on disk, after each batch.
    ///   - make: shower batch `batchIndex` covering showers `range`.
    @discardableResult
    public static func write(plan: ShowerBatchPlan, into writer: ShowerFileWriter, overlap: Bool = true,
                             written: (Int) -> Void = { _ in },
                             make: (_ range: Range<Int>, _ batchIndex: Int) throws -> ShowerBatch) throws -> Timing {
        let start = monotonicSeconds()
        let shared = UnsafeSendable(writer)
        let queue = DispatchQueue(label: "caloflow.shower-writer")
        let pending = DispatchGroup()
        let state = WriteState()

        @Sendable func append(_ showers: ShowerBatch) {
            let t0 = monotonicSeconds()
            var failure: (any Error)?
            do { try shared.value.append(showers) } catch { failure = error }
            state.record(seconds: monotonicSeconds() - t0, error: failure)
        }
        /// Waits for the batch in flight; rethrows the first write error.
        func drain() throws {
            pending.wait()
            if let e = state.error { throw e }
        }

        var made = 0, onDisk = 0
        do {
            for batchIndex in 0..<plan.batches {
                let range = plan.range(ofBatch: batchIndex)
                let showers = try make(range, batchIndex)
                guard showers.count == range.count else {
                    throw CaloDataError.invalidRequest(path: writer.path, object: "/",
                                                       detail: "batch \(batchIndex) should hold showers \(range) (\(range.count)), but \(showers.count) were made")
                }
                try drain()
                if onDisk < made { onDisk = made; written(onDisk) }
                if overlap {
                    queue.async(group: pending) { append(showers) }
                } else {
                    append(showers)
                    try drain()
                }
                made = range.upperBound
            }
            try drain()
            if onDisk < made { written(made) }
            try writer.finish()
        } catch {
            pending.wait()
            writer.abort()
            throw error
        }
        return Timing(writeSeconds: state.seconds, totalSeconds: monotonicSeconds() - start)
    }

    /// `write(plan:)` for `count` showers in batches of `batch`.
    @discardableResult
    public static func write(count: Int, batch: Int, into writer: ShowerFileWriter, overlap: Bool = true,
                             written: (Int) -> Void = { _ in },
                             make: (_ range: Range<Int>, _ batchIndex: Int) throws -> ShowerBatch) throws -> Timing {
        try write(plan: ShowerBatchPlan(count: count, batchSize: batch), into: writer, overlap: overlap,
                  written: written, make: make)
    }

    /// The first write error and the time spent writing, shared with the writer thread.
    private final class WriteState: Sendable {
        private let value = Mutex<(error: (any Error)?, seconds: Double)>((nil, 0))
        func record(seconds: Double, error: (any Error)?) {
            value.withLock { v in
                v.seconds += seconds
                if v.error == nil { v.error = error }
            }
        }
        var error: (any Error)? { value.withLock { $0.error } }
        var seconds: Double { value.withLock { $0.seconds } }
    }
}
