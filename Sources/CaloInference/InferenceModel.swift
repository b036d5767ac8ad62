import CaloData
import CaloFlows
import CaloPipeline
import CInferenceKernels

/// A trained run (Flow I + student + preprocessing) packed for calls of a few showers at a
/// time: what the embedding library (`libcaloflow`, `caloflow.h`) opens. Read-only after
/// construction, so any number of threads may share one model, each with its own
/// `InferenceContext`.
///
/// Showers are those of `caloflow generate` with the same run, seed and energies: shower i
/// draws the same latent codes (`ShowerLatents`) and goes through the same flows and inverse
/// preprocessing. The products are summed in another order than OpenBLAS's (`CInferenceKernels`),
/// so values agree to float rounding, not bit for bit. Within the library, a shower does not
/// depend on the batch it is computed in or on the thread.
public final class InferenceModel: @unchecked Sendable {
    let flowI: PackedFlow
    let flowII: PackedFlow
    /// Flow I's preprocessing (layer energies from its samples).
    let flowIPreprocessing: Preprocessing
    /// Flow II's preprocessing (voxels from its samples), with the threshold in use.
    public let preprocessing: Preprocessing
    /// Incident energies the models were trained on, GeV (the showers of the training file).
    public let energyRangeGeV: ClosedRange<Double>
    /// Particle of the training data (eplus, gamma, piplus).
    public let particle: String
    public let precision: WeightPrecision
    /// The run directory this model was loaded from ("" when built in memory).
    public let source: String
    /// The geometry of the showers: any geometry CaloFlow's pipeline trains (CaloGAN, dataset 1,
    /// binning files of up to `maximumVoxels` voxels; see `requireSupported`).
    public let geometry: CalorimeterGeometry
    /// Architecture of Flow I and of the student, for reports.
    public let flowIArchitecture: FlowArchitecture
    public let studentArchitecture: FlowArchitecture

    /// Features of the Flow I and Flow II latent codes (CaloGAN: 3 and 504): a shower's latent is
    /// `latentSize` (CaloGAN: 507) values, Flow I's first.
    public var flowILatentSize: Int { flowI.features }
    public var flowIILatentSize: Int { flowII.features }
    public var latentSize: Int { flowI.features + flowII.features }

    /// Bytes of packed weights a batch-1 shower reads (Flow I and the student).
    public var weightBytes: Int { flowI.weightBytes + flowII.weightBytes }

    /// Multiply-adds per shower the masks ask for (Flow I once per feature, the student once).
    public var multiplyAddsPerShower: Int {
        flowI.mades.reduce(0) { $0 + $1.connections } * flowI.features + flowII.mades.reduce(0) { $0 + $1.connections }
    }

    /// Packs the flows of a generator (Flow I and a student).
    /// - Parameter thresholdMeV: voxels below it are zeroed (nil: the model's).
    public init(generator g: ShowerGenerator, precision: WeightPrecision = .float32, thresholdMeV: Double? = nil,
                source: String = "") throws {
        try Self.requireSupported(g.geometry, source: source.isEmpty ? "the model" : source)
        guard g.flowIInfo.stage == .flow1, g.flowI.blocks.allSatisfy({ $0.kind == .maf }),
              g.flowI.features == CaloFlowModels.flowIFeatures(g.geometry), g.flowI.contextFeatures == CaloFlowModels.flowIContext else {
            throw InferenceError.badModel("the Flow I model is not a CaloFlow Flow I (MAF, \(CaloFlowModels.flowIFeatures(g.geometry)) features, 1 context input)")
        }
        guard g.flowIIInfo.stage == .student, g.flowII.blocks.allSatisfy({ $0.kind == .iaf }) else {
            throw InferenceError.badModel("the library samples the student (IAF); this model is the \(g.flowIIInfo.stage.rawValue)")
        }
        guard g.flowII.features == CaloFlowModels.flowIIFeatures(g.geometry), g.flowII.contextFeatures == CaloFlowModels.flowIIContext(g.geometry) else {
            throw InferenceError.badModel("the student has \(g.flowII.features) features and \(g.flowII.contextFeatures) context inputs; "
                                          + "the geometry \(g.geometry.name) needs \(CaloFlowModels.flowIIFeatures(g.geometry)) and \(CaloFlowModels.flowIIContext(g.geometry))")
        }
        if let t = thresholdMeV, !(t >= 0 && t <= 1e5) {
            throw InferenceError.invalidArgument("threshold \(t) MeV: use a finite value in 0...100000 MeV (or the model's)")
        }
        let lo = g.flowIInfo.trainingData.minimumEnergyGeV, hi = g.flowIInfo.trainingData.maximumEnergyGeV
        guard lo > 0, lo <= hi, hi.isFinite else {
            throw InferenceError.badModel("the checkpoint's training energy range \(lo)...\(hi) GeV is not valid")
        }
        flowI = try PackedFlow(g.flowI, precision: .float32, name: "Flow I")
        flowII = try PackedFlow(g.flowII, precision: precision, name: "student")
        flowIPreprocessing = g.flowIInfo.preprocessing
        var p = g.flowIIInfo.preprocessing
        if let t = thresholdMeV { p.thresholdMeV = t }
        preprocessing = p
        energyRangeGeV = lo...hi
        particle = g.flowIIInfo.trainingData.particle
        self.precision = precision
        self.source = source
        geometry = g.geometry
        flowIArchitecture = g.flowIInfo.architecture
        studentArchitecture = g.flowIIInfo.architecture
    }

