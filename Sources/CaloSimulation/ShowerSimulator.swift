import CaloData
import CaloTensor

/// The built-in GFlash-style reference simulator: the CaloGAN calorimeter (e+, e−, γ, π+), the
/// ATLAS-like stack of CaloChallenge dataset 1 (γ, π+) and the silicon-tungsten stack of the
/// CaloChallenge datasets 2 and 3 (e−, e+, γ); see `SimulatedDetector`.
///
/// Physics: /work/shared/reference/reference-simulator.md (sections 1–6) and `ActiveResponse`.
/// The shower physics decides where energy goes (depth step, x, y); `LayerBinning` bins it into
/// the detector's voxels (Cartesian cells or (r, α) bins).
/// Output: `ShowerBatch` of the detector's geometry (energy GeV, cells and overflow MeV): the
/// energy deposited in the active layers by default, or in absorber and active layers together
/// (`DepositMode.total`). Geometries without overflow (the CaloChallenge ones) get no overflow
/// columns; their energy beyond the readout is in `SimulatedShower.overflow` only.
///
/// Reproducibility: event i (global index `firstEventIndex + i`) draws only from
/// `Xoshiro256(seed: seed, stream: i)`, so a batch is bit-identical for a seed whatever the
/// thread count (`Parallel.maxWorkers`) or the way a run is split into batches.
public struct ShowerSimulator: Sendable {
    /// Largest accepted incident energy, GeV (the spot count grows ∝ E^0.96).
    public static let maximumEnergy = 10_000.0

    public let particle: Particle
    public let options: SimulationOptions
    public let detector: SimulatedDetector
    let engine: ShowerEngine

    /// - Throws: `SimulationError.invalidOption` for out-of-range options or a particle the
    ///   detector's physics does not cover (π+ in the silicon-tungsten stack).
    public init(particle: Particle, options: SimulationOptions = SimulationOptions(),
                detector: SimulatedDetector = .caloGAN) throws {
        try options.validate()
        guard detector.particles.contains(particle) else {
            throw SimulationError.invalidOption("the simulator has no \(particle.rawValue) showers for the \(detector.geometry.name) geometry; "
                                                + "it simulates \(detector.particles.map(\.rawValue).joined(separator: ", ")) there")
        }
        self.particle = particle
        self.options = options
        self.detector = detector
        engine = ShowerEngine(detector: detector, options: options)
    }

    /// The readout geometry of the showers.
    public var geometry: CalorimeterGeometry { detector.geometry }

    /// The depth grid (steps, depth maps) the simulator uses.
    public var grid: DepthGrid { engine.grid }

    // MARK: - Batches

    /// Simulates one shower per entry of `energies` (GeV), in parallel over events.
    ///
    /// - Returns: a batch of `geometry` with `incidentEnergy[i] = Float(energies[i])` (the
    ///   simulated value), voxels [N, D] and overflow [N, `geometry.overflowWidth`] in MeV
    ///   (CaloGAN: 504 and 3).
    /// - Throws: `SimulationError.invalidEnergy` if an energy is not finite or not in
    ///   (0, `maximumEnergy`] GeV, or `firstEventIndex` is negative.
    public func simulate(energies: [Double], seed: UInt64, firstEventIndex: Int = 0) throws -> ShowerBatch {
        try Self.validate(energies: energies, firstEventIndex: firstEventIndex)
        let count = energies.count
        let stored = energies.map { Float($0) }
        let geometry = detector.geometry
        let nv = geometry.voxelCount, nl = geometry.overflowWidth
        var voxels = Matrix(rows: count, cols: nv)
        var overflow = Matrix(rows: count, cols: nl)
        let keep = 1 - options.energyLossFraction
        let engine = self.engine, particle = self.particle
        voxels.withUnsafeMutableBufferPointer { vp in
            overflow.withUnsafeMutableBufferPointer { op in
                let vOut = UnsafeSendable(vp.baseAddress!), oOut = UnsafeSendable(op.baseAddress!)
                Parallel.forEachChunk(count, minChunk: 8) { range in
                    let scratch = engine.makeScratch()
                    for i in range {
                        scratch.reset(active: engine.active)
                        var rng = Xoshiro256(seed: seed, stream: UInt64(firstEventIndex + i))
                        engine.simulate(particle, energyGeV: Double(stored[i]), rng: &rng, scratch: scratch)
                        let v = vOut.value + i * nv, o = oOut.value + i * nl
                        for j in 0..<nv { v[j] = Float(scratch.cells[j] * keep) }
                        for l in 0..<nl { o[l] = Float(scratch.cells[scratch.overflowBase + l] * keep) }
                    }
                }
            }
        }
        return ShowerBatch(geometry: geometry, incidentEnergy: stored, voxels: voxels, overflow: overflow)
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
        let scratch = engine.makeScratch()
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
            let scratch = engine.makeScratch()
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
        let nv = scratch.voxelCount, nl = scratch.layerCount
        // Float rounding as in the batch path, so both agree exactly.
        func stored(_ x: Double) -> Double { Double(Float(x * keep)) }
        return SimulatedShower(
            incidentEnergy: e,
            voxels: (0..<nv).map { stored(c[$0]) },
            overflow: (0..<nl).map { stored(c[scratch.overflowBase + $0]) },
            lost: (0..<nl).map { c[scratch.lostBase + $0] * keep },
            unrecorded: c[scratch.unrecordedIndex] * keep,
            layerRanges: detector.geometry.layerRanges,
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
