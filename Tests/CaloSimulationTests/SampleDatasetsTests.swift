import Foundation
import Testing
import CaloData
import CaloSimulation

/// The small shower files committed in `datasets/` (see datasets/README.md): readable, valid,
/// and what the simulator gives today for the seed recorded in them, so they cannot silently
/// drift from the code that claims to have made them.
@Suite struct SampleDatasetsTests {
    /// The repository's `datasets/` folder, found from this file's path.
    static func datasets(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent()   // CaloSimulationTests
            .deletingLastPathComponent().deletingLastPathComponent()   // Tests, repository root
            .appendingPathComponent("datasets")
    }

    @Test(arguments: [Particle.eplus, .gamma, .piplus])
    func committedSampleIsValidAndReproducible(particle: Particle) throws {
        let path = Self.datasets().appendingPathComponent("sample-\(particle.rawValue)-1k.h5").path
        #expect(FileManager.default.fileExists(atPath: path), "missing \(path): regenerate it as datasets/README.md says")
        let reader = try ShowerFileReader(path: path)   // validates shapes, names, finiteness, signs
        #expect(reader.count == 1000)
        #expect(reader.metadata.particle == particle.rawValue)
        let seed = try #require(reader.metadata.seed)
        let stored = try reader.readAll()

        let energies = EnergySpectrum.caloGAN.energies(count: 1000, seed: seed)
        let fresh = try ShowerSimulator(particle: particle).simulate(energies: energies, seed: seed)
        #expect(stored.incidentEnergy == fresh.incidentEnergy)
        // Equal up to float rounding (libm's vector variants may differ in the last bit between CPUs).
        var worst: Float = 0
        for (a, b) in zip(stored.voxels.storage, fresh.voxels.storage) {
            worst = max(worst, abs(a - b) / max(1, abs(b)))
        }
        #expect(worst < 1e-4, "\(path) differs from a fresh simulation (worst relative difference \(worst)): regenerate it as datasets/README.md says")
    }
}
