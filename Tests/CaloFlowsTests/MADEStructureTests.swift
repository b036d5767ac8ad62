import Testing
import CaloFlows
import CaloNN
import CaloTensor

/// Degrees, masks, connectivity, parameter counts and initialisation (method section 9).
@Suite struct MADEStructureTests {
    /// Which inputs each output feature can reach through all masks: `reach[i][j]`.
    static func reach(_ made: MADE) -> [[Bool]] {
        var path = made.initialWeight.mask!                     // [H, D]
        for w in made.blockWeights { path = BLAS.matmul(w.mask!, path) }
        let full = BLAS.matmul(made.finalWeight.mask!, path)    // [D·M, D]
        let m = made.outputMultiplier
        return (0..<made.features).map { i in
            (0..<made.features).map { j in (0..<m).contains { full[i * m + $0, j] > 0 } }
        }
    }

    @Test func flowOneShapeDegreesAndConnectivity() throws {
        var rng = Xoshiro256(seed: 1)
        let made = try MADE(.init(features: 3, contextFeatures: 1, hiddenFeatures: 64, hiddenLayers: 3, outputMultiplier: 23), rng: &rng)
        #expect(made.inputDegrees == [1, 2, 3])
        #expect(made.hiddenDegrees == (0..<64).map { $0 % 2 == 0 ? 1 : 2 })
        #expect(made.outputDegrees == Array(repeating: 1, count: 23) + Array(repeating: 2, count: 23) + Array(repeating: 3, count: 23))
        #expect(made.blockWeights.count == 2)
        let r = Self.reach(made)
        for i in 0..<3 { for j in 0..<3 { #expect(r[i][j] == (j < i)) } }
        // Hidden masks: unit of degree 1 sees input 0 only, degree 2 sees inputs 0 and 1.
        let m0 = made.initialWeight.mask!
        #expect(m0.row(0) == [1, 0, 0] && m0.row(1) == [1, 1, 0])
        #expect(made.parameterCount == 13_189)
        #expect(made.configuration.parameterCount == 13_189)
        #expect(made.parameters.map(\.name) == [
            "made.initial_layer.weight", "made.initial_layer.bias", "made.context_layer.weight", "made.context_layer.bias",
            "made.blocks.0.linear.weight", "made.blocks.0.linear.bias", "made.blocks.1.linear.weight", "made.blocks.1.linear.bias",
            "made.final_layer.weight", "made.final_layer.bias"])
    }

    @Test func teacherShapeDegreesConnectivityAndCount() throws {
        var rng = Xoshiro256(seed: 2)
        let made = try MADE(.init(features: 504, contextFeatures: 4, hiddenFeatures: 378, hiddenLayers: 2, outputMultiplier: 23, dropout: 0.05),
                            name: "teacher.block0.made", rng: &rng)
        #expect(made.hiddenDegrees == Array(1...378))
        #expect(made.parameterCount == 4_729_410)
        #expect(made.outputWidth == 11_592)
        #expect(made.parameters.first?.name == "teacher.block0.made.initial_layer.weight")
        let r = Self.reach(made)
        // Output i sees exactly inputs 0..<min(i, 378); inputs 378..<504 (degrees 379…504) reach nothing.
        var ok = true
        for i in 0..<504 { for j in 0..<504 where r[i][j] != (j < min(i, 378)) { ok = false } }
        #expect(ok)
        for j in 378..<504 { #expect(!(0..<504).contains { r[$0][j] }) }
        // Output block i connects to hidden units 0..<min(i, 378) (degree ≤ i).
        let mf = made.finalWeight.mask!
        for i in [0, 1, 200, 377, 378, 503] {
            let row = mf.row(i * 23 + 11)
            #expect(row.indices.allSatisfy { row[$0] == (($0 < min(i, 378)) ? 1 : 0) })
        }
    }

    @Test func studentShapeDegreesAndCounts() {
        #expect(MADEDegrees.hidden(features: 504, hidden: 504) == Array(1...503) + [1])
        let student = MADE.Configuration(features: 504, contextFeatures: 4, hiddenFeatures: 504, hiddenLayers: 2, outputMultiplier: 23)
        #expect(student.parameterCount * 8 == 50_924_160)
        let teacher = MADE.Configuration(features: 504, contextFeatures: 4, hiddenFeatures: 378, hiddenLayers: 2, outputMultiplier: 23)
        #expect(teacher.parameterCount * 8 == 37_835_280)
        #expect(MADEDegrees.hidden(features: 1, hidden: 3) == [0, 0, 0])
    }

    @Test(arguments: [(3, 64, 3), (60, 45, 2), (10, 10, 2), (1, 4, 2)])
    func initialisationRangeAndMasking(_ d: Int, _ h: Int, _ layers: Int) throws {
        var rng = Xoshiro256(seed: UInt64(d * h))
        let made = try MADE(.init(features: d, contextFeatures: 4, hiddenFeatures: h, hiddenLayers: layers, outputMultiplier: 23), rng: &rng)
        let fanIns = [d, d, 4, 4] + Array(repeating: h, count: 2 * (layers - 1)) + [h, h]
        for (p, fanIn) in zip(made.parameters, fanIns) {
            let bound = 1 / Float(fanIn).squareRoot()
            var maxAbs: Float = 0
            var masked = 0
            for i in 0..<p.count {
                let v = p.value.storage[i]
                if let m = p.mask, m.storage[i] == 0 {
                    #expect(v == 0); masked += 1
                } else {
                    maxAbs = max(maxAbs, abs(v))
                }
            }
            #expect(maxAbs <= bound, "\(p.name)")
            // Enough draws to come close to the bound (expected gap ≈ bound / count).
            if p.count - masked >= 50 { #expect(maxAbs > 0.9 * bound, "\(p.name)") }
        }
    }

    @Test func autoregressivePropertyByPerturbation() throws {
        var seeds = Xoshiro256(seed: 77)
        for trial in 0..<12 {
            let d = 1 + Int(seeds.next() % 9), h = 1 + Int(seeds.next() % 12)
            let layers = 1 + Int(seeds.next() % 3), m = 1 + Int(seeds.next() % 4), c = Int(seeds.next() % 3)
            var rng = Xoshiro256(seed: 100, stream: UInt64(trial))
            let made = try MADE(.init(features: d, contextFeatures: c, hiddenFeatures: h, hiddenLayers: layers, outputMultiplier: m), rng: &rng)
            let x = Matrix.randomNormal(3, d, rng: &rng), ctx = Matrix.randomNormal(3, c, rng: &rng)
            let base = try made(x, context: ctx)
            for j in 0..<d {
                var xp = x
                for b in 0..<3 { xp[b, j] += 1.5 }
                let out = try made(xp, context: ctx)
                for b in 0..<3 {
                    for i in 0...j { for k in 0..<m { #expect(out[b, i * m + k] == base[b, i * m + k], "D\(d) H\(h) input \(j) output \(i)") } }
                }
            }
        }
    }
}
