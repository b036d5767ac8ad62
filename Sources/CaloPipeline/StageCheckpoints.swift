import CaloData
import CaloFlows
import CaloNN

/// The `best` and `last` checkpoints of one training stage: saving them, and restoring a
/// `last` one after checking it belongs to this run (same architecture, settings, seed and
/// permutations). Shared by the maximum-likelihood and the distillation trainers.
struct StageCheckpoints<Settings: Codable & Equatable> {
    let stage: FlowStage
    let flow: Flow
    let info: FlowModelInfo
    let settings: Settings
    let run: RunDirectory
    let seed: UInt64
    let appVersion: String

    static var settingsAttribute: String { "training_settings" }

    func modelCheckpoint() throws -> Checkpoint {
        var c = try ModelCheckpoint.make(flow: flow, info: info, seed: seed, appVersion: appVersion)
        try c.setJSON(Self.settingsAttribute, settings)
        return c
    }

    func saveBest(state: TrainingState) throws {
        var c = try modelCheckpoint()
        c.training = state
        try c.write(to: run.checkpointPath(stage: stage.rawValue, .best))
    }

    func saveLast(adam: Adam, state: TrainingState) throws {
        var c = try modelCheckpoint()
        c.setOptimizer(adam)
        c.training = state
        try c.write(to: run.checkpointPath(stage: stage.rawValue, .last))
    }

    /// Loads `<stage>-last.h5` into the flow and the optimizer and returns its training state.
    func restore(into adam: Adam) throws -> TrainingState {
        let path = try run.resumeCheckpoint(stage: stage.rawValue)
        let c = try Checkpoint.read(from: path, expectedKind: stage.rawValue)
        let stored = try ModelCheckpoint.info(c)
        guard stored.architecture == info.architecture, stored.kind == info.kind else {
            throw PipelineError.modelMismatch("\(path) holds a different \(stage.rawValue) architecture than the config; resume with the run's own config")
        }
        try c.requireJSON(Self.settingsAttribute, matches: settings)
        guard c.seed == seed else {
            throw PipelineError.modelMismatch("\(path) was trained with seed \(c.seed), this run uses \(seed); resume with --seed \(c.seed)")
        }
        let (restored, _) = try ModelCheckpoint.flow(from: c)
        guard restored.permutations == flow.permutations else {
            throw PipelineError.modelMismatch("\(path) has other permutations than this run's model")
        }
        try c.loadParameters(into: flow.parameters)
        if let s = try c.adamState(for: flow.parameters) { try adam.restore(s) }
        guard let state = c.training else { throw PipelineError.modelMismatch("\(path) holds no training state; it cannot be resumed") }
        // Epochs after the checkpoint are redone: drop their metrics lines (if any were written).
        if FileSystem.exists(run.metricsPath) {
            try MetricsLog.truncate(run.metricsPath, stage: stage.rawValue, afterEpoch: state.epoch)
        }
        return state
    }
}
