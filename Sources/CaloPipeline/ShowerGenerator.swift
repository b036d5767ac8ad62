import CaloData
import CaloFlows
import CaloTensor

/// CaloFlow generation (method section 2.4): E_inc → Flow I samples the layer energies → Flow II
/// (the student in one pass, or the teacher feature by feature) samples normalized voxels →
/// inverse preprocessing → CaloGAN showers in MeV, finite and non-negative, below-threshold
/// voxels zeroed, overflow zero.
public final class ShowerGenerator: @unchecked Sendable {
    public let flowI: Flow
    public let flowII: Flow
    public let flowIInfo: FlowModelInfo
    public let flowIIInfo: FlowModelInfo
    /// Preprocessing constants of Flow II (the threshold may be overridden for generation).
    public var preprocessing: Preprocessing
    /// Showers per pass through the flows. A write batch of 10,000 is split into passes of
    /// this size: at 1000 a block's MADE output (46 MB) is reused across passes, where 10,000
    /// rows would hold 464 MB per block and run from main memory.
    public var flowBatch = 1000

    public init(flowI: Flow, flowIInfo: FlowModelInfo, flowII: Flow, flowIIInfo: FlowModelInfo) throws {
        guard flowIInfo.stage == .flow1, flowIIInfo.stage != .flow1 else {
            throw PipelineError.modelMismatch("generation needs a Flow I checkpoint and a teacher or student checkpoint")
        }
        self.flowI = flowI
        self.flowII = flowII
        self.flowIInfo = flowIInfo
        self.flowIIInfo = flowIIInfo
        self.preprocessing = flowIIInfo.preprocessing
    }

    /// Loads `flow1-best.h5` and `<stage>-best.h5` from a run directory.
    public convenience init(run: RunDirectory, stage: FlowStage) throws {
        let (f1, i1, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: FlowStage.flow1.rawValue, .best), stage: .flow1)
        let (f2, i2, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: stage.rawValue, .best), stage: stage)
        try self.init(flowI: f1, flowIInfo: i1, flowII: f2, flowIIInfo: i2)
    }

    /// The incident-energy range the models were trained on, GeV.
    public var trainingEnergyRange: ClosedRange<Double> {
        flowIInfo.trainingData.minimumEnergyGeV...flowIInfo.trainingData.maximumEnergyGeV
    }

    /// Generates one shower per entry of `incidentGeV`; randomness from stream `batchIndex` of `seed`,
    /// so a run split into batches differently gives the same showers per batch index.
    public func generate(incidentGeV: [Float], seed: UInt64, batchIndex: Int) throws -> ShowerBatch {
        let n = incidentGeV.count
        guard n > 0 else { return ShowerBatch(count: 0) }
        for e in incidentGeV where !(e > 0 && e.isFinite) {
            throw PipelineError.invalidData("incident energies must be positive and finite, got \(e) GeV")
        }
        var rng = Xoshiro256(seed: seed, stream: (RandomStreams.generation << 40) | UInt64(batchIndex))
        var parts = [Matrix]()
        for lo in stride(from: 0, to: n, by: max(1, flowBatch)) {
            let energies = Array(incidentGeV[lo..<min(n, lo + max(1, flowBatch))])
            var c1 = Matrix(rows: energies.count, cols: 1)
            for r in 0..<energies.count { c1[r, 0] = Float(Preprocessing.flowIContext(incidentGeV: Double(energies[r]))) }
            let t = try flowI.sample(context: c1, rng: &rng)
            let layers = flowIInfo.preprocessing.layerEnergies(fromFlowI: t, incidentGeV: energies)
            let c2 = preprocessing.flowIIContext(incidentGeV: energies, layerEnergiesMeV: layers)
            let x = try flowII.sample(context: c2, rng: &rng)
            parts.append(preprocessing.voxels(fromFlowII: x, layerEnergiesMeV: layers))
        }
        return ShowerBatch(incidentEnergy: incidentGeV, voxels: parts.count == 1 ? parts[0] : Matrix.vstack(parts),
                           overflow: Matrix(rows: n, cols: 3))
    }
}
