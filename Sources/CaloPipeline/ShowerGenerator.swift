import CaloData
import CaloFlows
import CaloTensor

/// CaloFlow generation (method section 2.4): E_inc → Flow I samples the layer energies → Flow II
/// (the student in one pass, or the teacher feature by feature) samples normalized voxels →
/// inverse preprocessing → showers of the models' geometry (CaloGAN, dataset 1, ...) in MeV,
/// finite and non-negative, below-threshold voxels zeroed, overflow zero.
public final class ShowerGenerator: @unchecked Sendable {
    public let flowI: Flow
    public let flowII: Flow
    public let flowIInfo: FlowModelInfo
    public let flowIIInfo: FlowModelInfo
    /// The geometry of the generated showers (the models').
    public var geometry: CalorimeterGeometry { flowIIInfo.geometry }
    /// Preprocessing constants of Flow II (the threshold may be overridden for generation).
    public var preprocessing: Preprocessing
    /// Showers per pass through the flows. A write batch of 10,000 is split into passes of
    /// this size: at 1000 a block's MADE output (46 MB) is reused across passes, where 10,000
    /// rows would hold 464 MB per block and run from main memory. Not part of the random-stream
    /// layout (every shower has its own stream, see `ShowerLatents`): changing it changes the
    /// showers a seed gives only by the rounding of the products (OpenBLAS may sum a product of
    /// another shape in another order).
    public var flowBatch = 1000
    /// The smallest default `flowBatch` of a geometry modelled layer by layer (`LayerFlowLayout`).
    public static let minimumLayerFlowBatch = 200

    public init(flowI: Flow, flowIInfo: FlowModelInfo, flowII: Flow, flowIIInfo: FlowModelInfo) throws {
        guard flowIInfo.stage == .flow1, flowIIInfo.stage != .flow1 else {
            throw PipelineError.modelMismatch("generation needs a Flow I checkpoint and a teacher or student checkpoint")
        }
        guard flowIInfo.geometry.hasSameVoxels(as: flowIIInfo.geometry) else {
            throw PipelineError.modelMismatch("the Flow I checkpoint models the geometry \(flowIInfo.geometry.name) and the "
                                              + "\(flowIIInfo.stage.rawValue) checkpoint \(flowIIInfo.geometry.name); they are not from one run")
        }
        let g = flowIIInfo.geometry
        guard flowI.features == CaloFlowModels.flowIFeatures(g), flowI.contextFeatures == CaloFlowModels.flowIContext,
              flowII.features == CaloFlowModels.flowIIFeatures(g), flowII.contextFeatures == CaloFlowModels.flowIIContext(g) else {
            throw PipelineError.modelMismatch("the flows (Flow I \(flowI.features) features, \(flowI.contextFeatures) context; Flow II "
                + "\(flowII.features) features, \(flowII.contextFeatures) context) do not fit the geometry \(g.name) (\(g.layerCount) layers, "
                + "\(g.voxelCount) voxels), which needs \(CaloFlowModels.flowIFeatures(g)), 1; \(CaloFlowModels.flowIIFeatures(g)), "
                + "\(CaloFlowModels.flowIIContext(g))")
        }
        self.flowI = flowI
        self.flowII = flowII
        self.flowIInfo = flowIInfo
        self.flowIIInfo = flowIIInfo
        self.preprocessing = flowIIInfo.preprocessing
        // Keep a pass's showers (latents, logits and voxels, 12 bytes a voxel each) near 30 MB
        // for fine geometries, in a divisor of the usual write batch of 10,000: 1000 CaloGAN or
        // dataset-1 showers, 250 of dataset 2 (6480 voxels). A layer flow takes at least 200
        // (dataset 3: 200 of 40,500 voxels, 97 MB): each of its L steps streams all its weights
        // (dataset 3 at width 256: 8 blocks of 23 MB) through OpenBLAS's packing, which below
        // about 200 rows per product takes as long as the products (at 50 rows, a third of the time).
        flowBatch = [1000, 500, 250, 125, 100, 50, 25, 20, 10].first { $0 * g.voxelCount <= 2_600_000 } ?? 10
        if LayerFlowLayout.uses(g) { flowBatch = max(flowBatch, Self.minimumLayerFlowBatch) }
    }

