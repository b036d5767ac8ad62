import Testing
import Glibc
import CaloTensor
import CaloEvaluation

@Suite struct SpecialFunctionsTests {
    typealias SF = SpecialFunctions

    @Test(arguments: [0.01, 0.3, 1, 1.7, 3, 8, 25, 60])
    func incompleteGammaClosedForms(x: Double) {
        #expect(abs(SF.regularizedGammaP(1, x) - (1 - exp(-x))) < 1e-14)
        #expect(abs(SF.regularizedGammaP(0.5, x) - erf(x.squareRoot())) < 1e-14)
        #expect(abs(SF.regularizedGammaQ(0.5, x) - erfc(x.squareRoot())) <= 1e-12 * erfc(x.squareRoot()) + 1e-300)
        #expect(abs(SF.chiSquaredCDF(x, degreesOfFreedom: 2) - (1 - exp(-x / 2))) < 1e-14)
    }

    @Test(arguments: [(3.5, 2.0), (3.5, 9.0), (251.5, 240.0), (251.5, 265.0), (252.0, 252.5), (40.0, 41.0)])
    func incompleteGammaRecurrenceAndDerivative(a: Double, x: Double) {
        // P(a+1, x) = P(a, x) − x^a e^−x / Γ(a+1), across the series / continued-fraction switch.
        let step = exp(a * log(x) - x - lgamma(a + 1))
        #expect(abs(SF.regularizedGammaP(a + 1, x) - (SF.regularizedGammaP(a, x) - step)) < 1e-13)
        #expect(abs(SF.regularizedGammaP(a, x) + SF.regularizedGammaQ(a, x) - 1) < 1e-14)
        // dP/dx = x^(a−1) e^−x / Γ(a), central difference.
        let h = 1e-4 * x
        let fd = (SF.regularizedGammaP(a, x + h) - SF.regularizedGammaP(a, x - h)) / (2 * h)
        let pdf = exp((a - 1) * log(x) - x - lgamma(a))
        #expect(abs(fd - pdf) < 1e-6 * pdf)
    }

    @Test func chiSquaredDensityIntegratesToOne() {
        let k = 504.0
        var s = 0.0
        let h = 0.05
        for i in 0..<24_000 { s += SF.chiSquaredPDF((Double(i) + 0.5) * h, degreesOfFreedom: k) * h }
        #expect(abs(s - 1) < 1e-9)
        #expect(abs(SF.chiSquaredCDF(1200, degreesOfFreedom: k) - 1) < 1e-12)
    }

    @Test func kolmogorovDistribution() {
        // Standard critical values: P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01.
        #expect(abs(SF.kolmogorovSurvival(1.3581) - 0.05) < 2e-5)
        #expect(abs(SF.kolmogorovSurvival(1.6276) - 0.01) < 2e-5)
        #expect(SF.kolmogorovSurvival(0) == 1)
        let grid = (1...300).map { SF.kolmogorovSurvival(Double($0) / 100) }
        #expect(zip(grid, grid.dropFirst()).allSatisfy { $0 >= $1 })
        // The two series agree where the implementation switches between them.
        #expect(abs(SF.kolmogorovSurvival(1.18 - 1e-12) - SF.kolmogorovSurvival(1.18)) < 1e-12)
    }
}

@Suite struct KolmogorovSmirnovTests {
    @Test func statisticByHand() throws {
        let ks = try KolmogorovSmirnov(samples: [0.1, 0.2]) { $0 }
        #expect(abs(ks.statistic - 0.8) < 1e-15)
        #expect(throws: EvaluationError.self) { try KolmogorovSmirnov(samples: []) { $0 } }
    }

    @Test func uniformSamplesPassShiftedFail() throws {
        var rng = Xoshiro256(seed: 17)
        let u = (0..<2000).map { _ in rng.uniform() }
        #expect(try KolmogorovSmirnov(samples: u) { min(max($0, 0), 1) }.pValue > 0.01)
        #expect(try KolmogorovSmirnov(samples: u.map { $0 * 0.9 }) { min(max($0, 0), 1) }.pValue < 1e-6)
    }
}

@Suite struct LatentCalibrationTests {
    @Test func standardNormalLatentsLookChiSquared() throws {
        var rng = Xoshiro256(seed: 2024)
        let z = Matrix.randomNormal(1000, 504, rng: &rng)
        let c = try LatentCalibration(latents: z)
        #expect(c.dimension == 504 && c.squaredNorms.count == 1000)
        #expect(c.ks.pValue > 0.01)
        #expect(abs(c.meanPull) < 4)
        #expect(abs(c.variance / c.expectedVariance - 1) < 0.2)
        // Expected bin densities integrate to the chi-squared mass inside the range (≈ 1).
        let mass = zip(c.expectedBinDensity, c.histogram.binning.widths).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(mass - 1) < 1e-6)
        #expect(c.chiSquaredDensity.count == c.histogram.binning.count)
    }

    @Test func overDispersedLatentsFail() throws {
        var rng = Xoshiro256(seed: 2024)
        var z = Matrix.randomNormal(1000, 504, rng: &rng)
        z.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= 1.1 } }
        let c = try LatentCalibration(latents: z)
        #expect(c.ks.pValue < 1e-10 && c.meanPull > 10)
    }

    @Test func badLatentsThrow() {
        #expect(throws: EvaluationError.self) { try LatentCalibration(latents: Matrix(rows: 1, cols: 4)) }
        var m = Matrix(rows: 3, cols: 2)
        m[1, 1] = .nan
        #expect(throws: EvaluationError.self) { try LatentCalibration(latents: m) }
    }
}
