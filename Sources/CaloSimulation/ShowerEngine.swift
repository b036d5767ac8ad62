import CaloData
import CaloTensor

/// The per-event physics shared by all particles: precomputed step tables, layer binnings and
/// deposit scales. Stateless apart from constants, so one engine serves every worker.
struct ShowerEngine: Sendable {
    let grid: DepthGrid
    let medium: SamplingMedium
    let options: SimulationOptions
    let binnings: [LayerBinning]
    /// Step tables (struct-of-arrays copies of `grid.steps`).
    let stepX0Low: [Double], stepX0High: [Double]
    let stepLambdaLow: [Double], stepLambdaHigh: [Double]
    let stepLayer: [Int]
    /// Multiplier of EM energies (1 in total mode, ê·f_mip in visible mode).
    let emScale: Double
    /// Multiplier of MIP-track energies (1 or f_mip).
    let mipScale: Double
    /// Whether EM step energies get the GFlash Gamma smear (visible mode).
    let smearSteps: Bool

    init(grid: DepthGrid = .caloGAN, options: SimulationOptions) {
        self.grid = grid
        medium = grid.medium
        self.options = options
        binnings = (0..<CaloGANGeometry.layerCount).map { LayerBinning(layer: $0) }
        stepX0Low = grid.steps.map(\.x0Low)
        stepX0High = grid.steps.map(\.x0High)
        stepLambdaLow = grid.steps.map(\.lambdaLow)
        stepLambdaHigh = grid.steps.map(\.lambdaHigh)
        stepLayer = grid.steps.map(\.layer)
        switch options.depositMode {
        case .total:
            emScale = 1; mipScale = 1; smearSteps = false
        case .visible:
            emScale = medium.electronVisibleFraction; mipScale = medium.mipSamplingFraction; smearSteps = true
        }
    }

    /// Simulates one shower of `particle` with incident energy `energyGeV` into `scratch`
    /// (which must have been reset), drawing only from `rng`.
    func simulate(_ particle: Particle, energyGeV: Double, rng: inout Xoshiro256, scratch: EventScratch) {
        switch particle {
        case .eplus:
            scratch.emRealization = emShower(energyGeV: energyGeV, start: 0, axisX: 0, axisY: 0,
                                             rng: &rng, cells: scratch.cells)
        case .gamma:
            let t0 = rng.exponential(mean: 9.0 / 7.0)
            scratch.conversionDepth = t0
            scratch.emRealization = emShower(energyGeV: energyGeV, start: t0, axisX: 0, axisY: 0,
                                             rng: &rng, cells: scratch.cells)
        case .piplus:
            pionShower(energyGeV: energyGeV, rng: &rng, scratch: scratch)
        }
    }

    /// Stochastic rounding: ⌊x⌋ + 1 with probability frac(x), so the mean count is exact.
    @inline(__always)
    static func stochasticRound(_ x: Double, _ rng: inout Xoshiro256) -> Int {
        Int((x + rng.uniform()).rounded(.down))
    }
}
