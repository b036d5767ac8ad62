import CaloTensor
import Dispatch

/// Measures the machine's fp32 peak: the rate of fused multiply-adds with enough independent
/// accumulators to hide FMA latency (12 x 8 lanes), so it is limited by the FMA ports only.
/// Every "fraction of peak" caloflow reports is relative to this measured number, not a
/// datasheet value.
public enum PeakThroughput {
    /// GFLOP/s (1 FMA = 2 flops) summed over `threads` threads running the kernel at once;
    /// the best of `repeats` runs of about `seconds` each.
    public static func measureGFLOPS(threads: Int, seconds: Double = 0.25, repeats: Int = 3) -> Double {
        let iterations = calibrate(seconds: seconds)
        var best = 0.0
        for _ in 0..<repeats {
            let start = monotonicSeconds()
            DispatchQueue.concurrentPerform(iterations: max(1, threads)) { t in
                let r = fmaKernel(iterations, seed: Float(t) * 1e-9)
                if r == 12345.678 { print("") } // keep the result alive
            }
            let elapsed = monotonicSeconds() - start
            let flops = Double(max(1, threads)) * Double(iterations) * 12 * 8 * 2
            best = max(best, flops / elapsed / 1e9)
        }
        return best
    }

    private static func calibrate(seconds: Double) -> Int {
        var n = 100_000
        while true {
            let t0 = monotonicSeconds()
            _ = fmaKernel(n, seed: 0)
            let dt = monotonicSeconds() - t0
            if dt > 0.02 { return max(1, Int(Double(n) * seconds / dt)) }
            n *= 4
        }
    }

    @inline(never)
    static func fmaKernel(_ iterations: Int, seed: Float) -> Float {
        let m = SIMD8<Float>(repeating: 0.999_999), a = SIMD8<Float>(repeating: 1e-7 + seed)
        var c0 = SIMD8<Float>(repeating: 0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0
        var c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0
        for _ in 0..<iterations {
            c0 = c0.addingProduct(a, m); c1 = c1.addingProduct(a, m)
            c2 = c2.addingProduct(a, m); c3 = c3.addingProduct(a, m)
            c4 = c4.addingProduct(a, m); c5 = c5.addingProduct(a, m)
            c6 = c6.addingProduct(a, m); c7 = c7.addingProduct(a, m)
            c8 = c8.addingProduct(a, m); c9 = c9.addingProduct(a, m)
            c10 = c10.addingProduct(a, m); c11 = c11.addingProduct(a, m)
        }
        let s = (c0 + c1 + c2 + c3) + (c4 + c5 + c6 + c7) + (c8 + c9 + c10 + c11)
        return s.sum()
    }
}
