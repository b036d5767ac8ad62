import Foundation
import CaloData
import CaloTensor

/// Path of a committed fixture (written by scripts/make-test-fixtures.py).
func fixture(_ name: String, filePath: String = #filePath) -> String {
    URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// `n` random showers: energies 1..100 GeV, voxels sparse (about 30% non-zero) up to 50 MeV.
func randomBatch(_ n: Int, seed: UInt64) -> ShowerBatch {
    var rng = Xoshiro256(seed: seed)
    var b = ShowerBatch(count: n)
    for i in 0..<n { b.incidentEnergy[i] = Float(rng.uniform(1, 100)) }
    for k in 0..<b.voxels.count where rng.uniform() < 0.3 { b.voxels.storage[k] = Float(rng.uniform(0, 50)) }
    for k in 0..<b.overflow.count { b.overflow.storage[k] = Float(rng.uniform(0, 5)) }
    return b
}
