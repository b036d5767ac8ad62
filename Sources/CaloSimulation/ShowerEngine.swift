import CaloData
import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

/// The per-event physics shared by all particles: precomputed step tables, layer binnings and
/// deposit scales. Stateless apart from constants, so one engine serves every worker.
struct ShowerEngine: Sendable {
    let detector: SimulatedDetector
    let grid: DepthGrid
    let medium: SamplingMedium
    let options: SimulationOptions
    let response: ActiveResponse
    let binnings: [LayerBinning]
    /// Step tables (struct-of-arrays copies of `grid.steps`).
    let stepX0Low: [Double], stepX0High: [Double]
    let stepLambdaLow: [Double], stepLambdaHigh: [Double]
    let stepLayer: [Int]
    /// Whether the cells hold argon deposits (`.active`).
    let active: Bool
    /// Multiplier of EM energies (1 in total mode, e/mip · f_mip in active mode).
    let emScale: Double
    /// Multiplier of the deposited non-EM hadronic energy (1 or η_h · f_mip).
    let hadronScale: Double

    /// Cells below this (MeV) are set to 0 after the shower (the detector's readout threshold).
    let readoutThreshold: Double
    /// Active mode with a readout calibrated to the EM scale (dataset 1): the means are total
    /// deposits (scales 1), the MIP track is recorded as it is, fluctuations use per-cell quanta.
    let calibrated: Bool
    /// Calibrated mode: θ and θ_h of every voxel (its layer's), MeV; empty otherwise.
    let cellEMQuanta: [Double], cellHadronQuanta: [Double]
    /// Calibrated mode: smallest stored cell, MeV.
    let calibratedFloor: Double

    init(detector: SimulatedDetector = .caloGAN, options: SimulationOptions) {
        self.detector = detector
        let grid = detector.grid
        self.grid = grid
        medium = grid.medium
        self.options = options
        response = detector.response
        readoutThreshold = detector.readoutThreshold
        let geometry = detector.geometry
        binnings = LayerBinning.all(for: geometry)
            + [LayerBinning.sink(layer: geometry.layerCount, index: geometry.voxelCount + 2 * geometry.layerCount)]
        stepX0Low = grid.steps.map(\.x0Low)
        stepX0High = grid.steps.map(\.x0High)
        stepLambdaLow = grid.steps.map(\.lambdaLow)
        stepLambdaHigh = grid.steps.map(\.lambdaHigh)
        stepLayer = grid.steps.map(\.layer)
        active = options.depositMode == .active
        let calibration = active ? detector.calibration : nil
        calibrated = calibration != nil
        emScale = active && !calibrated ? response.electronFraction : 1
        hadronScale = active && !calibrated ? response.hadronFraction : 1
        if let c = calibration {
            var em = [Double](repeating: 0, count: geometry.voxelCount), had = em
            for (l, layer) in geometry.layers.enumerated() {
                for j in layer.voxelRange {
                    em[j] = c.emQuanta[l]
                    had[j] = c.hadronQuanta[l]
                }
            }
            cellEMQuanta = em
            cellHadronQuanta = had
            calibratedFloor = c.floor
        } else {
            cellEMQuanta = []
            cellHadronQuanta = []
            calibratedFloor = 0
        }
    }

    /// Buffers for one shower at a time in this engine's geometry.
    func makeScratch() -> EventScratch {
        EventScratch(voxelCount: detector.geometry.voxelCount, layerCount: detector.geometry.layerCount)
    }

    /// Buffer the electromagnetic spots add to.
    @inline(__always)
    func emTarget(_ scratch: EventScratch) -> UnsafeMutablePointer<Double> {
        active ? scratch.emSignal : scratch.cells
    }

    /// Simulates one shower of `particle` with incident energy `energyGeV` into `scratch`
    /// (which must have been reset for this mode), drawing only from `rng`.
    func simulate(_ particle: Particle, energyGeV: Double, rng: inout Xoshiro256, scratch: EventScratch) {
        switch particle {
        case .eplus, .eminus:
            let r = emShower(energyGeV: energyGeV, start: 0, axisX: 0, axisY: 0, rng: &rng, target: emTarget(scratch))
            scratch.emComponents.0 = EMShowerComponent(energyGeV: energyGeV, start: 0, realization: r)
        case .gamma:
            photonShower(energyGeV: energyGeV, rng: &rng, scratch: scratch)
        case .piplus:
            pionShower(energyGeV: energyGeV, rng: &rng, scratch: scratch)
        }
        if calibrated {
            finishCalibrated(rng: &rng, scratch: scratch)
        } else if active {
            finishActive(rng: &rng, scratch: scratch)
        }
        if readoutThreshold > 0 {
            let cells = scratch.cells
            for j in 0..<scratch.voxelCount where cells[j] < readoutThreshold { cells[j] = 0 }
        }
    }

