import Testing
import CaloFlows
import CaloNN
import CaloPipeline
import CaloTensor
import CaloInference

/// The packed layout (`PackedMADE`, `CInferenceKernels`) against `MADE.forward`: the same MADE
/// outputs to float rounding, for MADEs whose hidden degrees wrap around (H > D − 1), stop short
/// (H < D − 1) or fit exactly, with and without context, in float32 and (looser) float16.
@Suite("Packed MADE layers")
struct PackedMADETests {
    static func made(features d: Int, context c: Int, hidden h: Int, layers: Int, multiplier m: Int, seed: UInt64) throws -> MADE {
        var rng = Xoshiro256(seed: seed)
        let made = try MADE(.init(features: d, contextFeatures: c, hiddenFeatures: h, hiddenLayers: layers, outputMultiplier: m),
                            rng: &rng)
        // Non-zero biases of either sign, so no layer's ReLU sees only its product.
        for p in made.parameters where p.mask == nil {
            p.value.withUnsafeMutableBufferPointer { v in for i in 0..<v.count { v[i] = Float(rng.uniform(-0.5, 0.5)) } }
        }
        return made
    }

    static func worstDifference(_ a: Matrix, _ b: Matrix) -> Float {
        var scale: Float = 0
        for v in b.storage { scale = max(scale, abs(v)) }
        var worst: Float = 0
        for (x, y) in zip(a.storage, b.storage) { worst = max(worst, abs(x - y)) }
        return worst / max(scale, 1e-30)
    }

    @Test("float32 packing reproduces MADE.forward", arguments: [
        (10, 4, 24, 2), (10, 4, 5, 2), (10, 0, 9, 3), (3, 1, 16, 3), (37, 2, 70, 2), (1, 1, 8, 2),
    ])
    func float32(_ shape: (Int, Int, Int, Int)) throws {
        let (d, c, h, layers) = shape
        let made = try Self.made(features: d, context: c, hidden: h, layers: layers, multiplier: 23, seed: UInt64(d * 100 + h))
        var rng = Xoshiro256(seed: 1)
        let x = Matrix.randomNormal(7, d, rng: &rng), ctx = Matrix.randomNormal(7, c, rng: &rng)
        let expected = try made(x, context: ctx)
        let packed = try PackedMADE(made, precision: .float32, name: "test")
        let got = try packed(x, context: ctx)
        #expect(Self.worstDifference(got, expected) < 1e-5)
        // The packing stores the mask's connections (plus tile padding), never the full matrix.
        #expect(packed.connections == made.usefulMultiplyAddsPerRow)
    }

    @Test("float16 weights stay within binary16 rounding of MADE.forward")
    func float16() throws {
        let made = try Self.made(features: 40, context: 4, hidden: 60, layers: 2, multiplier: 23, seed: 9)
        var rng = Xoshiro256(seed: 2)
        let x = Matrix.randomNormal(5, 40, rng: &rng), ctx = Matrix.randomNormal(5, 4, rng: &rng)
        let expected = try made(x, context: ctx)
        let packed = try PackedMADE(made, precision: .float16, name: "test")
        let got = try packed(x, context: ctx)
        let worst = Self.worstDifference(got, expected)
        // binary16 keeps 11 significant bits (relative 2^-11 per weight); sums of ~60 terms of
        // either sign stay well below 1 %, and the float32 path is 100x closer.
        #expect(worst < 1e-2)
        #expect(worst > 1e-6, "float16 weights should differ from float32 ones")
        // The masked layers in half the bytes (the small context layer stays float32).
        let full = try PackedMADE(made, precision: .float32, name: "test").weightBytes
        #expect(Double(packed.weightBytes) < 0.52 * Double(full))
    }

    @Test("a weight outside the MADE mask is refused, not dropped")
    func unmaskedWeightRefused() throws {
        let made = try Self.made(features: 6, context: 1, hidden: 10, layers: 2, multiplier: 5, seed: 4)
        // Output feature 0 must not see any hidden unit: give it a connection.
        made.finalWeight.value[0, 0] = 0.5
        #expect(throws: InferenceError.self) { try PackedMADE(made, precision: .float32, name: "test") }
    }

    @Test("a row's result does not depend on the batch it is computed in")
    func batchIndependentBits() throws {
        let made = try Self.made(features: 30, context: 4, hidden: 50, layers: 2, multiplier: 23, seed: 5)
        var rng = Xoshiro256(seed: 3)
        let x = Matrix.randomNormal(11, 30, rng: &rng), ctx = Matrix.randomNormal(11, 4, rng: &rng)
        let packed = try PackedMADE(made, precision: .float32, name: "test")
        let all = try packed(x, context: ctx)
        for r in [0, 4, 10] {
            let one = try packed(x.rows(r..<(r + 1)), context: ctx.rows(r..<(r + 1)))
            #expect(one.storage == all.rows(r..<(r + 1)).storage)
        }
    }
}
