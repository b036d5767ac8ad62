import Testing
import Glibc
import CaloTensor
import CaloData
import CaloSimulation
import CaloEvaluation

/// FPD and KPD (jetnet definitions) against analytic values and on samples of known
/// distributions. Statistical bounds are stated with the numbers they come from; none depends
/// on a BLAS kernel's rounding.
@Suite struct PhysicsDistanceTests {
    /// n rows of independent Gaussians with the given means and standard deviations.
    static func gaussian(_ n: Int, means: [Double], sigmas: [Double], seed: UInt64) throws -> FeatureMatrix {
        var rng = Xoshiro256(seed: seed)
        var v = [Double]()
        for _ in 0..<n { for j in means.indices { v.append(means[j] + sigmas[j] * rng.normal()) } }
        return try FeatureMatrix(rows: n, cols: means.count, values: v)
    }

    /// A fixed SPD matrix Q diag(λ) Qᵀ (Q a Householder reflection), row-major.
    static func spd(_ lambda: [Double]) -> [Double] {
        let n = lambda.count
        let v = (0..<n).map { Double($0) - 1.3 }, s = v.reduce(0) { $0 + $1 * $1 }
        let q = (0..<(n * n)).map { k in (k / n == k % n ? 1.0 : 0) - 2 * v[k / n] * v[k % n] / s }
        var scaled = q
        for i in 0..<n { for k in 0..<n { scaled[i * n + k] *= lambda[k] } }
        return DoubleBLAS.multiply(scaled, q, transposeB: true, m: n, n: n, k: n)
    }

    @Test func frechetDistanceOfKnownGaussians() throws {
        // Σ₂ = c Σ₁ commute: tr(Σ₁ + cΣ₁ − 2√c Σ₁) = (1 − √c)² tr Σ₁.
        let s1 = Self.spd([0.5, 1, 2, 7]), trace = 10.5
        let s2 = s1.map { $0 * 2.25 }
        let m1 = [0.0, 1, 2, 3], m2 = [1.0, 1, 0, 3]
        let d = try FrechetPhysicsDistance.frechetDistance(mean1: m1, covariance1: s1, mean2: m2, covariance2: s2)
        #expect(abs(d - (5 + 0.25 * trace)) < 1e-10, "\(d)")
        // Σ₁ = I, Σ₂ = Q diag(λ) Qᵀ: d + Σλ − 2 Σ√λ (non-diagonal Σ₂).
        let lambda = [0.25, 1, 4, 9]
        let identity = (0..<16).map { $0 / 4 == $0 % 4 ? 1.0 : 0 }
        let d2 = try FrechetPhysicsDistance.frechetDistance(mean1: m1, covariance1: identity, mean2: m1, covariance2: Self.spd(lambda))
        #expect(abs(d2 - (4 + 14.25 - 2 * 6.5)) < 1e-10, "\(d2)")
        // Symmetric in its arguments, 0 for one Gaussian.
        let d3 = try FrechetPhysicsDistance.frechetDistance(mean1: m2, covariance1: s2, mean2: m1, covariance2: s1)
        #expect(abs(d3 - d) < 1e-10)
        #expect(abs(try FrechetPhysicsDistance.frechetDistance(mean1: m1, covariance1: s1, mean2: m1, covariance2: s1)) < 1e-12)
    }

    static var small: FrechetPhysicsDistance.Options {
        var o = FrechetPhysicsDistance.Options()
        o.minSamples = 1000; o.maxSamples = 4000; o.batchesPerPoint = 5; o.points = 5
        return o
    }

    @Test func fpdOfOneDistributionIsZeroWithinItsError() throws {
        let a = try Self.gaussian(8000, means: [1, 0, 5], sigmas: [1, 2, 0.5], seed: 1)
        let b = try Self.gaussian(8000, means: [1, 0, 5], sigmas: [1, 2, 0.5], seed: 2)
        let fpd = try FrechetPhysicsDistance.compute(reference: a, generated: b, options: Self.small)
        // Evenly spaced in 1/n from 1/1000 to 1/4000 (truncated to integers, as jetnet does).
        let want = [1000, 1230, 1600, 2285, 4000]
        #expect(zip(fpd.sampleSizes, want).allSatisfy { abs($0 - $1) <= 1 }, "\(fpd.sampleSizes)")
        // Two finite samples of one distribution differ by O(F/N) in the normalised features
        // (σ/max ≈ 0.25, F = 3, N = 8000): a few 10⁻⁴; the fit's intercept is below that.
        #expect(fpd.value >= 0 && fpd.value < 5e-4, "FPD \(fpd.value) ± \(fpd.error)")
        // Mean distances fall with the sample size (the 1/n bias).
        #expect(fpd.meanDistances.first! > fpd.meanDistances.last!)
    }

    @Test func fpdOfShiftedDistributionsMatchesTheMeanShift() throws {
        let a = try Self.gaussian(8000, means: [0, 0, 0], sigmas: [1, 1, 1], seed: 3)
        let b = try Self.gaussian(8000, means: [0.5, 0, 0], sigmas: [1, 1, 1], seed: 4)
        var options = Self.small
        options.normalise = false
        let fpd = try FrechetPhysicsDistance.compute(reference: a, generated: b, options: options)
        // ‖Δμ‖² = 0.25; the sample means of 8000 showers move it by about 2·0.5·sqrt(2/8000) = 0.016.
        #expect(abs(fpd.value - 0.25) < 0.05, "FPD \(fpd.value) ± \(fpd.error)")
        #expect(fpd.valueTimes1e3 == fpd.value * 1e3)
    }

