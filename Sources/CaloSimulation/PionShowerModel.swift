import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

/// Constants of the π+ model (reference-simulator.md section 5). Values marked [set] in the
/// spec are our untuned choices; see the spec for their origin.
public enum PionModel {
    /// Pion inelastic interaction length of the Pb/LAr stack, mm.
    public static let interactionLength = 437.0
    /// Mean MIP energy loss κ, MeV/mm (relativistic rise included).
    public static let mipLossPerMM = 0.60
    /// Landau/Moyal width ξ, MeV/mm.
    public static let moyalWidthPerMM = 0.0294
    /// Mean of the Moyal variable M = −ln(g²), g ~ N(0,1).
    public static let moyalMean = 1.27
    /// Groom/Wigmans π0 fraction exponent m (E0 = 1 GeV).
    public static let pi0Exponent = 0.83
    /// Beta concentration κ of the per-event π0 fraction.
    public static let pi0Concentration = 6.0
    /// Probability of a charge-exchange-like event with f_em ~ U(0.8, 1).
    public static let chargeExchangeProbability = 0.03
    /// EM sub-showers below this energy (GeV) are deposited as one spot.
    public static let minimumSubShower = 0.020
    /// Lateral displacement scale of the second EM sub-shower axis, mm.
    public static let subShowerDisplacement = 30.0
    /// Pion inelastic interaction length in units of λ_I for a stack of several sections
    /// (`DetectorStack`): 437 / 374.6, the lead/argon value, applied to every material [set]
    /// (PDG iron: 206 / 168 mm = 1.22).
    public static let pionToNuclearLengthRatio = 437.0 / 374.6

    /// Mean π0 fraction f̄ = max(0.05, 1 − (max(E', 1 GeV)/1 GeV)^(m−1)); E' in GeV.
    public static func meanPi0Fraction(energyGeV e: Double) -> Double {
        max(0.05, 1 - pow(max(e, 1), pi0Exponent - 1))
    }

    /// One shower's π0 (EM) fraction of the energy E' (GeV) left after the MIP track: with the
    /// charge-exchange probability uniform in [0.8, 1], else Beta with mean `meanPi0Fraction` and
    /// concentration `pi0Concentration`. Draws from `rng` in that order (one uniform, then the
    /// uniform or the Beta variate).
    static func drawPi0Fraction(energyGeV e: Double, _ rng: inout Xoshiro256) -> Double {
        let fbar = meanPi0Fraction(energyGeV: e)
        if rng.uniform() < chargeExchangeProbability { return rng.uniform(0.8, 1) }
        let k = pi0Concentration
        return rng.beta(k * fbar, k * (1 - fbar))
    }

    /// Bock et al. gamma profile of the non-EM component in λ_I units before fluctuations:
    /// α = max(0.6, 0.6165 + 0.3183 ln E'), β = 0.9099 − 0.0237 ln E' (per λ_I).
    public static func hadronicProfile(energyGeV e: Double) -> (alpha: Double, beta: Double) {
        let l = log(e)
        return (max(0.6, 0.6165 + 0.3183 * l), 0.9099 - 0.0237 * l)
    }
}

