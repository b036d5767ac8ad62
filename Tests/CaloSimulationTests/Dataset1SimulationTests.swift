import Testing
import CaloData
import CaloTensor
import CaloSimulation

/// The simulator on CaloChallenge dataset 1 (the planar ATLAS-like stack): voxel counts and
/// layers, the stated depths, energies from the discrete set, finite non-negative cells,
/// longitudinal ordering, energy bookkeeping, reproducibility, pions deeper than photons, and
/// the particles each dataset does not have.
@Suite(.serialized) struct Dataset1SimulationTests {
    /// Mean energy per readout layer of `batch`, MeV.
    static func layerMeans(_ batch: ShowerBatch) -> [Double] {
        (0..<batch.geometry.layerCount).map { batch.layerEnergy($0).reduce(0, +) / Double(batch.count) }
    }

    @Test func detectorsHaveTheDatasetsVoxelsLayersAndParticles() throws {
        let photons = try #require(SimulatedDetector.named("ds1-photons"))
        let pions = try #require(SimulatedDetector.named("ds1-pions"))
        #expect(SimulatedDetector.named("ds1-gamma")?.geometry.name == "ds1-photons")
        #expect(photons.geometry.voxelCount == 368 && pions.geometry.voxelCount == 533)
        #expect(photons.geometry.layers.map(\.id) == [0, 1, 2, 3, 12])
        #expect(pions.geometry.layers.map(\.id) == [0, 1, 2, 3, 12, 13, 14])
        #expect(photons.particles == [.gamma] && pions.particles == [.piplus])
        #expect(photons.spectrum == .caloChallengeDataset1 && pions.spectrum == .caloChallengeDataset1)
        #expect(photons.readoutThreshold == 0 && photons.calibration != nil)
    }

