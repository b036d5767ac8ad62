import CaloFlows
import CaloNN
import CaloTensor
import Glibc

/// Small flows with strongly non-linear splines for property tests.
enum FlowFixtures {
    /// A block whose MADE output is scaled up so the spline is far from the identity.
    static func block(_ kind: AutoregressiveKind, features: Int, context: Int, hidden: Int = 16, layers: Int = 2,
                      spline: RationalQuadraticSpline, name: String, rng: inout Xoshiro256, scale: Float = 4) throws -> AutoregressiveSplineBlock {
        let b = try AutoregressiveSplineBlock(kind: kind, features: features, contextFeatures: context, hiddenFeatures: hidden,
                                              hiddenLayers: layers, spline: spline, name: name, rng: &rng)
        b.made.finalWeight.value.scale(by: scale)
        b.made.finalBias.value = Matrix.randomNormal(1, b.made.outputWidth, std: 1, rng: &rng)
        b.made.applyMasks()
        return b
    }

    /// blocks with reverse permutations in between.
    static func flow(_ kind: AutoregressiveKind, features: Int, context: Int, blocks: Int = 3, hidden: Int = 16,
                     spline: RationalQuadraticSpline, seed: UInt64, scale: Float = 4) throws -> Flow {
        var rng = Xoshiro256(seed: seed)
        var steps = [Flow.Step]()
        for k in 0..<blocks {
            if k > 0 { steps.append(.permutation(Permutation.reverse(segments: [0..<features]))) }
            steps.append(.block(try block(kind, features: features, context: context, hidden: hidden, spline: spline,
                                          name: "b\(k)", rng: &rng, scale: scale)))
        }
        return try Flow(steps: steps)
    }

    /// log|det J| of f at x by central differences (f evaluated in Float, determinant in Double).
    static func numericalLogDet(_ x: [Float], step h: Float = 1e-2, _ f: ([Float]) -> [Float]) -> Double {
        let d = x.count
        var jac = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for j in 0..<d {
            var xp = x, xm = x
            xp[j] += h; xm[j] -= h
            let hp = Double(xp[j] - x[j]), hm = Double(x[j] - xm[j])
            let fp = f(xp), fm = f(xm)
            for i in 0..<d { jac[i][j] = (Double(fp[i]) - Double(fm[i])) / (hp + hm) }
        }
        return logAbsDeterminant(jac)
    }

    /// The numerical log-determinant at three steps (1e-2, 3e-3, 1e-3) closest to `analytic`.
    /// A Float forward pass makes the difference quotient noisy (roundoff at small steps, ReLU
    /// and knot kinks at large ones) in a way that changes from step to step, whereas a wrong
    /// log-determinant formula is off at every step; so the best of three is a sharp test.
    static func closestNumericalLogDet(_ x: [Float], analytic: Double, _ f: ([Float]) -> [Float]) -> Double {
        [1e-2, 3e-3, 1e-3].map { numericalLogDet(x, step: Float($0), f) }.min { abs($0 - analytic) < abs($1 - analytic) }!
    }

    /// log|det A| by Gaussian elimination with partial pivoting.
    static func logAbsDeterminant(_ a: [[Double]]) -> Double {
        var m = a
        let n = m.count
        var s = 0.0
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
            m.swapAt(c, p)
            let piv = m[c][c]
            s += log(abs(piv))
            for r in (c + 1)..<n {
                let f = m[r][c] / piv
                for k in c..<n { m[r][k] -= f * m[c][k] }
            }
        }
        return s
    }
}
