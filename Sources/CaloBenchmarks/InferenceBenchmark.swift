import CaloData
import CaloFlows
import CaloPipeline
import CaloTensor
import CInferenceKernels
import CaloInference
import Dispatch
import Glibc
import Synchronization

/// `caloflow bench`'s rows for the embedding library: latency per shower of
/// `InferenceContext.generate` at batch 1, 10 and 100 on one thread and on two threads sharing
/// one model (one context each), for the paper's student with random weights (speed does not
/// depend on the values), in float32 and in the opt-in float16; the float16 showers' distance
/// from the float32 ones; and the memory read bandwidth of one and two threads in the same run,
/// since a batch-1 call streams every weight from memory.
///
/// Timing: a warm-up call, then `repeats` timed runs of at least `seconds` each; the best run is
/// reported with the spread of all runs (other processes only make a run slower).
public enum InferenceBenchmark {
    public struct Options: Sendable {
        public var flowI: FlowArchitecture = .paperFlowI
        public var student: FlowArchitecture = .paperStudent
        public var batches = [1, 10, 100]
        public var precisions: [WeightPrecision] = [.float32, .float16]
        public var repeats = 3
        /// Minimum seconds per timed run.
        public var seconds = 0.5
        /// Bytes per thread for the bandwidth probe (well above the last-level cache).
        public var bandwidthBytes = 256 << 20
        public var seed: UInt64 = 1
        public init() {}

