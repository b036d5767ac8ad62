import Glibc
import CaloBenchmarks
import CaloInference

/// The embedding library's part of `caloflow bench` (`InferenceBenchmark`): its table lines and
/// JSON numbers.
extension BenchCommand {
    static let librarySeconds = Option.double("library-seconds", default: 0.5, range: .between(0, 60),
                                              help: "Seconds per timed run of the embedding library's latency rows (batch 1, 10, 100 on 1 and 2 threads sharing one model, float32 and float16, plus the memory read bandwidth); 0 skips them.")

    /// Runs the library rows (quick: small models and short runs).
    static func libraryReport(seconds: Double, quick: Bool, repeats: Int, log: (String) -> Void) throws -> InferenceBenchmark.Report? {
        guard seconds > 0 else { return nil }
        var o = quick ? InferenceBenchmark.Options.quick() : InferenceBenchmark.Options()
        if !quick {
            o.seconds = seconds
            o.repeats = repeats
        }
        return try InferenceBenchmark.run(o) { log("bench: \($0)...") }
    }

    static func libraryTable(_ r: InferenceBenchmark.Report) -> String {
        func f(_ x: Double, _ d: Int) -> String { HumanFormat.fixed(x, d) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var lines = ["", "embedding library (libcaloflow), the student of `bench`'s shapes with random weights, kernel \(r.kernel):"]
        for p in WeightPrecision.allCases {
            if let b = r.weightBytes[p] { lines.append("  \(p.rawValue) weights: \(f(Double(b) / 1e6, 1)) MB read per batch-1 call") }
        }
        lines.append("  " + pad("weights", 9) + lpad("batch", 6) + lpad("threads", 9) + lpad("ms/shower", 11)
                     + lpad("slowest", 9) + lpad("showers/s", 11) + lpad("cores busy", 12) + lpad("2 vs 1 thread", 15))
        for l in r.latencies {
            let ratio = l.threads == 2 ? r.twoThreadRatio(l.precision, batch: l.batch).map { f($0, 2) + "x" } ?? "" : ""
            lines.append("  " + pad(l.precision.rawValue, 9) + lpad("\(l.batch)", 6) + lpad("\(l.threads)", 9)
                         + lpad(f(l.millisecondsPerShower, 3), 11) + lpad(f(l.slowestMillisecondsPerShower, 3), 9)
                         + lpad(f(l.showersPerSecond, 0), 11) + lpad(f(l.coresBusy, 2), 12) + lpad(ratio, 15))
        }
        for b in r.bandwidth {
            lines.append("  memory read bandwidth, \(b.threads) thread\(b.threads > 1 ? "s" : ""): \(f(b.gigabytesPerSecond, 1)) GB/s")
        }
        if let e = r.float16Error {
            lines.append("  float16 vs float32 showers (\(e.showers), same latent codes): cells above 1 MeV differ by "
                         + "\(scientific(e.medianCellRelative)) (median) and \(scientific(e.p99CellRelative)) (99th percentile) relative; "
                         + "layer and total energies come from Flow I, which stays float32 (largest relative differences "
                         + "\(scientific(e.worstLayerRelative)) and \(scientific(e.worstTotalRelative)))")
        }
        lines.append("  ms/shower: wall time per shower on each thread, best of \(r.repeats) runs (slowest run next to it); "
                     + "showers/s: all threads together; cores busy: process CPU time over wall time in the best run "
                     + "(below the thread count when other processes held the cores)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `x` with two significant digits in exponent form ("1.2e-05"), "0" for zero.
    static func scientific(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return x == 0 ? "0" : "\(x)" }
        var e = Int(log10(abs(x)).rounded(.down))
        var m = (x / pow10(e) * 10).rounded() / 10
        if abs(m) >= 10 { m /= 10; e += 1 }
        let sign = e < 0 ? "-" : "+"
        let digits = abs(e) < 10 ? "0\(abs(e))" : "\(abs(e))"
        return "\(m)e\(sign)\(digits)"
    }

    private static func pow10(_ e: Int) -> Double {
        var p = 1.0
        for _ in 0..<abs(e) { p *= 10 }
        return e < 0 ? 1 / p : p
    }

    static func libraryJSON(_ r: InferenceBenchmark.Report) -> [(String, Double)] {
        var out = [(String, Double)]()
        for l in r.latencies {
            let key = "library_\(l.precision.rawValue)_batch\(l.batch)_\(l.threads)thread"
            out.append((key + "_ms_per_shower", l.millisecondsPerShower))
            out.append((key + "_showers_per_s", l.showersPerSecond))
            out.append((key + "_cores_busy", l.coresBusy))
        }
        for p in WeightPrecision.allCases {
            for b in Set(r.latencies.map(\.batch)).sorted() {
                if let ratio = r.twoThreadRatio(p, batch: b) { out.append(("library_\(p.rawValue)_batch\(b)_two_thread_ratio", ratio)) }
            }
            if let bytes = r.weightBytes[p] { out.append(("library_\(p.rawValue)_weight_bytes", Double(bytes))) }
        }
        for b in r.bandwidth { out.append(("memory_read_gb_per_s_\(b.threads)thread", b.gigabytesPerSecond)) }
        if let e = r.float16Error {
            out += [("library_float16_cell_relative_median", e.medianCellRelative), ("library_float16_cell_relative_p99", e.p99CellRelative),
                    ("library_float16_layer_relative_max", e.worstLayerRelative), ("library_float16_total_relative_max", e.worstTotalRelative)]
        }
        return out
    }
}