    /// A photon: conversion at depth t0 ~ Exp(mean 9/7 X0), then the electron and the positron
    /// share its energy as x : 1 − x with the Bethe–Heitler complete-screening law
    /// dσ/dx ∝ 1 − (4/3) x(1 − x) on (0, 1) (drawn by rejection, acceptance 7/9), and each
    /// starts its own EM shower on the axis at t0 (the pair's opening angle, ~m_e/E, is
    /// negligible). Two showers of lower energy peak earlier than one of the photon's energy
    /// (T ∝ ln E): the γ–e+ depth difference is 9/7 X0 minus that, as in full simulation
    /// (PDG: T_max(γ) − T_max(e) ≈ 1 X0). A member below 20 MeV is one spot at t0.
    func photonShower(energyGeV e: Double, rng: inout Xoshiro256, scratch: EventScratch) {
        let t0 = rng.exponential(mean: 9.0 / 7.0)
        var x = 0.0
        repeat { x = rng.uniformOpen() } while rng.uniform() >= 1 - 4.0 / 3.0 * x * (1 - x)
        scratch.conversionDepth = t0
        scratch.pairFraction = x
        let target = emTarget(scratch)
        let hi = max(x, 1 - x) * e, lo = e - hi
        scratch.emComponents.0 = subShower(energyGeV: hi, start: t0, axisX: 0, axisY: 0, rng: &rng, target: target)
            .map { EMShowerComponent(energyGeV: hi, start: t0, realization: $0) }
        scratch.emComponents.1 = subShower(energyGeV: lo, start: t0, axisX: 0, axisY: 0, rng: &rng, target: target)
            .map { EMShowerComponent(energyGeV: lo, start: t0, realization: $0) }
    }

    /// An EM sub-shower (a photon's pair member or a pion's π0 shower); below
    /// `PionModel.minimumSubShower` one spot at the start point on its axis. Returns the
    /// sampled profile, or nil for a one-spot deposit.
    @discardableResult
    func subShower(energyGeV e: Double, start t0: Double, axisX xa: Double, axisY ya: Double,
                   rng: inout Xoshiro256, target: UnsafeMutablePointer<Double>) -> EMShowerRealization? {
        if e <= 0 { return nil }
        if e < PionModel.minimumSubShower {
            if let k = grid.stepIndex(atX0: t0) {
                binnings[stepLayer[k]].deposit(target, x: xa, y: ya, e: 1000 * e * emScale)
            }
            return nil
        }
        return emShower(energyGeV: e, start: t0, axisX: xa, axisY: ya, rng: &rng, target: target)
    }

    /// Active mode: every cell's mean argon deposits (EM m_e, hadronic m_h) become one sampled
    /// deposit, Gamma-distributed with mean m = m_e + m_h and variance v = θ m_e + θ_h m_h
    /// (shape m²/v, scale v/m; see `ActiveResponse`), added to `cells` (which already holds the
    /// MIP track's argon deposits with their own Landau fluctuation). A sampled deposit below one
    /// ionisation quantum is 0. Energy beyond the block ("lost") keeps its mean. Without
    /// sampling fluctuations (`SimulationOptions.samplingFluctuations` false) the means are stored.
    func finishActive(rng: inout Xoshiro256, scratch: EventScratch) {
        let em = scratch.emSignal, had = scratch.hadronSignal, cells = scratch.cells
        let q = response.emQuantum, qh = response.hadronQuantum, floor = response.ionisationQuantum
        let fluctuate = options.samplingFluctuations
        var sampler = SignalSampler()
        for j in 0..<scratch.lostBase {
            let me = em[j], mh = had[j]
            let m = me + mh
            if m <= 0 { continue }
            if fluctuate {
                let v = q * me + qh * mh
                let scale = v / m
                let d = scale * sampler.gamma(shape: m / scale, &rng)
                if d >= floor { cells[j] += d }
            } else {
                cells[j] += m
            }
        }
        for j in scratch.lostBase..<scratch.size { cells[j] += em[j] + had[j] }
    }

    /// Calibrated active mode (dataset 1): every voxel's mean deposits (EM m_e, hadronic m_h,
    /// MeV at the EM scale) become one Gamma-distributed deposit of mean m_e + m_h and variance
    /// θ m_e + θ_h m_h with its layer's quanta (`CalibratedReadout`), added to `cells` (which
    /// holds the MIP track). A sampled deposit below the floor is 0. Overflow, lost and
    /// unrecorded energy keep their means.
    func finishCalibrated(rng: inout Xoshiro256, scratch: EventScratch) {
        let em = scratch.emSignal, had = scratch.hadronSignal, cells = scratch.cells
        let fluctuate = options.samplingFluctuations
        var sampler = SignalSampler()
        cellEMQuanta.withUnsafeBufferPointer { qe in
            cellHadronQuanta.withUnsafeBufferPointer { qh in
                for j in 0..<scratch.voxelCount {
                    let me = em[j], mh = had[j]
                    let m = me + mh
                    if m <= 0 { continue }
                    if fluctuate {
                        let scale = (qe[j] * me + qh[j] * mh) / m
                        let d = scale * sampler.gamma(shape: m / scale, &rng)
                        if d >= calibratedFloor { cells[j] += d }
                    } else {
                        cells[j] += m
                    }
                }
            }
        }
        for j in scratch.voxelCount..<scratch.size { cells[j] += em[j] + had[j] }
    }

    /// Stochastic rounding: ⌊x⌋ + 1 with probability frac(x), so the mean count is exact.
    @inline(__always)
    static func stochasticRound(_ x: Double, _ rng: inout Xoshiro256) -> Int {
        Int((x + rng.uniform()).rounded(.down))
    }
}
