import Testing
import Glibc
import CaloFlows
import CaloNN
import CaloTensor

/// Densities against known ones: normalization on a grid, and training on a 2-D mixture whose
/// log-density is known in closed form.
@Suite struct FlowDensityTests {
    @Test func oneDimensionalDensityIntegratesToOne() throws {
        let spline = try RationalQuadraticSpline(bins: 6, tailBound: 4)
        let flow = try FlowFixtures.flow(.maf, features: 1, context: 1, blocks: 2, spline: spline, seed: 51, scale: 3)
        let h = 1e-3, lo = -12.0, n = Int(24 / h)
        let x = Matrix(rows: n, cols: 1, storage: (0..<n).map { Float(lo + (Double($0) + 0.5) * h) })
        let c = Matrix(rows: n, cols: 1, repeating: 0.7)
        let lp = try flow.logProb(x, context: c)
        let mass = lp.reduce(0) { $0 + exp($1) } * h
        #expect(abs(mass - 1) < 2e-3, "mass \(mass)")
        // Not the base density: the spline moved mass around.
        let base = StandardNormal.logProb(x)
        #expect(zip(lp, base).map { abs($0 - $1) }.max()! > 0.5)
    }

    @Test(arguments: [AutoregressiveKind.maf, .iaf])
    func twoDimensionalDensityIntegratesToOne(_ kind: AutoregressiveKind) throws {
        let spline = try RationalQuadraticSpline(bins: 5, tailBound: 4)
        let flow = try FlowFixtures.flow(kind, features: 2, context: 1, blocks: 2, spline: spline, seed: 52, scale: 2)
        let h = 0.04, lo = -8.0, side = Int(16 / h)
        var storage = [Float](); storage.reserveCapacity(2 * side * side)
        for i in 0..<side { for j in 0..<side {
            storage.append(Float(lo + (Double(i) + 0.5) * h)); storage.append(Float(lo + (Double(j) + 0.5) * h))
        } }
        let x = Matrix(rows: side * side, cols: 2, storage: storage)
        let c = Matrix(rows: side * side, cols: 1, repeating: -0.3)
        let lp = try flow.logProb(x, context: c)
        let mass = lp.reduce(0) { $0 + exp($1) } * h * h
        #expect(abs(mass - 1) < 1e-2, "mass \(mass)")
    }

    /// A MAF trained on samples of a known 2-D density reaches the true mean log-likelihood on
    /// held-out samples (the negative differential entropy) to within a small gap.
    @Test func trainedFlowReachesTrueLogLikelihood() throws {
        var rng = Xoshiro256(seed: 61)
        let data = TwoDimensionalMixture()
        let spline = try RationalQuadraticSpline(bins: 8, tailBound: 6)
        var steps = [Flow.Step]()
        for k in 0..<4 {
            if k > 0 { steps.append(.permutation(Permutation.reverse(segments: [0..<2]))) }
            steps.append(.block(try AutoregressiveSplineBlock(kind: .maf, features: 2, contextFeatures: 0, hiddenFeatures: 32,
                                                              hiddenLayers: 2, spline: spline, name: "b\(k)", rng: &rng)))
        }
        let flow = try Flow(steps: steps)
        let adam = try Adam(parameters: flow.parameters, learningRate: 5e-3)
        let test = data.sample(4000, rng: &rng)
        let noContext = Matrix(rows: 4000, cols: 0)
        let trueLL = data.logDensity(test).reduce(0, +) / 4000
        let startLL = try flow.logProb(test, context: noContext).reduce(0, +) / 4000
        let batch = 256, stepsCount = 1500
        let ctx = Matrix(rows: batch, cols: 0)
        for step in 0..<stepsCount {
            adam.learningRate = 5e-3 * 0.5 * (1 + cos(Double.pi * Double(step) / Double(stepsCount)))
            let x = data.sample(batch, rng: &rng)
            adam.zeroGradients()
            var none: Xoshiro256? = nil
            let t = try flow.forward(x, context: ctx, dropoutRNG: &none)
            _ = try flow.backward(t, endGradient: (1 / Float(batch)) * t.latent,
                                  logDetGradient: [Float](repeating: -1 / Float(batch), count: batch))
            adam.step()
        }
        let finalLL = try flow.logProb(test, context: noContext).reduce(0, +) / 4000
        #expect(finalLL > startLL + 0.5, "start \(startLL), final \(finalLL)")
        // The flow can approach but (on held-out data, up to sampling noise) not beat the truth.
        #expect(finalLL > trueLL - 0.06, "true \(trueLL), flow \(finalLL)")
        #expect(finalLL < trueLL + 0.05, "true \(trueLL), flow \(finalLL)")
    }
}

/// An equal mixture of two correlated Gaussians and a ring-like banana: non-Gaussian, with a
/// closed-form density.
struct TwoDimensionalMixture {
    // Components: N((-1.5, 0), diag(0.5², 1.0²)), N((1.5, 1), [[0.6², ρσσ], ...]) with ρ = 0.8.
    func sample(_ n: Int, rng: inout Xoshiro256) -> Matrix {
        var m = Matrix(rows: n, cols: 2)
        for r in 0..<n {
            let a = rng.normal(), b = rng.normal()
            if rng.uniform() < 0.5 {
                m[r, 0] = Float(-1.5 + 0.5 * a); m[r, 1] = Float(1.0 * b)
            } else {
                m[r, 0] = Float(1.5 + 0.6 * a); m[r, 1] = Float(1 + 0.6 * (0.8 * a + 0.6 * b))
            }
        }
        return m
    }

    func logDensity(_ x: Matrix) -> [Double] {
        (0..<x.rows).map { r in
            let u = Double(x[r, 0]), v = Double(x[r, 1])
            let p1 = gaussian2(u + 1.5, v, 0.5, 1.0, 0)
            let p2 = gaussian2(u - 1.5, v - 1, 0.6, 0.6, 0.8)
            return log(0.5 * p1 + 0.5 * p2)
        }
    }

    private func gaussian2(_ dx: Double, _ dy: Double, _ sx: Double, _ sy: Double, _ rho: Double) -> Double {
        let q = (dx * dx / (sx * sx) - 2 * rho * dx * dy / (sx * sy) + dy * dy / (sy * sy)) / (1 - rho * rho)
        return exp(-0.5 * q) / (2 * Double.pi * sx * sy * (1 - rho * rho).squareRoot())
    }
}