    @Test func stackHasTheStatedDepths() throws {
        let stack = SimulatedDetector.dataset1Stack(recordDeepTile: true)
        func x0(_ name: String) -> Double {
            let k = stack.sections.firstIndex { $0.name.hasPrefix(name) }!
            return stack.boundariesX0[k + 1] - stack.boundariesX0[k]
        }
        func lambda(_ name: String) -> Double {
            let k = stack.sections.firstIndex { $0.name.hasPrefix(name) }!
            return stack.boundariesLambda[k + 1] - stack.boundariesLambda[k]
        }
        #expect(abs(x0("upstream") - 1.46) < 0.01)
        #expect(abs(x0("EM strips") - 4.35) < 0.02 && abs(x0("EM middle") - 16.1) < 0.05 && abs(x0("EM back") - 2.01) < 0.02)
        #expect(abs(lambda("Tile A") - 1.49) < 0.02 && abs(lambda("Tile BC") - 4.11) < 0.03 && abs(lambda("Tile D") - 1.84) < 0.02)
        #expect(abs(stack.totalDepth - 2086) < 1)
        #expect(abs(SimulatedDetector.accordionMedium.radiationLength - 18.5) < 0.1)
        // The grid's maps agree with the section table and invert.
        let grid = SimulatedDetector.ds1Pions.grid
        #expect(grid.readoutLayerCount == 7)
        #expect(abs(grid.radiationLengths(atDepth: stack.totalDepth) - stack.boundariesX0.last!) < 1e-9)
        for s in [0.2, 0.9, 3.3, 8.0] {
            #expect(abs(grid.interactionLengths(atDepth: stack.depth(atInteractionLengths: s)) - s) < 1e-9)
        }
        // Steps are contiguous; photons leave Tile BC and D unrecorded (the sink layer).
        for (a, b) in zip(grid.steps, grid.steps.dropFirst()) { #expect(a.depthHigh == b.depthLow && a.x0High == b.x0Low) }
        let photonGrid = SimulatedDetector.ds1Photons.grid
        #expect(Set(photonGrid.steps.map(\.layer)) == Set(0...5))
        #expect(photonGrid.steps.last?.layer == 5 && grid.steps.last?.layer == 6)
        let calibration = try #require(SimulatedDetector.ds1Photons.calibration)
        #expect(abs(calibration.emQuanta[2] - 10.2) < 0.3, "accordion quantum \(calibration.emQuanta)")
    }

    @Test(arguments: [Particle.gamma, .piplus])
    func showersUseTheDiscreteEnergiesAndHoldFiniteNonNegativeCells(particle: Particle) throws {
        let detector: SimulatedDetector = particle == .gamma ? .ds1Photons : .ds1Pions
        let sim = try ShowerSimulator(particle: particle, detector: detector)
        let batch = try sim.simulate(count: 60, spectrum: detector.spectrum, seed: 11)
        let allowed = Set((0..<15).map { Float(0.256 * Double(1 << $0)) })
        #expect(batch.incidentEnergy.allSatisfy { allowed.contains($0) })
        #expect(batch.voxels.cols == detector.geometry.voxelCount && batch.overflow.cols == 0)
        #expect(batch.voxels.storage.allSatisfy { $0.isFinite && $0 >= 0 })
        // Every shower leaves energy in the voxels, never more than it brought (calibrated
        // cells: at most a few sampling standard deviations above E_inc).
        for i in 0..<batch.count {
            let sum = batch.voxels.row(i).reduce(0, +), e = 1000 * batch.incidentEnergy[i]
            #expect(sum > 0 && sum < 1.1 * e + 50, "shower \(i): \(sum) MeV of \(e)")
        }
    }

    @Test func photonsPeakInTheMiddleLayerAndKeepTheirEnergy() throws {
        // 65.5 GeV photons: most energy in the EM middle layer (2), then strips (1); little in the
        // presampler, the back layer and Tile A; calibrated response near 0.9-1 of E_inc.
        let sim = try ShowerSimulator(particle: .gamma, detector: .ds1Photons)
        let batch = try sim.simulate(energies: Array(repeating: 65.536, count: 150), seed: 3)
        let m = Self.layerMeans(batch)
        let total = m.reduce(0, +)
        #expect(m[2] > 0.6 * total && m[1] > m[3] && m[1] > m[0] && m[3] > m[4], "layer means \(m)")
        #expect(m[4] < 0.02 * total && m[0] < 0.03 * total, "layer means \(m)")
        let response = total / 65_536
        #expect(response > 0.85 && response < 1.0, "E_cells / E_inc \(response)")
        // Bookkeeping without fluctuations: cells + beyond the outer edges + unrecorded (dead
        // material, Tile BC/D) + leakage = E_inc; leakage behind 9.4 λ_I is negligible.
        let total0 = try ShowerSimulator(particle: .gamma, options: SimulationOptions(depositMode: .total), detector: .ds1Photons)
        for i in 0..<5 {
            let s = try total0.simulateEvent(energyGeV: 65.536, seed: 3, eventIndex: i)
            let accounted = s.voxels.reduce(0, +) + s.overflow.reduce(0, +) + s.unrecorded
            #expect(abs(accounted - 65_536) < 1e-3 * 65_536, "event \(i): \(accounted) MeV")
            #expect(s.unrecorded > 0 && s.unrecorded < 0.2 * 65_536, "unrecorded \(s.unrecorded)")
        }
        // The calibrated (active) mean agrees with the total deposits within 3 %.
        let batch0 = try total0.simulate(energies: Array(repeating: 65.536, count: 150), seed: 3)
        let t0 = Self.layerMeans(batch0).reduce(0, +)
        #expect(abs(total / t0 - 1) < 0.03, "active \(total) vs total \(t0) MeV")
    }

    @Test func pionsDepositDeeperThanPhotons() throws {
        // Energy-weighted mean stack depth of the readout layers (their centres, mm), at 65.5 GeV.
        func meanDepth(_ detector: SimulatedDetector, _ particle: Particle) throws -> (depth: Double, tile: Double) {
            let sim = try ShowerSimulator(particle: particle, detector: detector)
            let batch = try sim.simulate(energies: Array(repeating: 65.536, count: 150), seed: 9)
            let m = Self.layerMeans(batch)
            let centres = (0..<detector.geometry.layerCount).map { l -> Double in
                let steps = detector.grid.steps.filter { $0.layer == l }
                return 0.5 * (steps.first!.depthLow + steps.last!.depthHigh)
            }
            let depth = zip(m, centres).reduce(0.0) { $0 + $1.0 * $1.1 } / m.reduce(0, +)
            return (depth, m[4...].reduce(0, +) / m.reduce(0, +))
        }
        let photons = try meanDepth(.ds1Photons, .gamma), pions = try meanDepth(.ds1Pions, .piplus)
        #expect(pions.depth > photons.depth + 150, "mean depth π+ \(pions.depth) mm vs γ \(photons.depth) mm")
        #expect(pions.tile > 0.3 && photons.tile < 0.02, "Tile share π+ \(pions.tile), γ \(photons.tile)")
    }

    @Test func sameSeedGivesIdenticalShowersForAnyThreadCountAndSplit() throws {
        let sim = try ShowerSimulator(particle: .piplus, detector: .ds1Pions)
        let energies = SimulatedDetector.ds1Pions.spectrum.energies(count: 20, seed: 4).map { min($0, 300) }
        let one = try ComputeThreads.with(blas: nil, workers: 1) { try sim.simulate(energies: energies, seed: 4) }
        let two = try ComputeThreads.with(blas: nil, workers: 2) { try sim.simulate(energies: energies, seed: 4) }
        #expect(one == two)
        let split = ShowerBatch.concatenate([try sim.simulate(energies: Array(energies[0..<7]), seed: 4),
                                             try sim.simulate(energies: Array(energies[7...]), seed: 4, firstEventIndex: 7)])
        #expect(split == one)
        let event = try sim.simulateEvent(energyGeV: energies[9], seed: 4, eventIndex: 9)
        #expect(event.voxels.map { Float($0) } == one.voxels.row(9))
        let other = try sim.simulate(energies: energies, seed: 5)
        #expect(other != one)
    }

    @Test func particlesTheDatasetsDoNotHaveAreRefused() throws {
        for p in [Particle.eplus, .eminus, .piplus] {
            #expect(throws: SimulationError.self) { try ShowerSimulator(particle: p, detector: .ds1Photons) }
        }
        for p in [Particle.eplus, .eminus, .gamma] {
            #expect(throws: SimulationError.self) { try ShowerSimulator(particle: p, detector: .ds1Pions) }
        }
    }
}
