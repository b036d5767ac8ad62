import CaloTensor
import Foundation
import Testing
import CaloSimulation

@Suite struct IncompleteGammaTests {
    /// Composite Simpson integral of the gamma density x^(a−1) e^(−x) / Γ(a) on [0, x]
    /// (a ≥ 2 so the integrand is smooth at 0).
    func simpson(_ a: Double, _ x: Double) -> Double {
        let n = 20_000, h = x / Double(n), lg = IncompleteGamma.logGamma(a)
        func f(_ t: Double) -> Double { t <= 0 ? 0 : exp((a - 1) * log(t) - t - lg) }
        var s = f(0) + f(x)
        for i in 1..<n { s += (i % 2 == 1 ? 4 : 2) * f(Double(i) * h) }
        return s * h / 3
    }

    @Test(arguments: [2.0, 3.12, 4.25, 5.38, 11.0])
    func matchesNumericalIntegration(a: Double) {
        for x in [0.3, 1, a - 0.5, a + 0.9, a + 1.1, 2 * a + 3, 30] {
            let p = IncompleteGamma.regularizedP(a, x)
            #expect(abs(p - simpson(a, x)) < 1e-10, "a=\(a) x=\(x)")
        }
    }

    @Test func closedFormsAndRecurrence() {
        for x in [0.01, 0.5, 1.9, 2.1, 7, 40] {
            #expect(abs(IncompleteGamma.regularizedP(1, x) - (1 - exp(-x))) < 1e-14)
            for a in [0.6, 1.7, 4.3] {
                // P(a+1, x) = P(a, x) − x^a e^(−x) / Γ(a+1)
                let rhs = IncompleteGamma.regularizedP(a, x) - exp(a * log(x) - x - IncompleteGamma.logGamma(a + 1))
                #expect(abs(IncompleteGamma.regularizedP(a + 1, x) - rhs) < 1e-13, "a=\(a) x=\(x)")
            }
        }
        #expect(IncompleteGamma.regularizedP(3, 0) == 0)
        #expect(IncompleteGamma.regularizedP(3, -1) == 0)
        #expect(IncompleteGamma.regularizedP(3, .infinity) == 1)
    }
}
