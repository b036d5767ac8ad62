import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

extension ShowerEngine {
    /// One GFlash EM shower (reference-simulator.md sections 2, 3, 6).
    ///
    /// - Parameters:
    ///   - energyGeV: shower energy (> 0).
    ///   - start: start depth t0 in X0 from the front face (0 for e+, conversion depth for γ).
    ///   - axisX, axisY: shower axis position in mm (the axis is parallel to z).
    ///   - target: the cell buffer (510 values) its spots add to: `cells` for total deposits,
    ///     `emSignal` (mean argon deposits) in the active mode.
    /// - Returns: the sampled longitudinal parameters.
    ///
    /// Energy per step from the gamma profile of the deposit mode (total: homogeneous set;
    /// active: sampling set, scaled by e/mip · f_mip), spot count per step from its spot profile
    /// (stochastic rounding, at least one spot), lateral age τ from the sampling set at the step
    /// midpoint. Energy past the last step is longitudinal leakage. The GFlash constants are
    /// those of `grid.emMedium(atX0: start)` (the one medium of a periodic stack).
    @discardableResult
    func emShower(energyGeV e: Double, start t0: Double, axisX xa: Double, axisY ya: Double,
                  rng: inout Xoshiro256, target: UnsafeMutablePointer<Double>) -> EMShowerRealization {
        let medium = grid.emMedium(atX0: t0)
        let params = EMShowerParameters(energyGeV: e, medium: medium)
        let lateral = EMLateralProfile(energyGeV: e, medium: medium)
        let z1 = rng.normal(), z2 = rng.normal()
        let r = params.realize(z1: z1, z2: z2)
        let prof = r.profile(options.depositMode)
        let lgE = IncompleteGamma.logGamma(prof.alpha), lgS = IncompleteGamma.logGamma(prof.alphaSpot)
        let eMeV = 1000 * e * emScale
        let spots = params.spotCount
        var prevE = 0.0, prevS = 0.0
        let n = stepX0High.count
        var k = 0
        while k < n && stepX0High[k] <= t0 { k += 1 }
        while k < n {
            let uLo = max(0, stepX0Low[k] - t0), uHi = stepX0High[k] - t0
            let pE = IncompleteGamma.regularizedP(prof.alpha, prof.beta * uHi, logGammaA: lgE)
            let pS = IncompleteGamma.regularizedP(prof.alphaSpot, prof.betaSpot * uHi, logGammaA: lgS)
            let dE = eMeV * (pE - prevE)
            let count = max(1, Self.stochasticRound(spots * (pS - prevS), &rng))
            prevE = pE
            prevS = pS
            if dE > 0 {
                let tau = r.ageScale * 0.5 * (uLo + uHi)
                let lp = lateral.parameters(age: tau)
                emitSpots(count: count, energy: dE / Double(count), core: lp.coreRadius, tail: lp.tailRadius,
                          coreProbability: lp.coreProbability, axisX: xa, axisY: ya,
                          binning: binnings[stepLayer[k]], rng: &rng, cells: target)
            }
            if 1 - pE < 1e-7 { break }
            k += 1
        }
        return r
    }

