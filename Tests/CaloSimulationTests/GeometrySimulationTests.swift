import Testing
import CaloData
import CaloTensor
import CaloSimulation

/// The simulator on the CaloChallenge datasets 2 and 3 (silicon-tungsten stack, (r, α) voxels):
/// voxel count and order, energy conservation of the polar binning, the longitudinal profile,
/// readout thresholds, determinism and refusals; and the dataset-1 energy set.
@Suite(.serialized) struct GeometrySimulationTests {
    /// Mean shower image [layer][alpha][radius] of `batch` (MeV).
    static func meanImage(_ batch: ShowerBatch) -> [[[Double]]] {
        let g = batch.geometry
        return g.layers.map { layer in
            let p = layer.polar!
            return (0..<p.alphaBins).map { a in
                (0..<p.radialBins).map { r in
                    let j = layer.firstVoxel + a * p.radialBins + r
                    return (0..<batch.count).reduce(0.0) { $0 + Double(batch.voxels[$1, j]) } / Double(batch.count)
                }
            }
        }
    }

    @Test(arguments: ["ds2", "ds3"])
    func voxelCountAndOrderPutTheCoreInRadialBinZeroOfEveryAlphaBin(name: String) throws {
        let detector = try #require(SimulatedDetector.named(name))
        let sim = try ShowerSimulator(particle: .eminus, detector: detector)
        let batch = try sim.simulate(energies: Array(repeating: 100, count: 40), seed: 5)
        #expect(batch.geometry.name == name)
        #expect(batch.voxels.cols == (name == "ds2" ? 6480 : 40_500))
        #expect(batch.overflow.cols == 0)
        let image = Self.meanImage(batch)
        // Layers up to the shower maximum (≈ layer 10): in every alpha bin the first radial bin
        // holds the most energy and the content falls with radius (alpha-major, radius fastest).
        for l in 6...14 {
            for row in image[l] {
                #expect(row[0] > row[1] && row[1] > row[row.count - 1], "layer \(l): \(row)")
            }
            // Azimuthal symmetry: the r-bin 0 of every alpha bin within 35 % of their mean
            // (40 showers; a ds3 core cell holds a fiftieth of a 2.3 mm disc).
            let core = image[l].map { $0[0] }
            let mean = core.reduce(0, +) / Double(core.count)
            #expect(core.allSatisfy { abs($0 - mean) < 0.35 * mean }, "layer \(l) core by alpha: \(core)")
        }
        // Summed over layers and radii, every alpha bin holds its share within 10 %.
        let alphaBins = image[0].count
        let byAlpha = (0..<alphaBins).map { a in image.reduce(0.0) { $0 + $1[a].reduce(0, +) } }
        let mean = byAlpha.reduce(0, +) / Double(alphaBins)
        #expect(byAlpha.allSatisfy { abs($0 - mean) < 0.1 * mean }, "energy by alpha bin: \(byAlpha)")
    }

    @Test func energyIsConservedByThePolarBinning() throws {
        // Total deposits, no sampling fluctuation: cells + energy beyond the readout radius =
        // the profile's energy inside the stack (the longitudinal leakage is the rest).
        let sim = try ShowerSimulator(particle: .eminus, options: SimulationOptions(depositMode: .total), detector: .ds2)
        let depth = try #require(sim.grid.steps.last).x0High
        for (i, e) in [2.0, 30, 400].enumerated() {
            let shower = try sim.simulateEvent(energyGeV: e, seed: 9, eventIndex: i)
            let r = try #require(shower.emRealization)
            let inside = 1000 * e * r.energyFraction(from: 0, to: depth, deposit: .total)
            let cells = shower.voxels.reduce(0, +), beyond = shower.overflow.reduce(0, +)
            #expect(abs(cells + beyond - inside) < 2e-3 * inside, "E \(e): cells \(cells) + beyond \(beyond) vs \(inside) MeV")
            #expect(beyond < 0.1 * inside && beyond > 0, "E \(e): energy beyond 41.85 mm \(beyond) MeV")
            #expect(shower.lost.allSatisfy { $0 == 0 })
        }
    }

    @Test func longitudinalSharingIsPlausible() throws {
        // 100 GeV e-: T_max ≈ ln(E/Ec) − 0.5 ≈ 8.5 X0 ≈ readout layer 10-11 (0.806 X0 each);
        // under 1 % of the cell energy in the last 10 layers; the silicon sees about
        // e/mip · f_mip = 0.027 of E_inc.
        let detector = SimulatedDetector.ds2
        let sim = try ShowerSimulator(particle: .eminus, detector: detector)
        let batch = try sim.simulate(energies: Array(repeating: 100, count: 200), seed: 21)
        var layers = [Double](repeating: 0, count: 45)
        for l in 0..<45 { layers[l] = batch.layerEnergy(l).reduce(0, +) }
        let total = layers.reduce(0, +)
        let peak = layers.indices.max { layers[$0] < layers[$1] }!
        #expect((8...13).contains(peak), "peak layer \(peak)")
        #expect(layers[35...].reduce(0, +) < 0.01 * total)
        #expect(layers[0] < 0.002 * total)
        let response = total / Double(batch.count) / 100_000
        let expected = detector.response.electronFraction
        #expect(abs(expected - 0.0272) < 0.001, "silicon EM fraction \(expected)")
        #expect(response > 0.9 * expected && response < expected, "response \(response) vs \(expected)")
        // Photons start later (conversion) than electrons.
        let photons = try ShowerSimulator(particle: .gamma, detector: detector).simulate(energies: Array(repeating: 100, count: 200), seed: 22)
        func depth(_ b: ShowerBatch) -> Double {
            let e = (0..<45).map { b.layerEnergy($0).reduce(0, +) }
            return zip(0..., e).reduce(0.0) { $0 + Double($1.0) * $1.1 } / e.reduce(0, +)
        }
        #expect(depth(photons) > depth(batch) + 0.5, "mean depth γ \(depth(photons)) vs e- \(depth(batch)) layers")
    }

