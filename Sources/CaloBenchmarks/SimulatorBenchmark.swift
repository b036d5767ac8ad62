import CaloSimulation

/// Throughput of the built-in shower simulator for `caloflow bench`; not a correctness check.
public enum SimulatorBenchmark {
    /// Showers per second of `simulator.simulate(energies:seed:)` for `events` showers drawn from
    /// `spectrum`, with the current `Parallel.maxWorkers`. One untimed warm-up batch of up to
    /// 200 events precedes the timed run.
    public static func showersPerSecond(_ simulator: ShowerSimulator, events: Int, spectrum: EnergySpectrum = .caloGAN,
                                        seed: UInt64 = 1) throws -> Double {
        guard events > 0 else { throw SimulationError.invalidOption("benchmark needs at least one event, got \(events)") }
        _ = try simulator.simulate(count: min(events, 200), spectrum: spectrum, seed: seed &+ 1)
        let energies = spectrum.energies(count: events, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        _ = try simulator.simulate(energies: energies, seed: seed)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Double(events) / max(seconds, 1e-9)
    }
}
