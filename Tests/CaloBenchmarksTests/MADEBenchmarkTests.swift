import Testing
import CaloBenchmarks
import CaloFlows
import CaloTensor

/// The benchmark runs end to end and its work counts are consistent (no timing is asserted).
@Suite struct MADEBenchmarkTests {
    @Test func benchmarkReportsConsistentWorkCounts() throws {
        let config = MADE.Configuration(features: 12, contextFeatures: 2, hiddenFeatures: 9, hiddenLayers: 2, outputMultiplier: 3)
        let report = try MADEBenchmark.run(config, batch: 8, threads: 1, repeats: 1)
        #expect(report.denseMACsPerRow == 12 * 9 + 9 * 9 + 9 * 36 + 2 * 9)
        // Useful work: initial Σ degrees (1..9), block Σ_j #{i: d_i ≤ d_j}, final Σ_i 3·min(i, 9), context.
        let initial = (1...9).reduce(0, +), block = (1...9).reduce(0, +)
        let final = (0..<12).reduce(0) { $0 + 3 * min($1, 9) }
        #expect(report.usefulMACsPerRow == initial + block + final + 18)
        #expect(report.tiledMACsPerRow >= report.usefulMACsPerRow && report.tiledMACsPerRow <= report.denseMACsPerRow)
        #expect(report.forwardSeconds > 0 && report.forwardBackwardSeconds > 0 && report.sequentialSeconds > 0)
        #expect(!report.description.isEmpty)
    }
}
