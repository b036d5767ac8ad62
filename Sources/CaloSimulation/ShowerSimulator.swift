import CaloData
import CaloTensor

/// The built-in GFlash-style reference simulator for the CaloGAN geometry (e+, γ, π+).
///
/// Physics: /work/shared/reference/reference-simulator.md (sections 1–6) and `ActiveResponse`.
/// Output: `ShowerBatch` in CaloGAN units (energy GeV, cells and overflow MeV): the energy
/// deposited in the liquid-argon gaps by default, or in lead and argon (`DepositMode.total`).
///
/// Reproducibility: event i (global index `firstEventIndex + i`) draws only from
/// `Xoshiro256(seed: seed, stream: i)`, so a batch is bit-identical for a seed whatever the
/// thread count (`Parallel.maxWorkers`) or the way a run is split into batches.
public struct ShowerSimulator: Sendable {
    /// Largest accepted incident energy, GeV (the spot count grows ∝ E^0.96).
    public static let maximumEnergy = 10_000.0

    public let particle: Particle
    public let options: SimulationOptions
    let engine: ShowerEngine

    /// - Throws: `SimulationError.invalidOption` for out-of-range options.
    public init(particle: Particle, options: SimulationOptions = SimulationOptions()) throws {
        try options.validate()
        self.particle = particle
        self.options = options
        engine = ShowerEngine(options: options)
    }

    /// The depth grid (steps, depth maps) the simulator uses.
    public var grid: DepthGrid { engine.grid }

    // MARK: - Batches

    /// Simulates one shower per entry of `energies` (GeV), in parallel over events.
    ///
    /// - Returns: a batch with `incidentEnergy[i] = Float(energies[i])` (the simulated value),
    ///   voxels [N, 504] and overflow [N, 3] in MeV.
    /// - Throws: `SimulationError.invalidEnergy` if an energy is not finite or not in
    ///   (0, `maximumEnergy`] GeV, or `firstEventIndex` is negative.
    public func simulate(energies: [Double], seed: UInt64, firstEventIndex: Int = 0) throws -> ShowerBatch {
        try Self.validate(energies: energies, firstEventIndex: firstEventIndex)
        let count = energies.count
        let stored = energies.map { Float($0) }
        var voxels = Matrix(rows: count, cols: CaloGANGeometry.voxelCount)
        var overflow = Matrix(rows: count, cols: CaloGANGeometry.layerCount)
        let keep = 1 - options.energyLossFraction
        let engine = self.engine, particle = self.particle
        voxels.withUnsafeMutableBufferPointer { vp in
            overflow.withUnsafeMutableBufferPointer { op in
                let vOut = UnsafeSendable(vp.baseAddress!), oOut = UnsafeSendable(op.baseAddress!)
                Parallel.forEachChunk(count, minChunk: 8) { range in
                    let scratch = EventScratch()
                    let nv = CaloGANGeometry.voxelCount, nl = CaloGANGeometry.layerCount
                    for i in range {
                        scratch.reset(active: engine.active)
                        var rng = Xoshiro256(seed: seed, stream: UInt64(firstEventIndex + i))
                        engine.simulate(particle, energyGeV: Double(stored[i]), rng: &rng, scratch: scratch)
                        let v = vOut.value + i * nv, o = oOut.value + i * nl
                        for j in 0..<nv { v[j] = Float(scratch.cells[j] * keep) }
                        for l in 0..<nl { o[l] = Float(scratch.cells[EventScratch.overflowBase + l] * keep) }
                    }
                }
            }
        }
        return ShowerBatch(incidentEnergy: stored, voxels: voxels, overflow: overflow)
    }

    /// Simulates events firstEventIndex ..< firstEventIndex + count with energies from `spectrum`.
    public func simulate(count: Int, spectrum: EnergySpectrum = .caloGAN, seed: UInt64,
                         firstEventIndex: Int = 0) throws -> ShowerBatch {
        try spectrum.validate()
        guard count >= 0 else { throw SimulationError.invalidOption("event count must be ≥ 0, got \(count)") }
        return try simulate(energies: spectrum.energies(count: count, seed: seed, firstEventIndex: firstEventIndex),
                            seed: seed, firstEventIndex: firstEventIndex)
    }

    // MARK: - Single events

    /// One shower with truth information; identical (after Float rounding) to row
    /// `eventIndex − firstEventIndex` of a batch simulated with the same seed and energy.
    public func simulateEvent(energyGeV: Double, seed: UInt64, eventIndex: Int) throws -> SimulatedShower {
        try Self.validate(energies: [energyGeV], firstEventIndex: eventIndex)
        let scratch = EventScratch()
        return simulateEvent(energyGeV: energyGeV, seed: seed, eventIndex: eventIndex, scratch: scratch)
    }

    /// Many single events with truth information, in parallel (for tests and diagnostics).
    public func simulateEvents(energies: [Double], seed: UInt64, firstEventIndex: Int = 0) throws -> [SimulatedShower] {
        try Self.validate(energies: energies, firstEventIndex: firstEventIndex)
        let out = UnsafeMutableBufferPointer<SimulatedShower?>.allocate(capacity: energies.count)
        out.initialize(repeating: nil)
        defer { out.deallocate() }
        let ptr = UnsafeSendable(out)
        Parallel.forEachChunk(energies.count, minChunk: 8) { range in
            let scratch = EventScratch()
            for i in range {
                ptr.value[i] = simulateEvent(energyGeV: energies[i], seed: seed, eventIndex: firstEventIndex + i,
                                             scratch: scratch)
            }
        }
        return out.map { $0! }
    }

    func simulateEvent(energyGeV: Double, seed: UInt64, eventIndex: Int, scratch: EventScratch) -> SimulatedShower {
        scratch.reset(active: engine.active)
        let e = Double(Float(energyGeV))
        var rng = Xoshiro256(seed: seed, stream: UInt64(eventIndex))
        engine.simulate(particle, energyGeV: e, rng: &rng, scratch: scratch)
        let keep = 1 - options.energyLossFraction
        let c = scratch.cells
        let nv = CaloGANGeometry.voxelCount, nl = CaloGANGeometry.layerCount
        // Float rounding as in the batch path, so both agree exactly.
        func stored(_ x: Double) -> Double { Double(Float(x * keep)) }
        return SimulatedShower(
            incidentEnergy: e,
            voxels: (0..<nv).map { stored(c[$0]) },
            overflow: (0..<nl).map { stored(c[EventScratch.overflowBase + $0]) },
            lost: (0..<nl).map { c[EventScratch.lostBase + $0] * keep },
            emComponents: [scratch.emComponents.0, scratch.emComponents.1].compactMap { $0 },
            conversionDepth: scratch.conversionDepth, pairFraction: scratch.pairFraction,
            interactionDepth: scratch.interactionDepth, mipEnergy: scratch.mipEnergy,
            emFraction: scratch.emFraction)
    }

    static func validate(energies: [Double], firstEventIndex: Int) throws {
        guard firstEventIndex >= 0 else {
            throw SimulationError.invalidOption("first event index must be ≥ 0, got \(firstEventIndex)")
        }
        for (i, e) in energies.enumerated() where !(e.isFinite && e > 0 && e <= maximumEnergy) {
            throw SimulationError.invalidEnergy("event \(i): \(e) GeV is outside (0, \(maximumEnergy)] GeV")
        }
    }
}
