import Testing
import CaloFlows
import CaloNN
import CaloTensor
import CaloTestSupport

/// Backward passes through whole flows against central finite differences, with the loss terms
/// CaloFlow uses: the NLL (latent and log-det gradients) and distillation's extra terms on
/// intermediate states and raw MADE outputs.
@Suite struct FlowGradientTests {
    let spline = try! RationalQuadraticSpline(bins: 4, tailBound: 3)
    /// Step 3e-3: these deliberately steep fixtures put hidden units close to their ReLU kinks,
    /// which a step of 1e-2 crosses (probed: the quotient then jumps, e.g. 0.95 -> 0.21, while at
    /// 3e-3 it agrees with the analytic value to 4-5 digits). Float roundoff (~1e-6 relative on
    /// a loss of order 10) stays below the tolerance; gradients under 0.05 compare absolutely.
    /// A formula error is O(1): the deliberately wrong log-det sign below is caught.
    let options = GradientCheck.Options(step: 3e-3, floor: 5e-2, maxEntriesPerTensor: 12)

    /// L = Σ_rows NLL/B + Σ_p <A_p, state_p> + Σ_b <C_b, θ_b> for a forward (density) trace.
    @Test func mafDensityTraceBackward() throws {
        let flow = try FlowFixtures.flow(.maf, features: 4, context: 2, blocks: 2, hidden: 12, spline: spline, seed: 21, scale: 2)
        var rng = Xoshiro256(seed: 22)
        let x = Matrix.randomNormal(5, 4, std: 1.3, rng: &rng), c = Matrix.randomNormal(5, 2, rng: &rng)
        let stateWeights: [Int: Matrix] = [1: Matrix.randomNormal(5, 4, std: 0.3, rng: &rng),
                                           2: Matrix.randomNormal(5, 4, std: 0.3, rng: &rng)]
        let thetaWeights: [Int: Matrix] = [0: Matrix.randomNormal(5, flow.blocks[0].made.outputWidth, std: 0.05, rng: &rng),
                                           1: Matrix.randomNormal(5, flow.blocks[1].made.outputWidth, std: 0.05, rng: &rng)]
        func loss(_ input: Matrix) -> Double {
            var none: Xoshiro256? = nil
            let t = try! flow.forward(input, context: c, dropoutRNG: &none)
            let nll = zip(StandardNormal.logProb(t.latent), t.logDet).map { -($0 + $1) }.reduce(0, +) / 5
            var extra = 0.0
            for (p, w) in stateWeights { extra += GradientCheck.dot(t.states[p], w) }
            for (b, w) in thetaWeights { extra += GradientCheck.dot(t.madeOutputs[b], w) }
            return nll + extra
        }
        for p in flow.parameters { p.zeroGradient() }
        var none: Xoshiro256? = nil
        let t = try flow.forward(x, context: c, dropoutRNG: &none)
        let gz = (1 / Float(5)) * t.latent
        let gx = try flow.backward(t, endGradient: gz, logDetGradient: [Float](repeating: -1 / 5, count: 5),
                                   stateGradients: stateWeights, madeOutputGradients: thetaWeights)
        let report = GradientCheck.compare(parameters: flow.parameters, input: x, inputGradient: gx,
                                           options: options, loss: loss)
        #expect(report.passes(tolerance: 3e-2), "\(report)")
        // Sanity: a wrong sign on the log-det term must be caught.
        for p in flow.parameters { p.zeroGradient() }
        let t2 = try flow.forward(x, context: c, dropoutRNG: &none)
        _ = try flow.backward(t2, endGradient: gz, logDetGradient: [Float](repeating: 1 / 5, count: 5),
                              stateGradients: stateWeights, madeOutputGradients: thetaWeights)
        let wrong = GradientCheck.parameters(flow.parameters, options: options) { loss(x) }
        #expect(!wrong.passes(tolerance: 3e-2), "\(wrong)")
        // And a log-det term 10 % too large.
        for p in flow.parameters { p.zeroGradient() }
        let t3 = try flow.forward(x, context: c, dropoutRNG: &none)
        _ = try flow.backward(t3, endGradient: gz, logDetGradient: [Float](repeating: -1.1 / 5, count: 5),
                              stateGradients: stateWeights, madeOutputGradients: thetaWeights)
        let scaled = GradientCheck.parameters(flow.parameters, options: options) { loss(x) }
        #expect(!scaled.passes(tolerance: 3e-2), "\(scaled)")
    }

