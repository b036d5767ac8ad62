import CaloData
import CaloTensor

/// The training examples of the layer flow (`LayerFlowLayout`) of a geometry modelled layer by
/// layer: example `s * L + n` is layer n of file row s, its target the layer's V normalized-voxel
/// logits and its context built from layers n and n - 1 of the same shower.
extension TrainingData {
    /// The layer-by-layer layout of this data's geometry, nil when one Flow II models it.
    public var layerLayout: LayerFlowLayout? { LayerFlowLayout(geometry) }

    /// The training examples of `stage`: the training showers' file rows, or for the teacher
    /// and student of a geometry modelled layer by layer their (shower, layer) examples.
    public func trainExamples(_ stage: FlowStage) -> [Int] {
        guard stage != .flow1, let layout = layerLayout else { return trainIndices }
        return layout.examples(ofShowers: trainIndices)
    }

    /// The held-out examples of `stage` (see `trainExamples`).
    public func validationExamples(_ stage: FlowStage) -> [Int] {
        guard stage != .flow1, let layout = layerLayout else { return validationIndices }
        return layout.examples(ofShowers: validationIndices)
    }

    /// Layer-flow inputs of the examples `examples`: `x` [B, V] (layer n's voxels divided by
    /// its energy, logit-transformed as `Preprocessing.flowIIInputs` does) and the context
    /// [B, 3 + V + L] of `LayerFlowLayout.writeContext`. With `noiseRNG`, U[0, noise) is added
    /// to layer n - 1's voxels (for n > 0) and then to layer n's, in that order, before the
    /// energies are summed, as `gather` adds it to whole showers.
    func layerFlowInputs(_ examples: [Int], layout: LayerFlowLayout, preprocessing: Preprocessing,
                         noiseRNG: inout Xoshiro256?) -> (x: Matrix, context: Matrix) {
        let b = examples.count, v = layout.voxelsPerLayer, width = layout.contextFeatures, d = geometry.voxelCount
        var x = Matrix(rows: b, cols: v), context = Matrix(rows: b, cols: width)
        var rng = noiseRNG
        let noiseScale = Float(preprocessing.noiseLevel / Preprocessing.mevToInternal)
        var current = [Float](repeating: 0, count: v), previous = [Float](repeating: 0, count: v)
        var previousLogits = [Float](repeating: 0, count: v)
        voxels.withUnsafeBufferPointer { all in
            x.withUnsafeMutableBufferPointer { xp in
                context.withUnsafeMutableBufferPointer { cp in
                    for (i, example) in examples.enumerated() {
                        let (s, n) = layout.decompose(example)
                        guard let local = localRow(s) else { fatalError("shower \(s) of the training file was not loaded by this process") }
                        let row = all.baseAddress! + local * d
                        func load(_ layer: Int, into out: inout [Float]) -> Double {
                            let start = layout.columns(ofLayer: layer).lowerBound
                            var sum = 0.0
                            for j in 0..<v {
                                var value = row[start + j]
                                if rng != nil { value += noiseScale * rng!.uniformFloat() }
                                out[j] = value
                                sum += Double(value)
                            }
                            return sum
                        }
                        var previousEnergy = 0.0
                        if n > 0 {
                            previousEnergy = load(n - 1, into: &previous)
                            previousLogits.withUnsafeMutableBufferPointer {
                                Self.logits(previous, energyMeV: previousEnergy, preprocessing: preprocessing, into: $0.baseAddress!)
                            }
                        }
                        let energy = load(n, into: &current)
                        Self.logits(current, energyMeV: energy, preprocessing: preprocessing, into: xp.baseAddress! + i * v)
                        previousLogits.withUnsafeBufferPointer { pl in
                            layout.writeContext(layer: n, incidentGeV: incidentGeV[s], energyMeV: energy, previousEnergyMeV: previousEnergy,
                                                previous: n > 0 ? pl.baseAddress! : nil, into: cp.baseAddress! + i * width)
                        }
                    }
                }
            }
        }
        noiseRNG = rng
        return (x, context)
    }

    /// The normalized-voxel logits of one layer (`Preprocessing.flowIIInputs` for V values).
    static func logits(_ layer: [Float], energyMeV: Double, preprocessing: Preprocessing, into out: UnsafeMutablePointer<Float>) {
        let norm = 1 / (energyMeV * Preprocessing.mevToInternal + 1e-16)
        for j in 0..<layer.count { out[j] = Float(preprocessing.logitTransform(Double(layer[j]) * Preprocessing.mevToInternal * norm)) }
    }
}
