import CaloTensor
import CPeakKernels
import Dispatch
import Glibc

/// Measures the machine's fp32 peak: the rate of fused multiply-adds on the widest vectors the
/// CPU has (AVX-512F where present, else AVX2; chosen at run time by `CPeakKernels`) with
/// enough independent accumulators to hide FMA latency, so the rate is limited by the FMA
/// ports only. Every "fraction of peak" caloflow reports is relative to this measured number,
/// not a datasheet value.
///
/// Each thread's rate is its flops per second of its own CPU time (`CLOCK_THREAD_CPUTIME_ID`),
/// and the peak is the sum over the threads: time in which another process had the core does
/// not count, so a busy machine does not lower the peak (and so raise every "% of peak" above
/// 100 %), whereas the wall-clock rates compared with it can only lose to such load.
public enum PeakThroughput {
    /// The vector instruction set a peak was measured with.
    public enum VectorISA: String, Sendable, CaseIterable {
        case avx2 = "avx2"
        case avx512 = "avx512f"

        /// Vector width in bits.
        public var bits: Int { self == .avx512 ? 512 : 256 }
        /// For tables: "AVX-512F, 512-bit".
        public var label: String { self == .avx512 ? "AVX-512F, 512-bit" : "AVX2+FMA, 256-bit" }
    }

    public struct Result: Sendable {
        /// GFLOP/s summed over the threads (1 FMA = 2 flops).
        public var gflops: Double
        /// The instruction set of the best rate.
        public var isa: VectorISA
    }

    /// The widest vectors this CPU runs.
    public static var widestISA: VectorISA { caloflow_peak_widest_bits() == 512 ? .avx512 : .avx2 }

    /// The instruction sets the kernel can use here, widest first.
    public static var availableISAs: [VectorISA] { widestISA == .avx512 ? [.avx512, .avx2] : [.avx2] }

    /// The best rate over the available instruction sets (a CPU that lowers its clock for
    /// AVX-512 may run fewer flops per second on it than on AVX2), each the best of `repeats`
    /// runs of about `seconds` with `threads` threads running the kernel at once.
    public static func measure(threads: Int, seconds: Double = 0.25, repeats: Int = 3) -> Result {
        var best = Result(gflops: 0, isa: widestISA)
        for isa in availableISAs {
            let g = measureGFLOPS(isa: isa, threads: threads, seconds: seconds, repeats: repeats)
            if g > best.gflops { best = Result(gflops: g, isa: isa) }
        }
        return best
    }

    /// GFLOP/s of the kernel on `isa` summed over `threads` threads; the best of `repeats` runs.
    public static func measureGFLOPS(isa: VectorISA, threads: Int, seconds: Double = 0.25, repeats: Int = 3) -> Double {
        precondition(availableISAs.contains(isa), "this CPU does not run \(isa.rawValue)")
        let bits = Int32(isa.bits)
        let iterations = calibrate(bits: bits, seconds: seconds)
        let flopsPerIteration = Double(caloflow_peak_flops_per_iteration(bits))
        let n = max(1, threads)
        var best = 0.0
        for _ in 0..<max(1, repeats) {
            let seconds = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
            defer { seconds.deallocate() }
            let shared = UnsafeSendable(seconds)
            DispatchQueue.concurrentPerform(iterations: n) { t in
                let c0 = threadCPUSeconds()
                let r = caloflow_peak_fma(bits, iterations, Float(t) * 1e-9)
                shared.value[t] = threadCPUSeconds() - c0
                if r == 12345.678 { print("") } // keep the result alive
            }
            let rate = seconds.reduce(0) { $0 + Double(iterations) * flopsPerIteration / max($1, 1e-9) }
            best = max(best, rate / 1e9)
        }
        return best
    }

    /// CPU seconds of the calling thread.
    private static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Iterations that take about `seconds` on one thread.
    private static func calibrate(bits: Int32, seconds: Double) -> Int {
        var n = 100_000
        while true {
            let t0 = threadCPUSeconds()
            _ = caloflow_peak_fma(bits, n, 0)
            let dt = threadCPUSeconds() - t0
            if dt > 0.02 { return max(1, Int(Double(n) * seconds / dt)) }
            n *= 4
        }
    }
}
