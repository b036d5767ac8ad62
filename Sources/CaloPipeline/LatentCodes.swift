import CaloData
import CaloFlows
import CaloTensor

/// Latent codes of showers under a trained Flow II: z = T(x | c) with the model's own
/// preprocessing (voxel noise as in training, drawn from a fixed stream). For a well-trained
/// teacher, codes of held-out showers are standard normal, so ||z||² follows χ² with D (504 for
/// CaloGAN) degrees of freedom (the latent calibration check of `evaluate`). For a geometry
/// modelled layer by layer (`LayerFlowLayout`) a shower's code is its L layers' codes side by
/// side, layer n's under the layer flow given layer n - 1: again D values, χ² with D degrees.
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
            let (x, c, e) = info.preprocessing.flowIIInputs(voxelsMeV: v, incidentGeV: b.incidentEnergy, geometry: info.geometry)
            if let layout = LayerFlowLayout(info.geometry) {
                parts.append(try layerLatents(flow, layout: layout, x: x, layerEnergiesMeV: e, incidentGeV: b.incidentEnergy))
                continue
            }
            parts.append(try flow.forward(x, context: c, dropoutRNG: &none, keepPasses: false).latent)
        }
        return Matrix.vstack(parts)
    }

    /// Codes [B, D] of showers given as logits `x` [B, D] (with their layer energies) under the
    /// layer flow `flow`: layer n's V codes in columns n V ..< (n + 1) V.
    static func layerLatents(_ flow: Flow, layout: LayerFlowLayout, x: Matrix, layerEnergiesMeV e: [[Double]],
                             incidentGeV: [Float]) throws -> Matrix {
        var z = Matrix(rows: x.rows, cols: x.cols)
        var none: Xoshiro256? = nil
        for n in 0..<layout.layers {
            let columns = layout.columns(ofLayer: n)
            let previous = n > 0 ? x.columns(layout.columns(ofLayer: n - 1)) : nil
            let context = layout.contexts(layer: n, incidentGeV: incidentGeV, layerEnergiesMeV: e, previous: previous)
            z.setColumns(columns.lowerBound, from: try flow.forward(x.columns(columns), context: context, dropoutRNG: &none,
                                                                    keepPasses: false).latent)
        }
        return z
    }
}