    /// The spot loop of one step: `count` spots carrying `energy` MeV on average, exactly
    /// count × energy together, distributed with the two-component radial law
    /// f(r) = p f_Rc(r) + (1 − p) f_Rt(r), f_R(r) = 2r R²/(r² + R²)².
    ///
    /// Spots are importance-sampled in antithetic pairs. Each spot picks its component and
    /// draws its radius from the wider law g_R(r) = r R/(r² + R²)^(3/2) (tail ∝ r⁻² instead of
    /// r⁻³; CDF 1 − R/√(r² + R²)), i.e. r = R √(1/v² − 1) for v uniform in (0, 1], and carries
    /// the weight f_R/g_R = 2R/√(r² + R²) = 2v. The pair uses v and 1 − v, so its weights add
    /// to exactly 2: every step keeps its energy, and each spot alone is an unbiased sample of
    /// f. Within the pair the energy is further shared at random (below) without changing
    /// either spot's mean. Spots far from the axis are light, as the soft photons that make the
    /// tail of a real shower deposit in small pieces: cells far out get a continuum of small
    /// energies instead of 0 or one whole spot (the quantisation that made a bump at the mean
    /// spot energy, ≈ 11 MeV, in the cell spectrum). An odd spot is drawn from f itself with
    /// weight 1.
    ///
    /// One 64-bit draw per spot: 20 bits component choice, 12 bits azimuth from the table; the
    /// pair's v and its energy split take a second draw. Branch-free component choice and a
    /// local generator copy keep the loop in registers.
    @inline(__always)
    func emitSpots(count: Int, energy: Double, core: Double, tail: Double, coreProbability p: Double,
                   axisX xa: Double, axisY ya: Double, binning: LayerBinning,
                   rng: inout Xoshiro256, cells: UnsafeMutablePointer<Double>) {
        let table = AngleTable.shared.pointer
        let pThreshold = UInt64(p * 1048576.0)  // u_c < p  ⟺  20-bit integer < p·2^20
        let coreMinusTail = core - tail
        var g = rng
        var remaining = count
        if remaining & 1 == 1 {
            let bits = g.next()
            // 1 if the 20-bit value is below the threshold (wrap-around sets the top bit).
            let isCore = Double(((bits & 0xFFFFF) &- pThreshold) >> 63)
            let radius = tail + coreMinusTail * isCore
            let idx = Int(truncatingIfNeeded: (bits >> 20) & 0xFFF) &* 2
            let u = min((Double(bits >> 32) + 0.5) * 0x1.0p-32, 1 - 1e-6)
            let rho = radius * (u / (1 - u)).squareRoot()
            binning.deposit(cells, x: xa + rho * Double(table[idx]), y: ya + rho * Double(table[idx + 1]), e: energy)
            remaining -= 1
        }
        let twoE = 2 * energy
        while remaining > 0 {
            let bits = g.next(), bits2 = g.next()
            let v = (Double(bits2 >> 32) + 0.5) * 0x1.0p-32   // (0, 1)
            let w = 1 - v
            // The pair's energy 2ε splits as 2ε(v + δ) : 2ε(w − δ), δ uniform in ±min(v, w):
            // each spot keeps its mean 2εv, 2εw given its radius, the lighter one's energy is
            // flat in [0, 2 × mean] (like a Compton electron's), and the pair's sum stays 2ε.
            let delta = min(v, w) * ((Double(bits2 & 0xFFFF_FFFF) + 0.5) * 0x1.0p-31 - 1)
            let coreA = Double(((bits & 0xFFFFF) &- pThreshold) >> 63)
            let coreB = Double((((bits >> 32) & 0xFFFFF) &- pThreshold) >> 63)
            let idxA = Int(truncatingIfNeeded: (bits >> 20) & 0xFFF) &* 2
            let idxB = Int(truncatingIfNeeded: (bits >> 52) & 0xFFF) &* 2
            // r = R √((1 − v)(1 + v)) / v, the same for the partner with w = 1 − v (one division).
            let inv = 1 / (v * w)
            let rhoA = (tail + coreMinusTail * coreA) * (w * (1 + v)).squareRoot() * (w * inv)
            let rhoB = (tail + coreMinusTail * coreB) * (v * (1 + w)).squareRoot() * (v * inv)
            let eA = twoE * (v + delta)
            binning.deposit(cells, x: xa + rhoA * Double(table[idxA]), y: ya + rhoA * Double(table[idxA + 1]), e: eA)
            binning.deposit(cells, x: xa + rhoB * Double(table[idxB]), y: ya + rhoB * Double(table[idxB + 1]), e: twoE - eA)
            remaining -= 2
        }
        rng = g
    }
}