    /// Loads `flow1-best.h5` and `<stage>-best.h5` from a run directory.
    public convenience init(run: RunDirectory, stage: FlowStage) throws {
        let (f1, i1, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: FlowStage.flow1.rawValue, .best), stage: .flow1)
        let (f2, i2, _) = try ModelCheckpoint.load(path: run.checkpointPath(stage: stage.rawValue, .best), stage: stage)
        try self.init(flowI: f1, flowIInfo: i1, flowII: f2, flowIIInfo: i2)
    }

    /// The incident-energy range the models were trained on, GeV.
    /// The checks `generate` and `info` share: `run` must be a run directory (`RunDirectory.requireRunFiles`)
    /// whose `flow1-best.h5` and `<stage>-best.h5` load as complete, finite, consistent models.
    public static func validated(run: RunDirectory, stage: FlowStage) throws -> ShowerGenerator {
        try run.requireRunFiles()
        let flowII = run.checkpointPath(stage: stage.rawValue, .best)
        guard FileSystem.exists(flowII) else {
            throw RunDirectoryError.notARunDirectory(path: run.path, detail: "it has no \(stage.rawValue)-best.h5 "
                + (stage == .student ? "(run 'caloflow distill' first, or use --flow teacher)" : "(train-teacher has not finished)"))
        }
        return try ShowerGenerator(run: run, stage: stage)
    }

    /// A warning when `requested` (GeV) reaches outside the incident energies the models were
    /// trained on: there the flows extrapolate, with no guarantee of sensible showers.
    public func extrapolationWarning(_ requested: ClosedRange<Double>) -> String? {
        let trained = trainingEnergyRange
        let slack = 1e-6 * trained.upperBound
        guard requested.lowerBound < trained.lowerBound - slack || requested.upperBound > trained.upperBound + slack else { return nil }
        return "the requested incident energies (\(requested.lowerBound)-\(requested.upperBound) GeV) reach outside the training range "
            + "(\(trained.lowerBound)-\(trained.upperBound) GeV); there the models extrapolate and the showers are unvalidated"
    }

    public var trainingEnergyRange: ClosedRange<Double> {
        flowIInfo.trainingData.minimumEnergyGeV...flowIInfo.trainingData.maximumEnergyGeV
    }

    /// Generates one shower per entry of `incidentGeV`: a stream of one batch (for many batches
    /// in a row, `stream` gives the same showers without the workers waiting for each other at
    /// the end of each batch).
    ///
    /// Shower i of the batch is shower `firstShower + i` of the run: its latent codes come from
    /// the stream (seed, firstShower + i) (`ShowerLatents`), so the showers do not depend on how
    /// the run is cut into batches and passes or on how passes are spread over threads. The
    /// batch is cut into passes of `flowBatch` showers. With more than one worker (`workers`, default `Parallel.maxWorkers`) and
    /// more than one pass, each worker runs whole passes with single-threaded BLAS: the passes
    /// are independent, so the cores never wait for each other inside a pass (OpenBLAS's own
    /// threads would synchronise and spin at every product). A worker that finishes takes the
    /// next pass nobody has started, so a core slowed down by other work (the file writer
    /// compressing the previous batch) does fewer passes instead of holding up the batch.
    /// - Parameter singleThreadedBLAS: false keeps OpenBLAS's thread count while the workers run
    ///   (slower; for callers that must not resize OpenBLAS's thread pool, such as tests running
    ///   next to other BLAS users in one process).
    public func generate(incidentGeV: [Float], seed: UInt64, firstShower: Int = 0,
                         workers: Int = Parallel.maxWorkers, singleThreadedBLAS: Bool = true) throws -> ShowerBatch {
        let n = incidentGeV.count
        guard n > 0 else { return ShowerBatch(count: 0, geometry: geometry) }
        return try stream(plan: ShowerBatchPlan(count: n, batchSize: n), seed: seed, firstShower: firstShower, workers: workers,
                          singleThreadedBLAS: singleThreadedBLAS, energies: { Array(incidentGeV[$0]) }) { try $0.next()! }
    }

    /// The passes a batch of `showers` is cut into (ranges inside the batch).
    func passRanges(showers n: Int) -> [Range<Int>] {
        let size = max(1, flowBatch)
        return stride(from: 0, to: n, by: size).map { $0..<min(n, $0 + size) }
    }

    static func checkEnergies(_ incidentGeV: [Float]) throws {
        for e in incidentGeV where !(e > 0 && e.isFinite) {
            throw PipelineError.invalidData("incident energies must be positive and finite, got \(e) GeV")
        }
    }

    /// Voxels [m, D] (MeV) for one pass of m incident energies: showers `firstShower ..<
    /// firstShower + m` of the run.
    func pass(_ energies: [Float], seed: UInt64, firstShower: Int) throws -> Matrix {
        let m = energies.count
        let (z1, z2) = ShowerLatents.matrices(seed: seed, firstShower: firstShower, count: m,
                                              flowIFeatures: flowI.features, flowIIFeatures: geometry.voxelCount)
        var c1 = Matrix(rows: m, cols: 1)
        for r in 0..<m { c1[r, 0] = Float(Preprocessing.flowIContext(incidentGeV: Double(energies[r]))) }
        var none: Xoshiro256? = nil
        let t = try flowI.inverse(z1, context: c1, dropoutRNG: &none, keepPasses: false).data
        let layers = flowIInfo.preprocessing.layerEnergies(fromFlowI: t, incidentGeV: energies)
        if let layout = LayerFlowLayout(geometry) {
            let x = try layerByLayer(z2, layout: layout, incidentGeV: energies, layerEnergiesMeV: layers)
            return preprocessing.voxels(fromFlowII: x, layerEnergiesMeV: layers, geometry: geometry)
        }
        let c2 = preprocessing.flowIIContext(incidentGeV: energies, layerEnergiesMeV: layers)
        let x = try flowII.inverse(z2, context: c2, dropoutRNG: &none, keepPasses: false).data
        return preprocessing.voxels(fromFlowII: x, layerEnergiesMeV: layers, geometry: geometry)
    }

    /// iCaloFlow's inductive sampling (`LayerFlowLayout`): layer n's logits from the layer flow
    /// given layer n - 1's, for n = 0 ..< L, each step one batched pass over the m showers.
    /// - Parameters:
    ///   - z: latent codes [m, D]; layer n uses columns n V ..< (n + 1) V.
    ///   - layerEnergiesMeV: the Flow I layer energies [m][L].
    /// - Returns: the logits of every layer [m, D], in voxel order.
    public func layerByLayer(_ z: Matrix, layout: LayerFlowLayout, incidentGeV: [Float], layerEnergiesMeV e: [[Double]]) throws -> Matrix {
        precondition(z.cols == geometry.voxelCount, "latent codes of \(z.cols) columns for \(geometry.voxelCount) voxels")
        var x = Matrix(rows: z.rows, cols: z.cols)
        var previous: Matrix? = nil
        var none: Xoshiro256? = nil
        for n in 0..<layout.layers {
            let columns = layout.columns(ofLayer: n)
            let context = layout.contexts(layer: n, incidentGeV: incidentGeV, layerEnergiesMeV: e, previous: previous)
            let xn = try flowII.inverse(z.columns(columns), context: context, dropoutRNG: &none, keepPasses: false).data
            x.setColumns(columns.lowerBound, from: xn)
            previous = xn
        }
        return x
    }
}