        /// Two small blocks and short runs: a smoke check of about a second (tests).
        public static func quick() -> Options {
            var o = Options()
            o.flowI = FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2)
            o.student = FlowArchitecture(blocks: 2, hiddenFeatures: 64, hiddenLayers: 2)
            o.repeats = 1
            o.seconds = 0.02
            o.bandwidthBytes = 16 << 20
            return o
        }
    }

    /// One batch size, precision and thread count.
    public struct Latency: Sendable {
        public var precision: WeightPrecision
        public var batch: Int
        public var threads: Int
        /// Wall-clock milliseconds per shower on each thread: best run, and the slowest run.
        public var millisecondsPerShower: Double
        public var slowestMillisecondsPerShower: Double
        /// Showers per second of all threads together (best run).
        public var showersPerSecond: Double
        /// Process CPU seconds over wall seconds in the best run: about `threads` when every
        /// thread had a core of its own, less when other processes took them.
        public var coresBusy: Double
        public var runs: Int
    }

    /// Read bandwidth of the probe, GB/s (best of the runs).
    public struct Bandwidth: Sendable {
        public var threads: Int
        public var gigabytesPerSecond: Double
    }

    /// How far float16 weights move the showers from the float32 ones (same latent codes).
    public struct Float16Error: Sendable {
        public var showers: Int
        /// Median and 99th percentile of |Δ|/E over cells above 1 MeV in float32.
        public var medianCellRelative: Double
        public var p99CellRelative: Double
        /// Largest relative difference of a layer energy and of the total energy.
        public var worstLayerRelative: Double
        public var worstTotalRelative: Double
    }

    public struct Report: Sendable {
        public var latencies: [Latency]
        public var bandwidth: [Bandwidth]
        public var float16Error: Float16Error?
        /// Bytes of packed weights a batch-1 call reads, per precision.
        public var weightBytes: [WeightPrecision: Int]
        public var kernel: String
        public var repeats: Int

        /// Two threads' throughput over one thread's at the same batch and precision.
        public func twoThreadRatio(_ precision: WeightPrecision, batch: Int) -> Double? {
            guard let one = latencies.first(where: { $0.precision == precision && $0.batch == batch && $0.threads == 1 }),
                  let two = latencies.first(where: { $0.precision == precision && $0.batch == batch && $0.threads == 2 }) else { return nil }
            return two.showersPerSecond / one.showersPerSecond
        }
    }

    public static func run(_ o: Options, progress: (String) -> Void = { _ in }) throws -> Report {
        let generator = try GenerationBenchmark.generator(flowI: o.flowI, student: o.student, seed: o.seed)
        var latencies = [Latency](), bytes = [WeightPrecision: Int]()
        var models = [WeightPrecision: InferenceModel]()
        for p in o.precisions {
            let model = try InferenceModel(generator: generator, precision: p)
            models[p] = model
            bytes[p] = model.weightBytes
            for b in o.batches {
                for threads in [1, 2] {
                    progress("library latency, \(p.rawValue), batch \(b), \(threads) thread\(threads > 1 ? "s" : "")")
                    latencies.append(try latency(model, batch: b, threads: threads, o))
                }
            }
        }
        progress("memory bandwidth, 1 and 2 threads")
        let bandwidth = [1, 2].map { Bandwidth(threads: $0, gigabytesPerSecond: readBandwidth(threads: $0, bytes: o.bandwidthBytes, repeats: max(3, o.repeats))) }
        var error: Float16Error? = nil
        if let a = models[.float32], let b = models[.float16] {
            progress("float16 against float32 showers")
            error = try float16Error(a, b, showers: 200)
        }
        return Report(latencies: latencies, bandwidth: bandwidth, float16Error: error, weightBytes: bytes,
                      kernel: InferenceModel.kernelName, repeats: o.repeats)
    }

    // MARK: - Latency

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + 1e-9 * Double(ts.tv_nsec)
    }

    /// Per thread: its own context and energies; `calls` calls of `batch` showers.
    private final class Worker: @unchecked Sendable {
        let context: InferenceContext
        var energies: [Double]
        var output: [Float]
        var next: UInt64 = 0
        init(_ model: InferenceModel, batch: Int, seed: UInt64) throws {
            context = try InferenceContext(model: model, maxBatch: batch)
            var rng = Xoshiro256(seed: seed, stream: 77)
            let r = model.energyRangeGeV
            energies = (0..<(batch * 16)).map { _ in Double(Float(rng.uniform(r.lowerBound, r.upperBound))) * 1000 }
            output = [Float](repeating: 0, count: batch * InferenceContext.cellCount)
        }
        func call(_ batch: Int) throws {
            let offset = Int(next % 16) * batch
            try energies.withUnsafeBufferPointer { e in
                try output.withUnsafeMutableBufferPointer { o in
                    try context.generate(incidentEnergiesMeV: e.baseAddress! + offset, count: batch, seed: 1, firstShower: next,
                                         output: o.baseAddress!, capacity: o.count)
                }
            }
            next += UInt64(batch)
        }
    }

    private static func latency(_ model: InferenceModel, batch: Int, threads: Int, _ o: Options) throws -> Latency {
        let workers = try (0..<threads).map { try Worker(model, batch: batch, seed: UInt64($0 + 1)) }
        // Calibrate the calls per run on one thread (also the warm-up).
        var warmup = 0
        let start = now()
        repeat { try workers[0].call(batch); warmup += 1 } while now() - start < o.seconds / 4 || warmup < 2
        let calls = max(2, Int(Double(warmup) * o.seconds / max(1e-9, now() - start)))
        for w in workers.dropFirst() { try w.call(batch) }
        var best = Double.infinity, worst = 0.0, bestCores = 0.0
        let failure = Mutex<String?>(nil)
        for _ in 0..<max(1, o.repeats) {
            let t0 = now(), c0 = FlowBenchmark.processCPUSeconds()
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                do { for _ in 0..<calls { try workers[t].call(batch) } } catch { failure.withLock { $0 = "\(error)" } }
            }
            let wall = now() - t0, cpu = FlowBenchmark.processCPUSeconds() - c0
            if wall < best { best = wall; bestCores = cpu / wall }
            worst = max(worst, wall)
        }
        if let f = failure.withLock({ $0 }) { throw InferenceError.invalidArgument("benchmark call failed: \(f)") }
        let showersPerThread = Double(calls * batch)
        return Latency(precision: model.precision, batch: batch, threads: threads,
                       millisecondsPerShower: 1000 * best / showersPerThread, slowestMillisecondsPerShower: 1000 * worst / showersPerThread,
                       showersPerSecond: Double(threads) * showersPerThread / best, coresBusy: bestCores, runs: max(1, o.repeats))
    }

    // MARK: - Bandwidth

    /// GB/s of `threads` threads each reading its own `bytes` buffer once per run (best run).
    public static func readBandwidth(threads: Int, bytes: Int, repeats: Int) -> Double {
        let n = max(64, bytes / 4 / 64 * 64)
        guard let buffers = try? (0..<threads).map({ _ in try AlignedBuffer<Float>(count: n) }) else { return .nan }
        for b in buffers { for i in stride(from: 0, to: n, by: 1024) { b.pointer[i] = 1 } }
        let sink = Mutex<Float>(0)
        var best = Double.infinity
        for _ in 0..<(repeats + 1) {
            let t0 = now()
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let s = cik_read_all(buffers[t].pointer, n)
                sink.withLock { $0 += s }
            }
            best = min(best, now() - t0)
        }
        return Double(threads * n * 4) / best / 1e9
    }

    // MARK: - Float16 error

    private static func float16Error(_ a: InferenceModel, _ b: InferenceModel, showers n: Int) throws -> Float16Error {
        let ca = try InferenceContext(model: a, maxBatch: 50), cb = try InferenceContext(model: b, maxBatch: 50)
        var rng = Xoshiro256(seed: 5, stream: 78)
        let r = a.energyRangeGeV
        let energies = (0..<n).map { _ in Double(Float(rng.uniform(r.lowerBound, r.upperBound))) * 1000 }
        var x = [Float](repeating: 0, count: n * 504), y = x
        try energies.withUnsafeBufferPointer { e in
            try x.withUnsafeMutableBufferPointer { try ca.generate(incidentEnergiesMeV: e.baseAddress!, count: n, seed: 9, firstShower: 0, output: $0.baseAddress!, capacity: $0.count) }
            try y.withUnsafeMutableBufferPointer { try cb.generate(incidentEnergiesMeV: e.baseAddress!, count: n, seed: 9, firstShower: 0, output: $0.baseAddress!, capacity: $0.count) }
        }
        var cells = [Double](), worstLayer = 0.0, worstTotal = 0.0
        for s in 0..<n {
            var ta = 0.0, tb = 0.0
            for l in 0..<3 {
                var la = 0.0, lb = 0.0
                for j in CaloGANGeometry.layerRange(l) {
                    let u = Double(x[s * 504 + j]), v = Double(y[s * 504 + j])
                    la += u; lb += v
                    if u > 1 { cells.append(abs(u - v) / u) }
                }
                if la > 1 { worstLayer = max(worstLayer, abs(la - lb) / la) }
                ta += la; tb += lb
            }
            if ta > 0 { worstTotal = max(worstTotal, abs(ta - tb) / ta) }
        }
        cells.sort()
        func q(_ p: Double) -> Double { cells.isEmpty ? .nan : cells[min(cells.count - 1, Int(p * Double(cells.count)))] }
        return Float16Error(showers: n, medianCellRelative: q(0.5), p99CellRelative: q(0.99),
                            worstLayerRelative: worstLayer, worstTotalRelative: worstTotal)
    }
}
