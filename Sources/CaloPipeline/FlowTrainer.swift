import CaloFlows
import CaloNN
import CaloTensor

/// Receives progress from a training loop (the command layer turns it into progress lines and logs).
public protocol TrainingObserver: AnyObject {
    func trainingStarted(stage: String, epochs: Int, stepsPerEpoch: Int, resumedAtEpoch: Int, resumedAtStep: Int)
    func stepCompleted(stage: String, epoch: Int, step: Int, stepsPerEpoch: Int, loss: Double)
    func epochCompleted(_ record: MetricsRecord, isBest: Bool)
    func note(_ message: String)
}

/// Maximum-likelihood training of one flow (Flow I or the teacher) on preprocessed showers.
///
/// Every random draw is a pure function of (seed, stage, purpose, epoch, batch) (`RandomStreams`),
/// so a run interrupted at any step and resumed from its `last` checkpoint reaches the same
/// weights as an uninterrupted one with the same seed and thread count. After each epoch:
/// validation log-likelihood (fixed noise), `<stage>-best.h5` when it improved, `<stage>-last.h5`
/// with the optimizer and training state, one line in metrics.jsonl. SIGINT/SIGTERM saves a
/// `last` checkpoint at the current step and returns; a non-finite loss stops with an error and
/// keeps the last good checkpoints.
public final class FlowTrainer {
    public struct Outcome: Sendable {
        public var epochsCompleted: Int
        public var bestEpoch: Int?
        public var bestValidationLogLikelihood: Double?
        public var interrupted: Bool
        public var earlyStopped: Bool
        public var history: [MetricsRecord]
    }

    public let stage: FlowStage
    public let flow: Flow
    public let info: FlowModelInfo
    public let settings: TrainingSettings
    public let data: TrainingData
    public let run: RunDirectory
    public let seed: UInt64
    public let appVersion: String

    public init(stage: FlowStage, flow: Flow, info: FlowModelInfo, settings: TrainingSettings, data: TrainingData,
                run: RunDirectory, seed: UInt64, appVersion: String) {
        self.stage = stage
        self.flow = flow
        self.info = info
        self.settings = settings
        self.data = data
        self.run = run
        self.seed = seed
        self.appVersion = appVersion
    }

    var stepsPerEpoch: Int { (data.trainIndices.count + settings.batchSize - 1) / settings.batchSize }

