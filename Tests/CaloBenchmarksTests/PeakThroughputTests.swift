import Foundation
import Testing
import CaloBenchmarks

/// The fp32 peak kernel runs on the widest vectors the CPU has (no timing is asserted).
@Suite struct PeakThroughputTests {
    /// AVX-512F exactly when /proc/cpuinfo lists it; AVX2 is always available.
    @Test func widestInstructionSetMatchesTheCPUFlags() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { " \($0) " } ?? ""
        let avx512 = flags.contains(" avx512f ")
        #expect(PeakThroughput.widestISA == (avx512 ? .avx512 : .avx2))
        #expect(PeakThroughput.availableISAs.first == PeakThroughput.widestISA)
        #expect(PeakThroughput.availableISAs.contains(.avx2))
    }

    /// Every available kernel runs and gives a positive, finite rate; the overall peak is the
    /// best of them and names its instruction set.
    @Test func everyAvailableKernelRuns() {
        for isa in PeakThroughput.availableISAs {
            let g = PeakThroughput.measureGFLOPS(isa: isa, threads: 1, seconds: 0.01, repeats: 1)
            #expect(g > 0 && g.isFinite, "\(isa)")
        }
        let peak = PeakThroughput.measure(threads: 1, seconds: 0.01, repeats: 1)
        #expect(peak.gflops > 0 && PeakThroughput.availableISAs.contains(peak.isa))
    }
}