    /// Opens `flow1-best.h5` and `student-best.h5` of a run directory.
    ///
    /// Errors: `.notFound` (no directory, no checkpoint), `.badModel` (a checkpoint that cannot
    /// be read, is of another stage, or does not fit), `.invalidArgument` (threshold).
    public static func open(runDirectory path: String, precision: WeightPrecision = .float32,
                            thresholdMeV: Double? = nil) throws -> InferenceModel {
        guard !path.isEmpty else { throw InferenceError.invalidArgument("the run directory path is empty") }
        guard FileSystem.exists(path) else { throw InferenceError.notFound("\(path): no such run directory") }
        guard FileSystem.isDirectory(path) else {
            throw InferenceError.notFound("\(path) is a file; give the run directory (it holds flow1-best.h5 and student-best.h5)")
        }
        let run = RunDirectory(path: path)
        let flowIPath = run.checkpointPath(stage: FlowStage.flow1.rawValue, .best)
        let studentPath = run.checkpointPath(stage: FlowStage.student.rawValue, .best)
        guard FileSystem.exists(flowIPath) else {
            throw InferenceError.notFound("\(path) holds no flow1-best.h5: not a trained caloflow run (train-teacher trains Flow I)")
        }
        guard FileSystem.exists(studentPath) else {
            let teacher = FileSystem.exists(run.checkpointPath(stage: FlowStage.teacher.rawValue, .best))
            throw InferenceError.notFound("\(path) holds no student-best.h5" + (teacher
                ? ": the library samples the student, and this run has only the teacher (run `caloflow distill --run \(path)`)"
                : ": the library samples the student (train-teacher, then distill)"))
        }
        // Refuse a geometry the engine does not run before reading any weight (a dataset-3
        // checkpoint is large).
        for p in [flowIPath, studentPath] {
            if let g = recordedGeometry(path: p) { try requireSupported(g, source: path) }
        }
        let generator: ShowerGenerator
        do {
            generator = try ShowerGenerator(run: run, stage: .student)
        } catch {
            throw InferenceError.badModel("\(path): \(error)")
        }
        return try InferenceModel(generator: generator, precision: precision, thresholdMeV: thresholdMeV, source: path)
    }

    /// The training range for messages, in MeV to 0.01 MeV (the check itself is exact).
    public var energyRangeText: String {
        func mev(_ gev: Double) -> String { "\((gev * 1e5).rounded() / 100)" }
        return "\(mev(energyRangeGeV.lowerBound))-\(mev(energyRangeGeV.upperBound)) MeV"
    }

    /// The kernels' name for reports.
    public static var kernelName: String { String(cString: cik_kernel_name()) }

    /// Several lines for `caloflow_model_describe` and logs.
    public var summary: String {
        let mb = Double(weightBytes) / 1e6
        return """
            caloflow model \(source.isEmpty ? "(in memory)" : source)
              geometry \(geometry.description)
              particle \(particle), incident energies \(energyRangeText), threshold \(preprocessing.thresholdMeV) MeV
              Flow I: \(flowIArchitecture.blocks) MAF blocks, MADE \(flowIArchitecture.hiddenLayers)x\(flowIArchitecture.hiddenFeatures); \
            student: \(studentArchitecture.blocks) IAF blocks, MADE \(studentArchitecture.hiddenLayers)x\(studentArchitecture.hiddenFeatures), \
            \(studentArchitecture.bins) bins
              weights \(precision.rawValue), \((mb * 10).rounded() / 10) MB read per batch-1 call; \
            \(multiplyAddsPerShower / 1000) k multiply-adds per shower; kernel \(Self.kernelName)
            """
    }
}