extension ShowerEngine {
    /// One π+ shower: exponential interaction depth, MIP track up to it, then π0 (EM) and non-EM
    /// components with invisible energy (section 5 steps 1–6).
    func pionShower(energyGeV e: Double, rng: inout Xoshiro256, scratch: EventScratch) {
        if let stack = grid.stack {
            stackPionShower(energyGeV: e, stack: stack, rng: &rng, scratch: scratch)
            return
        }
        let cells = scratch.cells
        let depth = grid.totalDepth
        let zInt = -PionModel.interactionLength * log(rng.uniformOpen())
        scratch.interactionDepth = zInt

        // MIP track on the axis, displaced by (±0.1, ±0.1) mm into one central cell. Per layer:
        // the total loss (bookkeeping, and the deposit in total mode) and, in active mode, the
        // argon deposit f_mip·κ·ℓ with its own Landau fluctuation (ξ of the argon alone).
        let signs = rng.next()
        let mx = (signs & 1) == 0 ? 0.1 : -0.1, my = (signs & 2) == 0 ? 0.1 : -0.1
        let zEnd = min(zInt, depth)
        var mip = 0.0
        let bounds = grid.layerBoundaries
        for l in 0..<(bounds.count - 1) {
            let seg = min(zEnd, bounds[l + 1]) - bounds[l]
            if seg <= 0 { continue }
            let dep = min(Self.moyalLoss(mean: PionModel.mipLossPerMM * seg, width: PionModel.moyalWidthPerMM * seg, &rng),
                          1000 * e - mip)
            if dep <= 0 { break }
            if active {
                let argon = Self.moyalLoss(mean: response.mipFraction * PionModel.mipLossPerMM * seg,
                                           width: response.mipLandauWidthPerMM * seg, &rng)
                binnings[l].deposit(cells, x: mx, y: my, e: min(argon, dep))
            } else {
                binnings[l].deposit(cells, x: mx, y: my, e: dep)
            }
            mip += dep
        }
        scratch.mipEnergy = mip
        if zInt >= depth { return }
        let ePrime = e - mip / 1000
        if ePrime <= 0 { return }

        // π0 (EM) fraction.
        let fem = PionModel.drawPi0Fraction(energyGeV: ePrime, &rng)
        scratch.emFraction = fem
        let eEM = fem * ePrime
        let split = rng.uniform(0.4, 0.8)
        let tInt = grid.radiationLengths(atDepth: zInt)
        let target = emTarget(scratch)
        subShower(energyGeV: split * eEM, start: tInt + rng.exponential(mean: 9.0 / 7.0),
                  axisX: 0, axisY: 0, rng: &rng, target: target)
        let zStart2 = zInt + rng.exponential(mean: 0.5 * medium.interactionLength)
        let uD = min(rng.uniform(), 1 - 1e-6)
        let dr = PionModel.subShowerDisplacement * (uD / (1 - uD)).squareRoot()
        let phi = 2 * Double.pi * rng.uniform()
        subShower(energyGeV: (1 - split) * eEM, start: grid.radiationLengths(atDepth: zStart2),
                  axisX: dr * cos(phi), axisY: dr * sin(phi), rng: &rng, target: target)

        // Non-EM component: visible part h·E_h with a Bock gamma profile in λ_I.
        let eH = (1 - fem) * ePrime
        let h = min(0.85, max(0.4, 0.60 + 0.05 * rng.normal()))
        let eHD = h * eH
        let z3 = rng.normal(), z4 = rng.normal()
        let prof = PionModel.hadronicProfile(energyGeV: ePrime)
        let alpha = prof.alpha * exp(0.2 * z3), beta = prof.beta * exp(0.15 * (0.6 * z3 + 0.8 * z4))
        hadronicComponent(energyGeV: eHD, alpha: alpha, beta: beta,
                          startLambda: grid.interactionLengths(atDepth: zInt), rng: &rng, scratch: scratch)
    }

    /// The π+ shower in a stack of sections (dataset 1): as `pionShower`, with the interaction
    /// point drawn in pion interaction lengths of each section (`pionToNuclearLengthRatio` λ_I),
    /// a MIP track whose mean loss and Landau width follow each section's materials (× 1.06
    /// for the relativistic rise, as κ = 0.60 vs 0.565 MeV/mm in lead/argon), deposited into
    /// the section's readout layer (calibrated mode: the loss itself; raw active mode: its
    /// active share f_mip), and the second EM sub-shower started 0.5 λ_I (exponential) behind
    /// the interaction through the stack's λ_I map.
    func stackPionShower(energyGeV e: Double, stack: DetectorStack, rng: inout Xoshiro256, scratch: EventScratch) {
        let cells = scratch.cells
        let depth = stack.totalDepth
        let sInt = -PionModel.pionToNuclearLengthRatio * log(rng.uniformOpen())
        let zInt = stack.depth(atInteractionLengths: sInt)
        scratch.interactionDepth = zInt

        let signs = rng.next()
        let mx = (signs & 1) == 0 ? 0.1 : -0.1, my = (signs & 2) == 0 ? 0.1 : -0.1
        let zEnd = min(zInt, depth)
        let sink = grid.readoutLayerCount
        var mip = 0.0
        for (k, section) in stack.sections.enumerated() {
            let seg = min(zEnd, stack.boundaries[k + 1]) - stack.boundaries[k]
            if seg <= 0 { break }
            let mean = 1.06 * section.mipLossPerMM * seg
            let dep = min(Self.moyalLoss(mean: mean, width: section.landauWidthPerMM * seg, &rng), 1000 * e - mip)
            if dep <= 0 { break }
            let binning = binnings[section.readoutLayer ?? sink]
            if active && !calibrated {
                binning.deposit(cells, x: mx, y: my, e: min(response.mipFraction * dep, dep))
            } else {
                binning.deposit(cells, x: mx, y: my, e: dep)
            }
            mip += dep
        }
        scratch.mipEnergy = mip
        if zInt >= depth { return }
        let ePrime = e - mip / 1000
        if ePrime <= 0 { return }

        let fem = PionModel.drawPi0Fraction(energyGeV: ePrime, &rng)
        scratch.emFraction = fem
        let eEM = fem * ePrime
        let split = rng.uniform(0.4, 0.8)
        let tInt = grid.radiationLengths(atDepth: zInt)
        let lambdaInt = grid.interactionLengths(atDepth: zInt)
        let target = emTarget(scratch)
        subShower(energyGeV: split * eEM, start: tInt + rng.exponential(mean: 9.0 / 7.0),
                  axisX: 0, axisY: 0, rng: &rng, target: target)
        let zStart2 = stack.depth(atInteractionLengths: lambdaInt + rng.exponential(mean: 0.5))
        let uD = min(rng.uniform(), 1 - 1e-6)
        let dr = PionModel.subShowerDisplacement * (uD / (1 - uD)).squareRoot()
        let phi = 2 * Double.pi * rng.uniform()
        subShower(energyGeV: (1 - split) * eEM, start: grid.radiationLengths(atDepth: zStart2),
                  axisX: dr * cos(phi), axisY: dr * sin(phi), rng: &rng, target: target)

        let eH = (1 - fem) * ePrime
        let h = min(0.85, max(0.4, 0.60 + 0.05 * rng.normal()))
        let eHD = h * eH
        let z3 = rng.normal(), z4 = rng.normal()
        let prof = PionModel.hadronicProfile(energyGeV: ePrime)
        let alpha = prof.alpha * exp(0.2 * z3), beta = prof.beta * exp(0.15 * (0.6 * z3 + 0.8 * z4))
        hadronicComponent(energyGeV: eHD, alpha: alpha, beta: beta, startLambda: lambdaInt, rng: &rng, scratch: scratch)
    }

