import Testing
import CaloTensor
import CaloFlows

@Suite struct PermutationTests {
    let segments = [0..<288, 288..<432, 432..<504]

    @Test func reverseStaysInsideEachLayer() {
        let p = Permutation.reverse(segments: segments)
        #expect(p.indices[0] == 287 && p.indices[287] == 0)
        #expect(p.indices[288] == 431 && p.indices[503] == 432)
        var rng = Xoshiro256(seed: 1)
        let r = Permutation.random(segments: segments, rng: &rng)
        for (j, i) in r.indices.enumerated() {
            #expect(segments.first { $0.contains(j) } == segments.first { $0.contains(i) })
        }
    }

    @Test func inverseUndoesForward() throws {
        var rng = Xoshiro256(seed: 2)
        let p = Permutation.random(segments: [0..<7], rng: &rng)
        let x = Matrix.randomNormal(3, 7, rng: &rng)
        #expect(p.inverse(p.forward(x)) == x)
        let y = p.forward(x)
        for r in 0..<3 { for j in 0..<7 { #expect(y[r, j] == x[r, p.indices[j]]) } }
        #expect(throws: FlowError.self) { try Permutation(indices: [0, 0, 1]) }
    }

    @Test func standardNormalLogProbMatchesFormula() {
        let z = Matrix([[0, 0], [1, -2]])
        let lp = StandardNormal.logProb(z)
        let c = -0.9189385332046727 * 2 // -ln(2 pi)
        #expect(abs(lp[0] - c) < 1e-12)
        #expect(abs(lp[1] - (c - 2.5)) < 1e-12)
    }
}
