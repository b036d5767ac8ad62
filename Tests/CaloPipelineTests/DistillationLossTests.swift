import Testing
import CaloFlows
import CaloNN
import CaloPipeline
import CaloTensor
import CaloTestSupport

/// The distillation gradient (through the frozen teacher into the student) against finite
/// differences on a tiny Flow II-shaped model.
@Suite struct DistillationLossTests {
    /// Teacher and student with the CaloFlow chain (per-segment permutations) on 6 features.
    func tinyPair(seed: UInt64) throws -> (teacher: Flow, student: Flow) {
        var rng = Xoshiro256(seed: seed)
        let spline = try RationalQuadraticSpline(bins: 4, tailBound: 3)
        let segments = [0..<4, 4..<6]
        var tSteps = [Flow.Step](), sSteps = [Flow.Step]()
        for k in 0..<3 {
            let tb = try AutoregressiveSplineBlock(kind: .maf, features: 6, contextFeatures: 2, hiddenFeatures: 10, hiddenLayers: 2,
                                                   spline: spline, name: "t\(k)", rng: &rng)
            let sb = try AutoregressiveSplineBlock(kind: .iaf, features: 6, contextFeatures: 2, hiddenFeatures: 12, hiddenLayers: 2,
                                                   spline: spline, name: "s\(k)", rng: &rng)
            for b in [tb, sb] { b.made.finalWeight.value.scale(by: 2); b.made.applyMasks() }
            tSteps.append(.block(tb)); sSteps.append(.block(sb))
            if k < 2 {
                let p = k == 0 ? Permutation.reverse(segments: segments) : Permutation.random(segments: segments, rng: &rng)
                tSteps.append(.permutation(p)); sSteps.append(.permutation(p))
            }
        }
        return (try Flow(steps: tSteps), try Flow(steps: sSteps))
    }

    @Test(arguments: [(0.5, true), (0.0, true), (1.0, true), (0.5, false)])
    func gradientMatchesFiniteDifferences(_ beta: Double, _ guided: Bool) throws {
        let (teacher, student) = try tinyPair(seed: 5)
        let loss = try DistillationLoss(teacher: teacher, student: student, beta: beta, guided: guided)
        var rng = Xoshiro256(seed: 6)
        let x = Matrix.randomNormal(4, 6, std: 1.2, rng: &rng), c = Matrix.randomNormal(4, 2, rng: &rng)
        let z = Matrix.randomNormal(3, 6, rng: &rng), c2 = Matrix.randomNormal(3, 2, rng: &rng)
        /// L without leaving gradients behind.
        func value() -> Double {
            let saved = (student.parameters + teacher.parameters).map(\.gradient)
            var none: Xoshiro256? = nil
            let v = try! loss.accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &none)
            for (p, g) in zip(student.parameters + teacher.parameters, saved) { p.gradient = g }
            return v.total
        }
        for p in student.parameters + teacher.parameters { p.zeroGradient() }
        var none: Xoshiro256? = nil
        let v = try loss.accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &none)
        #expect(v.total.isFinite && v.total > 0)
        // Teacher stays frozen: nothing is left in its gradients.
        #expect(teacher.parameters.allSatisfy { $0.gradient.maxAbs() == 0 })
        let report = GradientCheck.parameters(student.parameters,
                                              options: .init(step: 3e-3, floor: 5e-2, maxEntriesPerTensor: 10)) { value() }
        #expect(report.passes(tolerance: 3e-2), "\(report)")
    }

    @Test func mismatchedChainsAreRejected() throws {
        let (teacher, _) = try tinyPair(seed: 9)
        let (_, other) = try tinyPair(seed: 10) // different random permutation
        #expect(throws: PipelineError.self) { try DistillationLoss(teacher: teacher, student: other, beta: 0.5, guided: true) }
    }
}