    @Test func fpdRefusesBadInput() throws {
        let a = try Self.gaussian(100, means: [0, 0], sigmas: [1, 1], seed: 5)
        let b = try Self.gaussian(100, means: [0, 0, 0], sigmas: [1, 1, 1], seed: 6)
        #expect(throws: EvaluationError.self) { _ = try FrechetPhysicsDistance.compute(reference: a, generated: b, options: Self.small) }
        let bad = try FeatureMatrix(rows: 2, cols: 2, values: [0, 1, .nan, 2])
        #expect(throws: EvaluationError.self) { _ = try FrechetPhysicsDistance.compute(reference: a, generated: bad, options: Self.small) }
        var options = Self.small
        options.points = 2
        #expect(throws: EvaluationError.self) { _ = try FrechetPhysicsDistance.compute(reference: a, generated: a, options: options) }
    }

    @Test func kpdOfOneDistributionIsZeroAndOfShiftedOnesPositive() throws {
        var options = KernelPhysicsDistance.Options()
        options.batchSize = 1000
        let a = try Self.gaussian(5000, means: [1, 0, 5], sigmas: [1, 2, 0.5], seed: 7)
        let b = try Self.gaussian(5000, means: [1, 0, 5], sigmas: [1, 2, 0.5], seed: 8)
        let same = try KernelPhysicsDistance.compute(reference: a, generated: b, options: options)
        #expect(same.batchValues.count == 10)
        // Unbiased: the median sits within its error of 0 (generously: 3 errors, as the median
        // of 10 batches is itself uncertain by about 1.25 error / sqrt(10)·...).
        #expect(abs(same.value) < 3 * same.error + 1e-6, "KPD \(same.value) ± \(same.error)")
        // A shift of one sigma along one feature: the batch estimates scatter by about a fifth
        // of the value, so the median is many errors above 0 and far above the null value.
        let c = try Self.gaussian(5000, means: [2, 0, 5], sigmas: [1, 2, 0.5], seed: 9)
        let shifted = try KernelPhysicsDistance.compute(reference: a, generated: c, options: options)
        #expect(shifted.value > 5 * shifted.error && shifted.value > abs(same.value) + 10 * same.error,
                "KPD \(shifted.value) ± \(shifted.error) against \(same.value) ± \(same.error)")
    }

    @Test func unbiasedMMDOfAHandSizedExample() throws {
        // x = {0, 1}, y = {2, 2}, 1 feature, degree 1: k(a, b) = ab + 1. Off-diagonal XX pairs:
        // k(0,1) = 1 → mean 1; YY: k(2,2) = 5 → 5; XY: k = 1, 1, 3, 3 → mean 2. MMD² = 1 + 5 − 2·2 = 2.
        let v = KernelPhysicsDistance.unbiasedMMD([0, 1], rows: 2, [2, 2], rows: 2, cols: 1, degree: 1)
        #expect(abs(v - 2) < 1e-12, "\(v)")
    }

    @Test func referenceValuesOfTheChallenge() {
        #expect(ChallengeReferenceValues.geant4FPDTimes1e3(geometry: "ds1-photons") == 0.12)
        #expect(ChallengeReferenceValues.geant4FPDTimes1e3(geometry: "ds2") == 10.8)
        #expect(ChallengeReferenceValues.geant4FPDTimes1e3(geometry: "calogan") == nil)
    }
}

/// The bundled challenge metrics on CaloGAN showers of the built-in simulator.
@Suite struct ChallengeMetricsTests {
    static var quick: ChallengeMetrics.Options {
        var o = ChallengeMetrics.Options()
        o.fpd.minSamples = 500; o.fpd.maxSamples = 2000; o.fpd.batchesPerPoint = 3; o.fpd.points = 4
        o.kpd.batchSize = 500; o.kpd.batches = 5
        return o
    }

    @Test func electronsAgainstElectronsAndPions() throws {
        let e = try ShowerSimulator(particle: .eplus).simulate(count: 1200, seed: 31)
        let p = try ShowerSimulator(particle: .piplus).simulate(count: 600, seed: 32)
        let same = try ChallengeMetrics.compute(reference: e.slice(0..<600), generated: e.slice(600..<1200), thresholdMeV: 0.01, options: Self.quick)
        let other = try ChallengeMetrics.compute(reference: e.slice(0..<600), generated: p, thresholdMeV: 0.01, options: Self.quick)
        // CaloGAN: log10 E_inc, 3 layer energies, 4 x 3 centres and widths.
        #expect(same.featureNames.count == 16 && same.geant4FPDTimes1e3 == nil && same.geometry == "calogan")
        #expect(other.fpd.value > 20 * max(same.fpd.value, same.fpd.error), "\(other.summary) vs \(same.summary)")
        #expect(other.kpd.value > 20 * (abs(same.kpd.value) + same.kpd.error), "\(other.summary) vs \(same.summary)")
        #expect(same.separationPowers.count == other.separationPowers.count && !same.separationPowers.isEmpty)
        // Mean separation power of the challenge's histograms: finite-sample noise (600 showers on
        // 20-100 bins) against showers of another particle.
        func mean(_ m: ChallengeMetrics) -> Double {
            let v = m.separationPowers.filter(\.challenge).compactMap(\.value)
            return v.reduce(0, +) / Double(v.count)
        }
        #expect(same.separationPowers[0].name == "E_tot_over_E_inc")
        #expect(mean(other) > 3 * mean(same), "\(mean(other)) vs \(mean(same))")
        #expect(throws: EvaluationError.self) {
            _ = try ChallengeMetrics.compute(reference: e.slice(0..<10), generated: ShowerBatch(count: 10, geometry: .ds1Photons), thresholdMeV: 0.01)
        }
    }
}
