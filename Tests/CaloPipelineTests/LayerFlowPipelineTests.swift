import Foundation
import Testing
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// iCaloFlow's layer-by-layer model for datasets 2 and 3 (`LayerFlowLayout`): the layout, the
/// training examples against the whole-shower preprocessing, generation against the training
/// path, and a tiny train -> distil -> generate chain on synthetic dataset-2 showers.
@Suite("iCaloFlow layer flows (datasets 2 and 3)")
struct LayerFlowPipelineTests {
    @Test func datasetsTwoAndThreeAreModelledLayerByLayer() throws {
        let ds2 = try #require(LayerFlowLayout(.ds2)), ds3 = try #require(LayerFlowLayout(.ds3))
        #expect(ds2.layers == 45 && ds2.voxelsPerLayer == 144 && ds2.contextFeatures == 3 + 144 + 45)
        #expect(ds3.layers == 45 && ds3.voxelsPerLayer == 900 && ds3.contextFeatures == 3 + 900 + 45)
        for g in [CalorimeterGeometry.calogan, .ds1Photons, .ds1Pions] { #expect(LayerFlowLayout(g) == nil) }
        #expect(CaloFlowModels.flowIIFeatures(.ds2) == 144 && CaloFlowModels.flowIIContext(.ds2) == 192)
        #expect(CaloFlowModels.flowIIFeatures(.calogan) == 504 && CaloFlowModels.flowIIContext(.calogan) == 4)
        // Example s * L + n is layer n of shower s.
        #expect(ds2.examples(ofShowers: [3, 7]) == Array(135..<180) + Array(315..<360))
        #expect(ds2.decompose(3 * 45 + 44) == (3, 44))
        for g in [CalorimeterGeometry.ds2, .ds3, .calogan, .ds1Photons, .ds1Pions] { try TrainingData.requireTrainable(g, file: "ok.h5") }
    }

    @Test func aFineGeometryWithUnequalLayersIsRefusedWithTheReason() throws {
        let dir = TemporaryDirectory()
        let xml = dir.file("uneven.xml")
        try TestBinnings.unevenFine.write(toFile: xml, atomically: true, encoding: .utf8)
        let g = try CalorimeterGeometry.load(file: xml)
        #expect(g.voxelCount == 2404 && LayerFlowLayout(g) == nil)
        #expect {
            try TrainingData.requireTrainable(g, file: "uneven.h5")
        } throws: { error in
            let m = "\(error)"
            return m.contains("uneven.h5") && m.contains("2404 voxels") && m.contains("1200, 1200, 4")
        }
    }