    @Test(arguments: [("ds2", 0.0005), ("ds3", 0.01515)])
    func readoutThresholdLeavesNoCellBetweenZeroAndIt(name: String, threshold: Double) throws {
        let detector = try #require(SimulatedDetector.named(name))
        #expect(detector.readoutThreshold == threshold)
        let batch = try ShowerSimulator(particle: .eminus, detector: detector)
            .simulate(count: 30, spectrum: detector.spectrum, seed: 8)
        var nonzero = 0
        for v in batch.voxels.storage where v != 0 {
            #expect(Double(v) >= Double(Float(threshold)), "cell \(v) MeV below the threshold")
            nonzero += 1
        }
        #expect(nonzero > 1000)
        #expect(batch.voxels.storage.allSatisfy { $0 >= 0 && $0.isFinite })
    }

    @Test func sameSeedGivesIdenticalShowersForAnyThreadCountAndSplit() throws {
        let sim = try ShowerSimulator(particle: .eminus, detector: .ds3)
        let energies = SimulatedDetector.ds3.spectrum.energies(count: 24, seed: 4)
        let one = try ComputeThreads.with(blas: nil, workers: 1) { try sim.simulate(energies: energies, seed: 4) }
        let two = try ComputeThreads.with(blas: nil, workers: 2) { try sim.simulate(energies: energies, seed: 4) }
        #expect(one == two)
        let split = ShowerBatch.concatenate([try sim.simulate(energies: Array(energies[0..<7]), seed: 4),
                                             try sim.simulate(energies: Array(energies[7...]), seed: 4, firstEventIndex: 7)])
        #expect(split == one)
        let event = try sim.simulateEvent(energyGeV: energies[9], seed: 4, eventIndex: 9)
        #expect(event.voxels.map { Float($0) } == one.voxels.row(9))
    }

    @Test func energySpectraOfTheDatasets() throws {
        let ds1 = EnergySpectrum.caloChallengeDataset1
        let set = (0..<15).map { 0.256 * Double(1 << $0) }
        #expect(ds1 == .discrete(set))
        #expect(set.first == 0.256 && set.last == 4194.304)
        let drawn = ds1.energies(count: 3000, seed: 3)
        #expect(drawn.allSatisfy { set.contains($0) })
        for e in set {
            let n = drawn.filter { $0 == e }.count
            #expect(n > 130 && n < 270, "\(e) GeV drawn \(n) times of 3000")
        }
        #expect(ds1.energies(count: 50, seed: 3, firstEventIndex: 10) == Array(drawn[10..<60]))
        let log = SimulatedDetector.ds2.spectrum.energies(count: 4000, seed: 6)
        #expect(log.allSatisfy { $0 >= 1 && $0 <= 1000 })
        // Log-uniform: each decade holds a third.
        for (lo, hi) in [(1.0, 10.0), (10.0, 100.0), (100.0, 1000.0)] {
            let n = log.filter { $0 >= lo && $0 < hi }.count
            #expect(abs(Double(n) / 4000 - 1.0 / 3) < 0.035, "[\(lo), \(hi)) GeV: \(n)")
        }
    }

    @Test func particlesOutsideTheDetectorsPhysicsAreRefused() throws {
        #expect(throws: SimulationError.self) { try ShowerSimulator(particle: .piplus, detector: .ds2) }
        #expect(throws: SimulationError.self) { try ShowerSimulator(particle: .piplus, detector: .ds3) }
        #expect(SimulatedDetector.named("ds1-photons")?.geometry.voxelCount == 368)
        #expect(SimulatedDetector.named("my-binning.xml") == nil)
        #expect(SimulatedDetector.named("calogan")?.geometry.isCaloGAN == true)
    }

    @Test func siliconTungstenStackHasTheStatedDepths() {
        let grid = SimulatedDetector.siliconTungstenGrid
        #expect(grid.steps.count == 90)
        #expect(abs(grid.totalDepth - 153) < 1e-9)
        #expect(abs(grid.radiationLengths(atDepth: 153) - 36.3) < 0.1)
        #expect(abs(grid.interactionLengths(atDepth: 153) - 1.325) < 0.02)
        #expect(grid.steps.allSatisfy { $0.layer == Int(($0.depthLow / 3.4 + 1e-9).rounded(.down)) })
        let m = SimulatedDetector.siliconTungstenMedium
        #expect(abs(m.mipSamplingFraction - 0.0363) < 0.0005)
    }
}