    /// Trains from scratch, or from `<stage>-last.h5` when `resume` is true.
    public func train(resume: Bool, observer: TrainingObserver?) throws -> Outcome {
        let adam = try Adam(parameters: flow.parameters, learningRate: settings.learningRate(epoch: 0, step: 0))
        let patience = settings.earlyStoppingPatience > 0 ? settings.earlyStoppingPatience : nil
        var state = TrainingState(schedule: settings.schedule, earlyStopping: EarlyStopping(mode: .max, patience: patience))
        let stepsPerEpoch = self.stepsPerEpoch
        if resume { state = try checkpoints.restore(into: adam, epochs: settings.epochs, stepsPerEpoch: stepsPerEpoch) }
        let validation = validationInputs()
        observer?.trainingStarted(stage: stage.rawValue, epochs: settings.epochs, stepsPerEpoch: stepsPerEpoch,
                                  resumedAtEpoch: state.epoch, resumedAtStep: state.globalStep - state.epoch * stepsPerEpoch)
        var earlyStopped = state.earlyStopping.shouldStop
        epochs: while state.epoch < settings.epochs && !earlyStopped {
            let epoch = state.epoch
            let start = monotonicSeconds()
            var shuffle = Xoshiro256(seed: seed, stream: RandomStreams.training(stage: stage, purpose: RandomStreams.shuffle, epoch: epoch, batch: 0))
            let order = shuffle.permutation(data.trainIndices.count).map { data.trainIndices[$0] }
            var lossSum = 0.0, showers = 0, maxGradientNorm = 0.0
            var trainSeconds = 0.0
            for k in (state.globalStep - epoch * stepsPerEpoch)..<stepsPerEpoch {
                if TrainingSignals.stopRequested {
                    try checkpoints.saveLast(adam: adam, state: state)
                    observer?.note("\(stage.rawValue): \(TrainingSignals.stoppingMessage); saved \(run.checkpointPath(stage: stage.rawValue, .last)) at epoch \(epoch + 1), step \(k + 1)")
                    return outcome(state, interrupted: true, earlyStopped: false)
                }
                let t0 = monotonicSeconds()
                let rows = Array(order[(k * settings.batchSize)..<min(order.count, (k + 1) * settings.batchSize)])
                var noise: Xoshiro256? = settings.noise
                    ? Xoshiro256(seed: seed, stream: RandomStreams.training(stage: stage, purpose: RandomStreams.noise, epoch: epoch, batch: k)) : nil
                let (x, c) = stage.inputs(data, rows, preprocessing: info.preprocessing, noiseRNG: &noise)
                var dropout: Xoshiro256? = Xoshiro256(seed: seed, stream: RandomStreams.training(stage: stage, purpose: RandomStreams.dropout, epoch: epoch, batch: k))
                adam.learningRate = settings.learningRate(epoch: epoch, step: state.globalStep)
                adam.zeroGradients()
                let trace = try flow.forward(x, context: c, dropoutRNG: &dropout)
                let b = Float(rows.count)
                let logp = zip(StandardNormal.logProb(trace.latent), trace.logDet).map { $0 + $1 }
                let loss = -logp.reduce(0, +) / Double(rows.count)
                guard loss.isFinite else {
                    throw PipelineError.nonFiniteLoss(stage: stage.rawValue, epoch: epoch + 1, step: k + 1, value: loss)
                }
                _ = try flow.backward(trace, endGradient: (1 / b) * trace.latent,
                                      logDetGradient: [Float](repeating: -1 / b, count: rows.count))
                let norm = settings.gradientClipNorm > 0 ? clipGradientNorm(flow.parameters, maxNorm: settings.gradientClipNorm)
                                                         : gradientNorm(flow.parameters)
                guard norm.isFinite else {
                    throw PipelineError.nonFiniteLoss(stage: stage.rawValue, epoch: epoch + 1, step: k + 1, value: norm)
                }
                maxGradientNorm = max(maxGradientNorm, norm)
                adam.step()
                state.globalStep += 1
                lossSum += loss * Double(rows.count)
                showers += rows.count
                trainSeconds += monotonicSeconds() - t0
                observer?.stepCompleted(stage: stage.rawValue, epoch: epoch + 1, step: k + 1, stepsPerEpoch: stepsPerEpoch, loss: loss)
            }
            let validationLL = try meanLogLikelihood(validation)
            state.epoch = epoch + 1
            state.scheduleStep = settings.scheduleUnit == .epoch ? state.epoch : state.globalStep
            let record = MetricsRecord(stage: stage.rawValue, epoch: epoch + 1, step: state.globalStep,
                                       trainLoss: showers > 0 ? lossSum / Double(showers) : .nan,
                                       validationLoss: -validationLL, validationLogLikelihood: validationLL,
                                       learningRate: adam.learningRate, seconds: monotonicSeconds() - start,
                                       showersPerSecond: trainSeconds > 0 ? Double(showers) / trainSeconds : 0,
                                       extra: ["max_gradient_norm": maxGradientNorm])
            state.history.append(record)
            let verdict = state.earlyStopping.observe(validationLL, epoch: epoch + 1)
            let isBest = verdict == .improved
            if isBest { try checkpoints.saveBest(state: state) }
            try checkpoints.saveLast(adam: adam, state: state)
            try run.appendMetrics(record)
            observer?.epochCompleted(record, isBest: isBest)
            if state.earlyStopping.shouldStop {
                earlyStopped = true
                observer?.note("\(stage.rawValue): early stopping after epoch \(epoch + 1): no validation improvement for \(settings.earlyStoppingPatience) epochs")
                break epochs
            }
        }
        if state.bestEpoch != nil { try checkpoints.verifyBest() }
        return outcome(state, interrupted: false, earlyStopped: earlyStopped)
    }

    // MARK: - Validation

    /// Validation inputs with one fixed noise realization, so epochs are comparable.
    func validationInputs() -> (x: Matrix, context: Matrix) {
        var noise: Xoshiro256? = settings.noise
            ? Xoshiro256(seed: seed, stream: RandomStreams.training(stage: stage, purpose: RandomStreams.noise, epoch: 0xFF_FFFF, batch: 0)) : nil
        return stage.inputs(data, data.validationIndices, preprocessing: info.preprocessing, noiseRNG: &noise)
    }

    /// Mean log-likelihood per shower (nats) in evaluation mode, in batches.
    func meanLogLikelihood(_ v: (x: Matrix, context: Matrix)) throws -> Double {
        var total = 0.0
        let n = v.x.rows, chunk = 2000
        for lo in stride(from: 0, to: n, by: chunk) {
            let r = lo..<min(n, lo + chunk)
            total += try flow.logProb(v.x.rows(r), context: v.context.rows(r)).reduce(0, +)
        }
        return total / Double(max(1, n))
    }

    // MARK: - Checkpoints

    var checkpoints: StageCheckpoints<TrainingSettings> {
        StageCheckpoints(stage: stage, flow: flow, info: info, settings: settings, run: run, seed: seed, appVersion: appVersion)
    }

    func outcome(_ state: TrainingState, interrupted: Bool, earlyStopped: Bool) -> Outcome {
        Outcome(epochsCompleted: state.epoch, bestEpoch: state.bestEpoch, bestValidationLogLikelihood: state.bestMetric,
                interrupted: interrupted, earlyStopped: earlyStopped, history: state.history)
    }
}
