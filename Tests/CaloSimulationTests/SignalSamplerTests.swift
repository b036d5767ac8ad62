import CaloTensor
import Foundation
import Testing
import CaloSimulation

/// The Gamma sampler of the per-cell argon signal against the exact distribution.
@Suite struct SignalSamplerTests {
    /// For shapes from 0.02 (cells far from the shower) to 2000 (its core): the empirical CDF at
    /// the 5, 25, 50, 75 and 95 % points of Gamma(k) (regularized incomplete gamma, solved by
    /// bisection) is within 4 binomial standard errors, and mean and variance (both k) within 4
    /// standard errors.
    @Test(arguments: [0.02, 0.3, 1.0, 3.7, 50.0, 2000.0])
    func drawsFollowTheGammaLaw(shape k: Double) {
        let n = 100_000
        var rng = Xoshiro256(seed: 77, stream: UInt64(k * 1000))
        var sampler = SignalSampler()
        let x = (0..<n).map { _ in sampler.gamma(shape: k, &rng) }
        #expect(x.allSatisfy { $0.isFinite && $0 >= 0 })
        let s = Stats(x)
        #expect(abs(s.mean - k) < 4 * s.se)
        #expect(abs(s.sd * s.sd - k) < 4 * 2 * s.sd * s.seOfSD)
        let sorted = x.sorted()
        for p in [0.05, 0.25, 0.5, 0.75, 0.95] {
            // Bisection in log x: small shapes put the low quantiles near 1e-65.
            var lo = -700.0, hi = log(k + 20 * k.squareRoot() + 20)
            for _ in 0..<200 {
                let mid = 0.5 * (lo + hi)
                if IncompleteGamma.regularizedP(k, exp(mid)) < p { lo = mid } else { hi = mid }
            }
            let q = exp(0.5 * (lo + hi))
            var below = 0
            var a = 0, b = sorted.count
            while a < b { let m = (a + b) / 2; if sorted[m] < q { a = m + 1 } else { b = m } }
            below = a
            let f = Double(below) / Double(n), se = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(f - p) < 4 * se, "k=\(k): F(q_\(p)) = \(f)")
        }
        var rng2 = Xoshiro256(seed: 78)
        var z = SignalSampler()
        let normals = Stats((0..<n).map { _ in z.normal(&rng2) })
        #expect(abs(normals.mean) < 4 * normals.se && abs(normals.sd - 1) < 4 * normals.seOfSD)
        #expect(abs(normals.kurtosis - 3) < 0.1)
    }
}
