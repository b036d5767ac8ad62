import CaloData
import CaloFlows
import CaloNN
import CaloTensor

/// What a flow checkpoint says about its model (the `model` JSON attribute, and the `geometry`
/// attribute for `geometry`): enough to rebuild the flow and to use it without the training file.
public struct FlowModelInfo: Codable, Sendable, Equatable {
    public var stage: FlowStage
    public var kind: AutoregressiveKind
    public var architecture: FlowArchitecture
    public var preprocessing: Preprocessing
    public var trainingData: TrainingDataSummary
    /// The geometry of the showers the model learns (stored in its own checkpoint attribute,
    /// `geometry`; a checkpoint without one is a CaloGAN model).
    public var geometry: CalorimeterGeometry = .calogan

    public init(stage: FlowStage, kind: AutoregressiveKind, architecture: FlowArchitecture, preprocessing: Preprocessing,
                trainingData: TrainingDataSummary, geometry: CalorimeterGeometry = .calogan) {
        self.stage = stage
        self.kind = kind
        self.architecture = architecture
        self.preprocessing = preprocessing
        self.trainingData = trainingData
        self.geometry = geometry
    }

    enum CodingKeys: String, CodingKey {
        case stage, kind, architecture, preprocessing
        case trainingData = "training_data"
    }
}

/// Saving and rebuilding CaloFlow models from HDF5 checkpoints.
public enum ModelCheckpoint {
    static let modelAttribute = "model"
    /// The root attribute holding the model's geometry (JSON, `CalorimeterGeometry` record).
    public static let geometryAttribute = "geometry"

    /// A checkpoint holding `flow`'s parameters and permutations and its model description.
    public static func make(flow: Flow, info: FlowModelInfo, seed: UInt64, appVersion: String) throws -> Checkpoint {
        var c = Checkpoint(kind: info.stage.rawValue, appVersion: appVersion, seed: seed, parameters: flow.parameters)
        try c.setJSON(modelAttribute, info)
        try c.setJSON(geometryAttribute, info.geometry)
        for (k, p) in flow.permutations.enumerated() {
            c.integerArrays["permutations/\(k)"] = .init(p.indices.map { Int64($0) })
        }
        return c
    }

    /// The model description stored in `checkpoint`, with its geometry (`geometry(_:)`).
    public static func info(_ checkpoint: Checkpoint) throws -> FlowModelInfo {
        var info = try checkpoint.decodeJSON(modelAttribute, as: FlowModelInfo.self)
        info.geometry = try geometry(checkpoint)
        return info
    }

    /// The geometry a checkpoint records; CaloGAN for checkpoints written before geometries were
    /// recorded (they are all CaloGAN models).
    public static func geometry(_ checkpoint: Checkpoint) throws -> CalorimeterGeometry {
        guard checkpoint.jsonAttributes[geometryAttribute] != nil else { return .calogan }
        return try checkpoint.decodeJSON(geometryAttribute, as: CalorimeterGeometry.self)
    }

    /// Throws `PipelineError.unsupportedGeometry` naming both geometries unless the model
    /// `checkpoint` (of geometry `model`) fits showers of geometry `showers`. `source` says
    /// where those showers are, as the start of a clause: "reference.h5 holds showers",
    /// "--geometry ds2 asks for showers".
    public static func requireGeometry(_ model: CalorimeterGeometry, of checkpoint: String, fits showers: CalorimeterGeometry,
                                       source: String) throws {
        guard !model.hasSameVoxels(as: showers) else { return }
        throw PipelineError.unsupportedGeometry(
            "\(checkpoint) models showers of the geometry \(model.name) (\(model.title), \(model.voxelCount) voxels), "
            + "but \(source) of the geometry \(showers.name) (\(showers.title), \(showers.voxelCount) voxels); "
            + "a model only fits showers of its own geometry")
    }

    /// The geometry of the checkpoint at `path`, read from its header (no tensors loaded).
    public static func geometry(path: String) throws -> CalorimeterGeometry {
        let header = try CheckpointHeader.read(from: path)
        guard let json = header.jsonAttributes[geometryAttribute] else { return .calogan }
        do { return try RunJSON.decode(CalorimeterGeometry.self, from: json, source: "attribute '\(geometryAttribute)'") } catch {
            throw CheckpointError.malformed(path: path, object: "/ attribute '\(geometryAttribute)'", detail: "\(error)")
        }
    }

    /// Rebuilds the flow stored in `checkpoint` (architecture, permutations, parameters).
    public static func flow(from checkpoint: Checkpoint) throws -> (Flow, FlowModelInfo) {
        let info = try info(checkpoint)
        var perms = [Permutation]()
        var k = 0
        while let stored = checkpoint.integerArrays["permutations/\(k)"] {
            perms.append(try Permutation(indices: stored.values.map { Int($0) }))
            k += 1
        }
        var rng = Xoshiro256(seed: checkpoint.seed, stream: RandomStreams.initialization)
        let flow: Flow
        switch info.stage {
        case .flow1:
            flow = try CaloFlowModels.flowI(info.architecture, geometry: info.geometry, permutations: perms, rng: &rng)
        case .teacher, .student:
            flow = try CaloFlowModels.flowII(kind: info.kind, info.architecture, geometry: info.geometry, name: info.stage.rawValue,
                                             permutations: perms, rng: &rng)
        }
        try checkpoint.loadParameters(into: flow.parameters)
        for b in flow.blocks { b.made.applyMasks() }
        return (flow, info)
    }

    /// Reads `path`, checks it holds `stage`, and rebuilds the flow.
    public static func load(path: String, stage: FlowStage) throws -> (Flow, FlowModelInfo, Checkpoint) {
        let checkpoint = try Checkpoint.read(from: path, expectedKind: stage.rawValue)
        let (flow, info) = try flow(from: checkpoint)
        return (flow, info, checkpoint)
    }
}
