import CaloData
import CaloFlows
import CaloTensor

/// Latent codes of showers under a trained Flow II: z = T(x | c) with the model's own
/// preprocessing (voxel noise as in training, drawn from a fixed stream). For a well-trained
/// teacher, codes of held-out showers are standard normal, so ||z||² follows χ² with D (504 for
/// CaloGAN) degrees of freedom (the latent calibration check of `evaluate`).
public enum LatentCodes {
    /// Codes [N, D] of `showers` under the flow in `checkpointPath` (teacher or student).
    public static func compute(checkpointPath: String, showers: ShowerBatch, seed: UInt64, batchSize: Int = 1000) throws -> Matrix {
        let checkpoint = try Checkpoint.read(from: checkpointPath)
        let (flow, info) = try ModelCheckpoint.flow(from: checkpoint)
        guard info.stage != .flow1 else {
            throw PipelineError.modelMismatch("\(checkpointPath) holds Flow I; latent calibration needs the teacher (teacher-best.h5)")
        }
        try ModelCheckpoint.requireGeometry(info.geometry, of: checkpointPath, fits: showers.geometry, source: "the reference holds showers")
        var parts = [Matrix]()
        var none: Xoshiro256? = nil
        for lo in stride(from: 0, to: showers.count, by: batchSize) {
            let b = showers.slice(lo..<min(showers.count, lo + batchSize))
            var v = b.voxels
            var noise = Xoshiro256(seed: seed, stream: (RandomStreams.validationNoise << 40) | UInt64(lo))
            info.preprocessing.addNoise(toVoxelsMeV: &v, rng: &noise)
            let (x, c, _) = info.preprocessing.flowIIInputs(voxelsMeV: v, incidentGeV: b.incidentEnergy, geometry: info.geometry)
            parts.append(try flow.forward(x, context: c, dropoutRNG: &none, keepPasses: false).latent)
        }
        return Matrix.vstack(parts)
    }
}
