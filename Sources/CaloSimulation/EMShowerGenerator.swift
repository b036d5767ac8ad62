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
    /// - Returns: the sampled longitudinal parameters.
    ///
    /// Energy per step from the homogeneous gamma profile, spot count per step from the spot
    /// profile (stochastic rounding, at least one spot), lateral age τ from the sampling set at
    /// the step midpoint. Energy past the last step is longitudinal leakage.
    @discardableResult
    func emShower(energyGeV e: Double, start t0: Double, axisX xa: Double, axisY ya: Double,
                  rng: inout Xoshiro256, cells: UnsafeMutablePointer<Double>) -> EMShowerRealization {
        let params = EMShowerParameters(energyGeV: e, medium: medium)
        let lateral = EMLateralProfile(energyGeV: e, medium: medium)
        let z1 = rng.normal(), z2 = rng.normal()
        let r = params.realize(z1: z1, z2: z2)
        let lgH = IncompleteGamma.logGamma(r.alphaHom), lgS = IncompleteGamma.logGamma(r.alphaSpot)
        let eMeV = 1000 * e
        let spots = params.spotCount
        let a2 = options.samplingResolution * options.samplingResolution
        var prevH = 0.0, prevS = 0.0
        let n = stepX0High.count
        var k = 0
        while k < n && stepX0High[k] <= t0 { k += 1 }
        while k < n {
            let uLo = max(0, stepX0Low[k] - t0), uHi = stepX0High[k] - t0
            let pH = IncompleteGamma.regularizedP(r.alphaHom, r.betaHom * uHi, logGammaA: lgH)
            let pS = IncompleteGamma.regularizedP(r.alphaSpot, r.betaSpot * uHi, logGammaA: lgS)
            var dE = eMeV * (pH - prevH)
            let count = max(1, Self.stochasticRound(spots * (pS - prevS), &rng))
            prevH = pH
            prevS = pS
            // Smear the total step energy (σ² = a²·ΔE[GeV], i.e. a/√E of the incident
            // energy), then convert to the visible signal.
            if smearSteps && dE > 0 { dE = 1000 * a2 * rng.gamma(shape: dE / 1000 / a2) }
            dE *= emScale
            if dE > 0 {
                let tau = r.ageScale * 0.5 * (uLo + uHi)
                let lp = lateral.parameters(age: tau)
                emitSpots(count: count, energy: dE / Double(count), core: lp.coreRadius, tail: lp.tailRadius,
                          coreProbability: lp.coreProbability, axisX: xa, axisY: ya,
                          binning: binnings[stepLayer[k]], rng: &rng, cells: cells)
            }
            if 1 - pH < 1e-7 { break }
            k += 1
        }
        return r
    }

    /// The spot loop: one 64-bit draw per spot (20 bits component choice, 12 bits azimuth
    /// from the table, 32 bits radius quantile u ≤ 1 − 1e-6), r = R √(u/(1−u)). Branch-free
    /// component choice and a local generator copy keep the loop in registers.
    @inline(__always)
    func emitSpots(count: Int, energy: Double, core: Double, tail: Double, coreProbability p: Double,
                   axisX xa: Double, axisY ya: Double, binning: LayerBinning,
                   rng: inout Xoshiro256, cells: UnsafeMutablePointer<Double>) {
        let table = AngleTable.shared.pointer
        let pThreshold = UInt64(p * 1048576.0)  // u_c < p  ⟺  20-bit integer < p·2^20
        let uMax = 1 - 1e-6
        let delta = core - tail
        var g = rng
        for _ in 0..<count {
            let bits = g.next()
            // 1 if the 20-bit value is below the threshold (wrap-around sets the top bit).
            let isCore = Double(((bits & 0xFFFFF) &- pThreshold) >> 63)
            let radius = tail + delta * isCore
            let idx = Int(truncatingIfNeeded: (bits >> 20) & 0xFFF) &* 2
            let u = min((Double(bits >> 32) + 0.5) * 0x1.0p-32, uMax)
            let rho = radius * (u / (1 - u)).squareRoot()
            binning.deposit(cells, x: xa + rho * Double(table[idx]), y: ya + rho * Double(table[idx + 1]), e: energy)
        }
        rng = g
    }
}
