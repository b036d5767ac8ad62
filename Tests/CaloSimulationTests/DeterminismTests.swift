import Testing
import CaloData
import CaloTensor
import CaloSimulation

/// Reproducibility and input validation.
@Suite(.serialized) struct DeterminismTests {
    @Test(arguments: Particle.allCases, DepositMode.allCases)
    func sameSeedGivesIdenticalBatchesForAnyThreadCountAndSplit(particle: Particle, deposit: DepositMode) throws {
        let sim = try ShowerSimulator(particle: particle, options: SimulationOptions(depositMode: deposit))
        let energies = EnergySpectrum.caloGAN.energies(count: 64, seed: 41)
        let serial = try ComputeThreads.with(blas: nil, workers: 1) { try sim.simulate(energies: energies, seed: 41) }
        let parallel = try ComputeThreads.with(blas: nil, workers: 2) { try sim.simulate(energies: energies, seed: 41) }
        let again = try ComputeThreads.with(blas: nil, workers: 3) { try sim.simulate(energies: energies, seed: 41) }
        #expect(serial == parallel && parallel == again)
        let split = ShowerBatch.concatenate([
            try sim.simulate(energies: Array(energies[0..<23]), seed: 41, firstEventIndex: 0),
            try sim.simulate(energies: Array(energies[23..<64]), seed: 41, firstEventIndex: 23)])
        #expect(split == serial)
        let other = try sim.simulate(energies: energies, seed: 42)
        #expect(other.voxels != serial.voxels)
        // The single-event path reproduces the batch row.
        let one = try sim.simulateEvent(energyGeV: energies[17], seed: 41, eventIndex: 17)
        #expect(one.voxels.map { Float($0) } == serial.voxels.row(17))
        #expect(one.overflow.map { Float($0) } == serial.overflow.row(17))
    }

    @Test func spectrumIsDeterministicPerIndex() throws {
        let s = EnergySpectrum.caloGAN
        let a = s.energies(count: 100, seed: 7), b = s.energies(count: 50, seed: 7, firstEventIndex: 50)
        #expect(Array(a[50...]) == b)
        #expect(a.allSatisfy { $0 >= 1 && $0 <= 100 })
        #expect(s.energies(count: 100, seed: 8) != a)
        #expect(EnergySpectrum.list([1, 2, 3]).energies(count: 5, seed: 0) == [1, 2, 3, 1, 2])
        #expect(EnergySpectrum.fixed(7).energy(at: 99, seed: 1) == 7)
        let batch = try ShowerSimulator(particle: .gamma).simulate(count: 5, spectrum: .list([3, 4]), seed: 1)
        #expect(batch.incidentEnergy == [3, 4, 3, 4, 3])
    }

    @Test func badInputsThrowClearErrors() throws {
        let sim = try ShowerSimulator(particle: .eplus)
        #expect(throws: SimulationError.self) { try sim.simulate(energies: [10, -1], seed: 0) }
        #expect(throws: SimulationError.self) { try sim.simulate(energies: [.nan], seed: 0) }
        #expect(throws: SimulationError.self) { try sim.simulate(energies: [1e9], seed: 0) }
        #expect(throws: SimulationError.self) { try sim.simulate(energies: [10], seed: 0, firstEventIndex: -1) }
        #expect(throws: SimulationError.self) { try sim.simulate(count: 3, spectrum: .list([]), seed: 0) }
        #expect(throws: SimulationError.self) { try sim.simulate(count: 3, spectrum: .uniform(0...10), seed: 0) }
        #expect(throws: SimulationError.self) {
            try ShowerSimulator(particle: .eplus, options: SimulationOptions(energyLossFraction: 1))
        }
        #expect(try sim.simulate(energies: [], seed: 0).count == 0)
    }
}