    /// The student's path: latent → data through IAF blocks, with gradients on the data, the
    /// log-det, intermediate states and MADE outputs, back to the latent input.
    @Test func iafSamplingTraceBackward() throws {
        let flow = try FlowFixtures.flow(.iaf, features: 4, context: 2, blocks: 2, hidden: 12, spline: spline, seed: 31, scale: 2)
        var rng = Xoshiro256(seed: 32)
        let z = Matrix.randomNormal(5, 4, std: 1.2, rng: &rng), c = Matrix.randomNormal(5, 2, rng: &rng)
        let target = Matrix.randomNormal(5, 4, rng: &rng)
        let stateWeights: [Int: Matrix] = [1: Matrix.randomNormal(5, 4, std: 0.3, rng: &rng),
                                           3: Matrix.randomNormal(5, 4, std: 0.3, rng: &rng)]
        let thetaWeights: [Int: Matrix] = [1: Matrix.randomNormal(5, flow.blocks[1].made.outputWidth, std: 0.05, rng: &rng)]
        let logDetWeight = [Float](repeating: 0.3, count: 5)
        func loss(_ input: Matrix) -> Double {
            var none: Xoshiro256? = nil
            let t = try! flow.inverse(input, context: c, dropoutRNG: &none)
            let diff = t.data - target
            var l = 0.5 * diff.sumOfSquares() + 0.3 * t.logDet.reduce(0, +)
            for (p, w) in stateWeights { l += GradientCheck.dot(t.states[p], w) }
            for (b, w) in thetaWeights { l += GradientCheck.dot(t.madeOutputs[b], w) }
            return l
        }
        for p in flow.parameters { p.zeroGradient() }
        var none: Xoshiro256? = nil
        let t = try flow.inverse(z, context: c, dropoutRNG: &none)
        let gz = try flow.backward(t, endGradient: t.data - target, logDetGradient: logDetWeight,
                                   stateGradients: stateWeights, madeOutputGradients: thetaWeights)
        let report = GradientCheck.compare(parameters: flow.parameters, input: z, inputGradient: gz,
                                           options: options, loss: loss)
        #expect(report.passes(tolerance: 3e-2), "\(report)")
    }

    /// A frozen flow (distillation's teacher) skips weight gradients but passes the same input gradient.
    @Test func frozenBackwardPassesTheSameInputGradient() throws {
        let flow = try FlowFixtures.flow(.maf, features: 4, context: 2, blocks: 2, hidden: 12, spline: spline, seed: 35, scale: 2)
        var rng = Xoshiro256(seed: 36)
        let x = Matrix.randomNormal(5, 4, rng: &rng), c = Matrix.randomNormal(5, 2, rng: &rng)
        let gz = Matrix.randomNormal(5, 4, rng: &rng), gs = [1: Matrix.randomNormal(5, 4, rng: &rng)]
        var none: Xoshiro256? = nil
        for p in flow.parameters { p.zeroGradient() }
        let t1 = try flow.forward(x, context: c, dropoutRNG: &none)
        let full = try flow.backward(t1, endGradient: gz, logDetGradient: nil, stateGradients: gs)
        #expect(flow.parameters.contains { $0.gradient.maxAbs() > 0 })
        for p in flow.parameters { p.zeroGradient() }
        let t2 = try flow.forward(x, context: c, dropoutRNG: &none)
        let frozen = try flow.backward(t2, endGradient: gz, logDetGradient: nil, stateGradients: gs, parameterGradients: false)
        #expect(frozen == full)
        #expect(flow.parameters.allSatisfy { $0.gradient.maxAbs() == 0 })
    }

    @Test func slowDirectionTracesRefuseBackward() throws {
        let flow = try FlowFixtures.flow(.maf, features: 3, context: 1, blocks: 1, spline: spline, seed: 41)
        var rng = Xoshiro256(seed: 42)
        var none: Xoshiro256? = nil
        let t = try flow.inverse(Matrix.randomNormal(2, 3, rng: &rng), context: Matrix.randomNormal(2, 1, rng: &rng), dropoutRNG: &none)
        #expect(throws: FlowError.self) { try flow.backward(t, endGradient: nil, logDetGradient: nil) }
    }
}
