import CaloTensor
/// The longitudinal gamma profile dE/dt = E (βt)^(α−1) β e^(−βt) / Γ(α) integrated over the
/// readout layers (reference-simulator.md section 2).
public enum LongitudinalProfile {
    /// Fraction of the energy of a profile (α, β per X0) starting at X0 depth `start` that falls
    /// into each readout layer of `grid`, [layers]; what is missing from 1 leaks out the back.
    public static func layerFractions(alpha: Double, beta: Double, start: Double,
                                      grid: DepthGrid = .caloGAN) -> [Double] {
        let lg = IncompleteGamma.logGamma(alpha)
        let b = grid.layerBoundariesX0
        var out = [Double](repeating: 0, count: b.count - 1)
        for l in 0..<(b.count - 1) {
            let lo = max(0, b[l] - start), hi = max(0, b[l + 1] - start)
            out[l] = IncompleteGamma.regularizedP(alpha, beta * hi, logGammaA: lg)
                - IncompleteGamma.regularizedP(alpha, beta * lo, logGammaA: lg)
        }
        return out
    }

    /// Layer fractions of a sampled EM shower starting at `start` X0: of its total deposit
    /// (homogeneous set) or of its argon deposit (sampling set).
    public static func layerFractions(_ r: EMShowerRealization, start: Double = 0, deposit: DepositMode = .total,
                                      grid: DepthGrid = .caloGAN) -> [Double] {
        let p = r.profile(deposit)
        return layerFractions(alpha: p.alpha, beta: p.beta, start: start, grid: grid)
    }
}