    @Test func layerExamplesAreTheWholeShowerPreprocessingLayerByLayer() throws {
        let g = CalorimeterGeometry.ds2, layout = try #require(LayerFlowLayout(g))
        let p = Preprocessing()
        let showers = syntheticDataset1Showers(6, geometry: g, seed: 21)
        let data = try TrainingData(batch: showers, file: "ds2.h5", particle: "eminus", validationFraction: 0.34, seed: 3)
        #expect(data.trainExamples(.teacher) == layout.examples(ofShowers: data.trainIndices))
        #expect(data.trainExamples(.flow1) == data.trainIndices && data.validationExamples(.student).count == 45 * data.validationIndices.count)
        let (whole, wholeContext, _) = p.flowIIInputs(voxelsMeV: showers.voxels, incidentGeV: showers.incidentEnergy, geometry: g)
        let examples = [0, 1, 2, 44, 45 + 17, 5 * 45 + 30, 3 * 45 + 44]
        var none: Xoshiro256? = nil
        let (x, c) = FlowStage.teacher.inputs(data, examples, preprocessing: p, noiseRNG: &none)
        #expect(x.cols == 144 && c.cols == layout.contextFeatures && x.rows == examples.count)
        let empty = Float(Preprocessing.layerEnergyContext(mev: 0))
        for (i, example) in examples.enumerated() {
            let (s, n) = layout.decompose(example)
            let start = n * 144
            for j in 0..<144 { #expect(abs(x[i, j] - whole[s, start + j]) <= 1e-5 * max(1, abs(whole[s, start + j]))) }
            #expect(c[i, 0] == wholeContext[s, 0])
            #expect(abs(c[i, 1] - wholeContext[s, 1 + n]) < 1e-5)
            #expect(abs(c[i, 2] - (n > 0 ? wholeContext[s, n] : empty)) < 1e-5)
            for j in 0..<144 {
                let expected = n > 0 ? whole[s, start - 144 + j] * LayerFlowLayout.previousLayerScale : 0
                #expect(abs(c[i, 3 + j] - expected) <= 1e-5 * max(1, abs(expected)))
            }
            for l in 0..<45 { #expect(c[i, 3 + 144 + l] == (l == n ? 1 : 0)) }
        }
        // Noise is drawn per example from the stream: same stream, same inputs.
        var a: Xoshiro256? = Xoshiro256(seed: 5), b: Xoshiro256? = Xoshiro256(seed: 5)
        let na = FlowStage.teacher.inputs(data, examples, preprocessing: p, noiseRNG: &a)
        let nb = FlowStage.teacher.inputs(data, examples, preprocessing: p, noiseRNG: &b)
        #expect(na.x.storage == nb.x.storage && na.context.storage == nb.context.storage && na.x.storage != x.storage)
    }

    /// Generation inverts the training path: the teacher's latent codes of real showers' layers,
    /// fed to the generator's inductive sampling with the showers' own layer energies, give the
    /// layers' logits back (each step conditioned on the logits it generated the step before).
    @Test func inductiveSamplingInvertsTheTrainingPath() throws {
        let g = CalorimeterGeometry.ds2, layout = try #require(LayerFlowLayout(g))
        let showers = syntheticDataset1Showers(5, geometry: g, seed: 8)
        let data = try TrainingData(batch: showers, file: "ds2.h5", particle: "eminus", validationFraction: 0.2, seed: 3)
        let a = try architecture(blocks: 2, hidden: 16)
        var rng = Xoshiro256(seed: 4)
        let flowI = try CaloFlowModels.flowI(a, geometry: g, rng: &rng)
        let teacher = try CaloFlowModels.flowII(kind: .maf, a, geometry: g, name: "teacher", rng: &rng)
        perturbWeights(teacher, rng: &rng)
        #expect(teacher.features == 144 && teacher.contextFeatures == 192)
        for p in teacher.permutations { #expect(p.count == 144) }
        let info = FlowModelInfo(stage: .teacher, kind: .maf, architecture: a, preprocessing: Preprocessing(), trainingData: data.summary, geometry: g)
        let infoI = FlowModelInfo(stage: .flow1, kind: .maf, architecture: a, preprocessing: Preprocessing(), trainingData: data.summary, geometry: g)
        let generator = try ShowerGenerator(flowI: flowI, flowIInfo: infoI, flowII: teacher, flowIIInfo: info)

        let all = layout.examples(ofShowers: Array(0..<5))
        var none: Xoshiro256? = nil
        let (x, c) = FlowStage.teacher.inputs(data, all, preprocessing: Preprocessing(), noiseRNG: &none)
        let z = try teacher.forward(x, context: c, dropoutRNG: &none, keepPasses: false).latent
        var zShowers = Matrix(rows: 5, cols: g.voxelCount)
        for (i, example) in all.enumerated() {
            let (s, n) = layout.decompose(example)
            for j in 0..<144 { zShowers[s, n * 144 + j] = z[i, j] }
        }
        let energies = Preprocessing.layerEnergies(voxelsMeV: showers.voxels, geometry: g)
        let generated = try generator.layerByLayer(zShowers, layout: layout, incidentGeV: showers.incidentEnergy, layerEnergiesMeV: energies)
        var worst: Float = 0
        for (i, example) in all.enumerated() {
            let (s, n) = layout.decompose(example)
            for j in 0..<144 { worst = max(worst, abs(generated[s, n * 144 + j] - x[i, j])) }
        }
        #expect(worst < 2e-3, "largest logit difference \(worst)")
    }

    @Test func tinyTrainDistilGenerateChainOnDataset2() throws {
        try withTrainingLock {
            let g = CalorimeterGeometry.ds2
            let data = try TrainingData(batch: syntheticDataset1Showers(30, geometry: g, seed: 4), file: "ds2.h5", particle: "eminus",
                                        validationFraction: 0.2, seed: 7)
            let dir = TemporaryDirectory()
            let run = RunDirectory(path: dir.path)
            // The teacher's epoch covers every layer of every training shower (24 x 45 examples).
            let t = try trainTinyPipeline(data, run: run, batchSize: 300, validationLimit: 90, teacherStepsPerEpoch: (24 * 45 + 299) / 300)
            let (flowI, flowIInfo, teacher, teacherInfo, student, info) = (t.flowI, t.flowIInfo, t.teacher, t.teacherInfo, t.student, t.studentInfo)
            // The checkpoint rebuilds the layer flow.
            let (rebuilt, _, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: "teacher", .best), stage: .teacher)
            #expect(rebuilt.features == 144 && rebuilt.contextFeatures == 192)

            for (flow2, info2) in [(student, info), (teacher, teacherInfo)] {
                let generator = try ShowerGenerator(flowI: flowI, flowIInfo: flowIInfo, flowII: flow2, flowIIInfo: info2)
                #expect(generator.flowBatch == 250)
                let energies: [Float] = [1.5, 20, 300, 900, 64]
                let showers = try generator.generate(incidentGeV: energies, seed: 3, workers: 1, singleThreadedBLAS: false)
                #expect(showers.geometry == g && showers.voxels.cols == 6480 && showers.count == 5)
                showers.voxels.withUnsafeBufferPointer { p in #expect(p.allSatisfy { $0.isFinite && $0 >= 0 }) }
                let layers = Preprocessing.layerEnergies(voxelsMeV: showers.voxels, geometry: g)
                for r in 0..<5 { #expect(layers[r].reduce(0, +) <= Double(energies[r]) * 1e3 * 1.0001) }
                // Shower i depends on its index only: passes of 2 showers give the same bits on 1 and 2 workers.
                generator.flowBatch = 2
                let one = try generator.generate(incidentGeV: energies, seed: 3, workers: 1, singleThreadedBLAS: false)
                let two = try generator.generate(incidentGeV: energies, seed: 3, workers: 2, singleThreadedBLAS: false)
                #expect(one.voxels.storage == two.voxels.storage)
            }
        }
    }

    /// Moves every weight of `flow` by N(0, 0.05) so that its maps are far from the identity.
    func perturbWeights(_ flow: Flow, rng: inout Xoshiro256) {
        for p in flow.parameters {
            for i in 0..<p.value.storage.count { p.value.storage[i] += Float(rng.normal() * 0.05) }
        }
        for b in flow.blocks { b.made.applyMasks() }
    }
}
