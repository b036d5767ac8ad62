import CaloTensor

extension ShowerSimulator {
    /// Throughput of `simulate(energies:seed:)` in showers per second for `events` showers drawn
    /// from `spectrum`, with the current `Parallel.maxWorkers`. One untimed warm-up batch of up to
    /// 200 events precedes the timed run. For `caloflow bench`; not a correctness check.
    public func measureThroughput(events: Int, spectrum: EnergySpectrum = .caloGAN, seed: UInt64 = 1) throws -> Double {
        guard events > 0 else { throw SimulationError.invalidOption("benchmark needs at least one event, got \(events)") }
        _ = try simulate(count: min(events, 200), spectrum: spectrum, seed: seed &+ 1)
        let energies = spectrum.energies(count: events, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        _ = try simulate(energies: energies, seed: seed)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Double(events) / max(seconds, 1e-9)
    }
}