    /// Energy loss of a track segment, MeV: mean + width·(M − ⟨M⟩) with the Moyal variable
    /// M = −ln(g²), g ~ N(0, 1) (Landau-like, cap M ≤ 15), floored at 0.3 × mean.
    static func moyalLoss(mean: Double, width: Double, _ rng: inout Xoshiro256) -> Double {
        let g = rng.normal()
        let m = min(15, -log(max(g * g, 1e-300)))
        return max(0.3 * mean, mean + width * (m - PionModel.moyalMean))
    }

    /// Non-EM deposits: gamma profile in s (λ_I from the interaction point), N_h = 20 + 30 E^0.8
    /// spots split over steps ∝ ΔF (stochastic rounding, ≥ 1), Exp(1) spot weights normalized
    /// per step, radius law 2r R50²/(r²+R50²)² with R50 = (20 + 60 min(s, 2.5)) mm · e^(0.3 g).
    func hadronicComponent(energyGeV e: Double, alpha: Double, beta: Double, startLambda s0: Double,
                           rng: inout Xoshiro256, scratch: EventScratch) {
        if e <= 0 { return }
        let cells = active ? scratch.hadronSignal : scratch.cells
        let lg = IncompleteGamma.logGamma(alpha)
        let eMeV = 1000 * e * hadronScale
        let spots = 20 + 30 * pow(e, 0.8)
        let table = AngleTable.shared.pointer
        var prev = 0.0
        let n = stepLambdaHigh.count
        var k = 0
        while k < n && stepLambdaHigh[k] <= s0 { k += 1 }
        while k < n {
            let sLo = max(0, stepLambdaLow[k] - s0), sHi = stepLambdaHigh[k] - s0
            let p = IncompleteGamma.regularizedP(alpha, beta * sHi, logGammaA: lg)
            let dE = eMeV * (p - prev)
            let count = max(1, Self.stochasticRound(spots * (p - prev), &rng))
            prev = p
            if dE > 0 {
                let r50 = (20 + 60 * min(0.5 * (sLo + sHi), 2.5)) * exp(0.3 * rng.normal())
                scratch.reserveWeights(count)
                let w = scratch.weights
                var sum = 0.0
                for j in 0..<count { w[j] = -log(rng.uniformOpen()); sum += w[j] }
                let scale = dE / sum
                let binning = binnings[stepLayer[k]]
                for j in 0..<count {
                    let bits = rng.next()
                    let idx = Int(truncatingIfNeeded: (bits >> 20) & 0xFFF) &* 2
                    let u = min((Double(bits >> 32) + 0.5) * 0x1.0p-32, 1 - 1e-6)
                    let rho = r50 * (u / (1 - u)).squareRoot()
                    binning.deposit(cells, x: rho * Double(table[idx]), y: rho * Double(table[idx + 1]),
                                    e: w[j] * scale)
                }
            }
            if 1 - p < 1e-7 { break }
            k += 1
        }
    }
}
