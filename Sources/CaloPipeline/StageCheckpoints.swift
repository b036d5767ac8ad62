import CaloData
import CaloFlows
import CaloNN
import CaloTensor

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
    /// Where a `last` checkpoint keeps the moving average of the weights (`WeightAverage`), one
    /// float32 array per parameter: `ema/<parameter name>`.
    static func averagePath(_ parameter: String) -> String { "ema/" + parameter }

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

    /// Writes a `last`-sized checkpoint (weights, `adam`'s moments, a fresh training state) to
    /// `path`: what a time limit's planning times.
    func write(adam: Adam, average: WeightAverage? = nil, to path: String) throws {
        var c = try modelCheckpoint()
        c.setOptimizer(adam)
        setAverage(average, in: &c)
        c.training = TrainingState()
        try c.write(to: path)
    }

    /// Writes `<stage>-last.h5`: the training weights, `adam`'s moments, the weights' moving
    /// average when the stage keeps one, and `state`.
    func saveLast(adam: Adam, state: TrainingState, average: WeightAverage? = nil) throws {
        var c = try modelCheckpoint()
        c.setOptimizer(adam)
        setAverage(average, in: &c)
        c.training = state
        try c.write(to: run.checkpointPath(stage: stage.rawValue, .last))
    }

    func setAverage(_ average: WeightAverage?, in c: inout Checkpoint) {
        guard let average else { return }
        for (p, v) in zip(flow.parameters, average.values) {
            c.floatArrays[Self.averagePath(p.name)] = Checkpoint.StoredArray(shape: [v.rows, v.cols], values: v.storage)
        }
    }

    /// Loads the moving average of a `last` checkpoint into `average`.
    func restoreAverage(_ average: WeightAverage, from c: Checkpoint, path: String) throws {
        var saved = [Matrix]()
        for p in flow.parameters {
            guard let a = c.floatArrays[Self.averagePath(p.name)] else {
                throw PipelineError.modelMismatch("\(path) holds no moving average of parameter \(p.name) although the settings keep one "
                                                  + "(emaDecay \(average.decay)); it is not a last checkpoint of this run")
            }
            guard a.shape == [p.value.rows, p.value.cols], a.values.allSatisfy(\.isFinite) else {
                throw PipelineError.modelMismatch("\(path): the moving average of \(p.name) is not a finite \(p.value.rows) x \(p.value.cols) "
                                                  + "array (shape \(a.shape)); the checkpoint is damaged")
            }
            saved.append(Matrix(rows: p.value.rows, cols: p.value.cols, storage: a.values))
        }
        try average.restore(saved)
    }

    /// Loads `<stage>-last.h5` into the flow and the optimizer and returns its training state.
    /// Refuses a checkpoint that cannot continue this run exactly: another architecture, settings,
    /// seed or permutations, no optimizer state (Adam's moments would restart from zero), no
    /// training state, an epoch or step outside this run's `epochs` x `stepsPerEpoch`, or a best
    /// checkpoint that the state refers to but that is missing or damaged.
    /// Also refuses a checkpoint written with another number of gradient shards (`shards`), since
    /// the shards fix the batches and the order of the gradient sums. Only the `leader` (rank 0)
    /// removes metrics lines of epochs that will be redone.
    /// With `average`, the checkpoint's moving average of the weights is loaded into it.
    func restore(into adam: Adam, average: WeightAverage? = nil, epochs: Int, stepsPerEpoch: Int, shards: Int,
                 leader: Bool = true) throws -> TrainingState {
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
        guard let adamState = try c.adamState(for: flow.parameters) else {
            throw PipelineError.modelMismatch("\(path) holds no optimizer state (Adam moments and step), so training cannot continue "
                                              + "where it stopped; it is not a last checkpoint of this run")
        }
        try adam.restore(adamState)
        if let average { try restoreAverage(average, from: c, path: path) }
        guard let state = c.training else { throw PipelineError.modelMismatch("\(path) holds no training state; it cannot be resumed") }
        guard state.gradientShards == shards else {
            throw PipelineError.modelMismatch("\(path) was trained with \(state.gradientShards) gradient shards per step, this run asks for \(shards); "
                                              + "resume with --shards \(state.gradientShards) (any number of threads and processes works)")
        }
        try Self.checkPosition(state, path: path, epochs: epochs, stepsPerEpoch: stepsPerEpoch)
        if state.bestEpoch != nil { try verifyBest() }
        // Epochs after the checkpoint are redone: drop their metrics lines (if any were written).
        if leader && FileSystem.exists(run.metricsPath) {
            try MetricsLog.truncate(run.metricsPath, stage: stage.rawValue, afterEpoch: state.epoch)
        }
        return state
    }

    /// For a stage trained from scratch: drops the stage's records from metrics.jsonl (an earlier
    /// training of the same stage in this run directory, e.g. a student distilled again with
    /// other settings), so the run's metrics describe the model its checkpoints hold. Other
    /// stages' records are kept. Only the `leader` writes.
    func startFresh(leader: Bool) throws {
        guard leader && FileSystem.exists(run.metricsPath) else { return }
        try MetricsLog.truncate(run.metricsPath, stage: stage.rawValue, afterEpoch: 0)
    }

    /// Checks that `<stage>-best.h5` exists and reads as a complete, finite checkpoint of this
    /// model (architecture and permutations), so a run never reports a best checkpoint that
    /// cannot be used.
    func verifyBest() throws {
        let path = run.checkpointPath(stage: stage.rawValue, .best)
        guard FileSystem.exists(path) else {
            throw PipelineError.modelMismatch("\(path) is missing although the training state records a best epoch; "
                                              + "the run directory is incomplete")
        }
        do {
            let c = try Checkpoint.read(from: path, expectedKind: stage.rawValue)
            let (stored, storedInfo) = try ModelCheckpoint.flow(from: c)
            guard storedInfo.architecture == info.architecture, stored.permutations == flow.permutations else {
                throw PipelineError.modelMismatch("it holds another model than this run's")
            }
        } catch {
            throw PipelineError.modelMismatch("\(path) is damaged or foreign (\(error)); it cannot serve as this run's best checkpoint")
        }
    }

    /// The stored epoch and step must be a position this run's loop can reach: epoch in
    /// 0...epochs and the global step inside that epoch (or exactly at its start once all are done).
    static func checkPosition(_ state: TrainingState, path: String, epochs: Int, stepsPerEpoch: Int) throws {
        let e = state.epoch, g = state.globalStep
        let first = e.multipliedReportingOverflow(by: stepsPerEpoch)
        let inside = !first.overflow && g >= first.partialValue
            && (e == epochs ? g == first.partialValue : g < first.partialValue + stepsPerEpoch)
        guard e >= 0, e <= epochs, inside else {
            throw PipelineError.modelMismatch("\(path) records epoch \(e), step \(g), which this run (\(epochs) epochs of "
                                              + "\(stepsPerEpoch) steps) cannot have reached; the checkpoint is damaged or from another run")
        }
        if let b = state.bestEpoch, b < 1 || b > e {
            throw PipelineError.modelMismatch("\(path) records best epoch \(b) after \(e) completed epochs; the checkpoint is damaged")
        }
    }
}
