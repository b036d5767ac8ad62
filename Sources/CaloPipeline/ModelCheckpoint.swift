import CaloFlows
import CaloNN
import CaloTensor

/// What a flow checkpoint says about its model (the `model` JSON attribute): enough to rebuild
/// the flow and to use it without the training file.
public struct FlowModelInfo: Codable, Sendable, Equatable {
    public var stage: FlowStage
    public var kind: AutoregressiveKind
    public var architecture: FlowArchitecture
    public var preprocessing: Preprocessing
    public var trainingData: TrainingDataSummary

    public init(stage: FlowStage, kind: AutoregressiveKind, architecture: FlowArchitecture, preprocessing: Preprocessing,
                trainingData: TrainingDataSummary) {
        self.stage = stage
        self.kind = kind
        self.architecture = architecture
        self.preprocessing = preprocessing
        self.trainingData = trainingData
    }

    enum CodingKeys: String, CodingKey {
        case stage, kind, architecture, preprocessing
        case trainingData = "training_data"
    }
}

/// Saving and rebuilding CaloFlow models from HDF5 checkpoints.
public enum ModelCheckpoint {
    static let modelAttribute = "model"

    /// A checkpoint holding `flow`'s parameters and permutations and its model description.
    public static func make(flow: Flow, info: FlowModelInfo, seed: UInt64, appVersion: String) throws -> Checkpoint {
        var c = Checkpoint(kind: info.stage.rawValue, appVersion: appVersion, seed: seed, parameters: flow.parameters)
        try c.setJSON(modelAttribute, info)
        for (k, p) in flow.permutations.enumerated() {
            c.integerArrays["permutations/\(k)"] = .init(p.indices.map { Int64($0) })
        }
        return c
    }

    /// The model description stored in `checkpoint`.
    public static func info(_ checkpoint: Checkpoint) throws -> FlowModelInfo {
        try checkpoint.decodeJSON(modelAttribute, as: FlowModelInfo.self)
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
            flow = try CaloFlowModels.flowI(info.architecture, permutations: perms, rng: &rng)
        case .teacher, .student:
            flow = try CaloFlowModels.flowII(kind: info.kind, info.architecture, name: info.stage.rawValue,
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
