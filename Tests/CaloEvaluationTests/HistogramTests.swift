import Testing
import CaloEvaluation

@Suite struct HistogramTests {
    @Test func logBinsCountEdgesAndOutOfRange() throws {
        let b = try Binning.log(1, 1000, count: 3)
        #expect(b.edges.count == 4 && b.edges[0] == 1 && b.edges[3] == 1000)
        #expect(abs(b.edges[1] - 10) < 1e-12 && abs(b.edges[2] - 100) < 1e-12)
        var h = Histogram(binning: b)
        h.fill([0.5, 0, -1, 1, 2, 9.5, b.edges[1], 50, b.edges[2], 999, 1000, 1001, .infinity, .nan])
        #expect(h.counts == [3, 2, 3])
        #expect(h.underflow == 3 && h.overflow == 2 && h.nanCount == 1)
        #expect(h.sumOfSquaredWeights == [3, 2, 3] && h.errors[1] == 2.0.squareRoot())
        // Density integrates to 1 over the range.
        let integral = zip(h.density, b.widths).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(integral - 1) < 1e-14)
        #expect(b.centres.enumerated().allSatisfy { b.edges[$0.offset] < $0.element && $0.element < b.edges[$0.offset + 1] })
    }

    @Test func linearBinsPutEdgesInTheUpperBin() throws {
        let b = try Binning.linear(0, 1, count: 10)
        for k in 0..<10 { #expect(b.index(of: b.edges[k]) == k) }
        #expect(b.index(of: 1) == 9 && b.index(of: 1.0000001) == nil && b.index(of: -1e-12) == nil)
    }

    @Test func separationPower() throws {
        let b = try Binning.linear(0, 2, count: 2)
        let a = Histogram([0.5, 1.5], binning: b), c = Histogram([0.5, 0.5], binning: b)
        #expect(try Histogram.separationPower(a, a) == 0)
        // p = (½, ½), q = (1, 0): ½ (¼/1.5 + ¼/0.5) = 1/3.
        #expect(abs(try Histogram.separationPower(a, c) - 1.0 / 3) < 1e-15)
        #expect(try Histogram.separationPower(a, c) == (try Histogram.separationPower(c, a)))
        let d = Histogram([1.5, 1.5, 1.7], binning: b)
        #expect(try Histogram.separationPower(c, d) == 1)
        // Same shape, different sample sizes: still 0.
        #expect(try Histogram.separationPower(a, Histogram([0.5, 0.5, 1.5, 1.5], binning: b)) == 0)
        #expect(throws: EvaluationError.self) { try Histogram.separationPower(a, Histogram(binning: b)) }
        #expect(throws: EvaluationError.self) {
            try Histogram.separationPower(a, Histogram([0.5], binning: try Binning.linear(0, 2, count: 3)))
        }
    }

    @Test func ratioOfNormalizedContents() throws {
        let b = try Binning.linear(0, 3, count: 3)
        let ref = Histogram([0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5], binning: b)     // 4, 4, 0
        let gen = Histogram([0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5], binning: b)     // 2, 6, 0
        let r = try Histogram.ratio(generated: gen, reference: ref)
        #expect(r.values[0] == 0.5 && r.values[1] == 1.5 && r.values[2] == nil)
        // 0.5 · sqrt(1/2 + 1/4)
        #expect(abs(r.errors[0]! - 0.5 * (0.75).squareRoot()) < 1e-15)
    }

    @Test func invalidBinningThrows() {
        #expect(throws: EvaluationError.self) { try Binning.log(0, 10, count: 5) }
        #expect(throws: EvaluationError.self) { try Binning.linear(1, 1, count: 5) }
        #expect(throws: EvaluationError.self) { try Binning.linear(0, 1, count: 0) }
    }
}
