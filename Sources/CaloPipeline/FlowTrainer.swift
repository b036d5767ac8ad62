import CaloFlows
import CaloNN
import CaloTensor

/// Receives progress from a training loop (the command layer turns it into progress lines and logs).
public protocol TrainingObserver: AnyObject {
    func trainingStarted(stage: String, epochs: Int, stepsPerEpoch: Int, resumedAtEpoch: Int, resumedAtStep: Int)
    func stepCompleted(stage: String, epoch: Int, step: Int, stepsPerEpoch: Int, loss: Double)
    func epochCompleted(_ record: MetricsRecord, isBest: Bool)
    func note(_ message: String)
    /// The stage's time-limit plan was revised after an epoch (`StageDeadline`): it now runs
    /// `plan.plannedEpochs` epochs instead of `previousEpochs`.
    func planRevised(_ plan: SchedulePlan, previousEpochs: Int)
}

extension TrainingObserver {
    public func planRevised(_ plan: SchedulePlan, previousEpochs: Int) {
        note("\(plan.stage): time limit plan revised after epoch \(plan.replannedAfterEpoch ?? 0): \(previousEpochs) -> \(plan.plannedEpochs) epochs")
    }
}

/// Maximum-likelihood training of one flow (Flow I or the teacher) on preprocessed showers.
///
/// Each step's batch is cut into the setup's gradient shards (`ShardPlan`), computed by the
/// worker threads of this process and, in an MPI job, of the other processes, and summed in
/// shard order (`DataParallelGradients`) before one Adam step. Every random draw is a pure
/// function of (seed, stage, purpose, epoch, step, shard), so the weights depend on the seed and
/// the shard count only: not on the number of workers or processes, and not on where a run was
/// interrupted and resumed from its `last` checkpoint. After each epoch: validation
/// log-likelihood (fixed noise, in fixed chunks: `ValidationChunks`), `<stage>-best.h5` when it
/// improved, `<stage>-last.h5` with the optimizer and training state, one line in
/// metrics.jsonl (rank 0 alone writes). SIGINT/SIGTERM on any process stops every process at
/// the same step boundary, saves a `last` checkpoint and returns; a non-finite loss stops with an
/// error and keeps the last good checkpoints. With `emaDecay` > 0 the loop keeps a moving
/// average of the weights (`WeightAverage`), updated after every optimizer step and saved in the
/// `last` checkpoint: validation and the `best` checkpoint use the average, training the raw weights.
/// With a `deadline` (a time limit) the epochs and schedule are revised after each epoch to end
/// in time (`StageDeadline`): `settings` then changes, and the checkpoints and run.json carry it.
public final class FlowTrainer: @unchecked Sendable {
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
    /// The settings in force: with a `deadline` always `deadline.settings` (the configured
    /// settings under its current plan), else those given.
    public private(set) var settings: TrainingSettings
    /// The time limit kept after every epoch, or nil (the epochs are fixed).
    public private(set) var deadline: StageDeadline<TrainingSettings>?
    public let data: TrainingData
    public let run: RunDirectory
    public let seed: UInt64
    public let appVersion: String
    public let parallel: DataParallelSetup

    public init(stage: FlowStage, flow: Flow, info: FlowModelInfo, settings: TrainingSettings, data: TrainingData,
                run: RunDirectory, seed: UInt64, appVersion: String, parallel: DataParallelSetup = DataParallelSetup(),
                deadline: StageDeadline<TrainingSettings>? = nil) {
        self.stage = stage
        self.flow = flow
        self.info = info
        // a deadline's plan decides the epochs and schedule, so the two cannot disagree
        self.settings = deadline?.settings ?? settings
        self.deadline = deadline
        self.data = data
        self.run = run
        self.seed = seed
        self.appVersion = appVersion
        self.parallel = parallel
    }

    /// The division of the training showers and batches into the setup's shards.
    public func shardPlan() throws -> ShardPlan {
        try ShardPlan(shards: parallel.shards, batchSize: settings.batchSize, trainingCount: data.trainExamples(stage).count)
    }

    /// The file rows process `rank` of `size` needs for a stage trained with `settings` and
    /// `shards` shards: the training part of its shards and its validation chunks.
    public static func rowsNeeded(_ split: TrainingSplit, batchSize: Int, shards: Int, rank: Int, size: Int) throws -> [Range<Int>] {
        let plan = try ShardPlan(shards: shards, batchSize: batchSize, trainingCount: split.trainIndices.count)
        return plan.fileRows(split.trainIndices, rank: rank, of: size)
            + ValidationChunks(indices: split.validationIndices).fileRows(rank: rank, of: size)
    }

    /// Trains from scratch, or from `<stage>-last.h5` when `resume` is true.
    public func train(resume: Bool, observer: TrainingObserver?) throws -> Outcome {
        let plan = try shardPlan()
        let gradients = try DataParallelGradients(parameters: flow.parameters, shards: plan.shards, group: parallel.group,
                                                  threads: parallel.threads)
        let adam = try Adam(parameters: flow.parameters, learningRate: settings.learningRate(epoch: 0, step: 0))
        let patience = settings.earlyStoppingPatience > 0 ? settings.earlyStoppingPatience : nil
        var state = TrainingState(schedule: settings.schedule, earlyStopping: EarlyStopping(mode: .max, patience: patience))
        state.gradientShards = plan.shards
        let stepsPerEpoch = plan.stepsPerEpoch
        let average = settings.emaDecay > 0 ? WeightAverage(parameters: flow.parameters, decay: settings.emaDecay) : nil
        if resume {
            state = try checkpoints.restore(into: adam, average: average, epochs: settings.epochs, stepsPerEpoch: stepsPerEpoch,
                                            shards: plan.shards, leader: parallel.isLeader)
        } else {
            try checkpoints.startFresh(leader: parallel.isLeader)
        }
        let observer = parallel.isLeader ? observer : nil
        let validation = ValidationChunks(indices: data.validationExamples(stage))
        observer?.trainingStarted(stage: stage.rawValue, epochs: settings.epochs, stepsPerEpoch: stepsPerEpoch,
                                  resumedAtEpoch: state.epoch, resumedAtStep: state.globalStep - state.epoch * stepsPerEpoch)
        return try parallel.withThreadSettings {
            try loop(&state, plan: plan, gradients: gradients, adam: adam, average: average, validation: validation, observer: observer)
        }
    }

    private func loop(_ state: inout TrainingState, plan: ShardPlan, gradients: DataParallelGradients, adam: Adam,
                      average: WeightAverage?, validation: ValidationChunks, observer: TrainingObserver?) throws -> Outcome {
        let stepsPerEpoch = plan.stepsPerEpoch
        var earlyStopped = state.earlyStopping.shouldStop
        epochs: while state.epoch < settings.epochs && !earlyStopped {
            let epoch = state.epoch
            let start = monotonicSeconds()
            deadline?.epochStarts()
            let orders = localOrders(plan, epoch: epoch)
            var lossSum = 0.0, showers = 0, maxGradientNorm = 0.0
            var trainSeconds = 0.0
            for k in (state.globalStep - epoch * stepsPerEpoch)..<stepsPerEpoch {
                if try parallel.stopRequested() {
                    if parallel.isLeader { try checkpoints.saveLast(adam: adam, state: state, average: average) }
                    observer?.note("\(stage.rawValue): \(TrainingSignals.stoppingMessage); saved \(run.checkpointPath(stage: stage.rawValue, .last)) at epoch \(epoch + 1), step \(k + 1)")
                    return outcome(state, interrupted: true, earlyStopped: false)
                }
                let t0 = monotonicSeconds()
                let rows = plan.stepRows(k)
                adam.learningRate = settings.learningRate(epoch: epoch, step: state.globalStep)
                gradients.zero()
                let shardLosses = try gradients.accumulate(valuesPerShard: 1) { [self] shard, target in
                    [try shardStep(plan, orders[shard] ?? [], shard: shard, epoch: epoch, step: k, rows: rows, gradients: target)]
                }
                let loss = shardLosses.reduce(0) { $0 + $1[0] } / Double(max(1, rows))
                guard loss.isFinite else {
                    throw PipelineError.nonFiniteLoss(stage: stage.rawValue, epoch: epoch + 1, step: k + 1, value: loss)
                }
                let norm = settings.gradientClipNorm > 0 ? clipGradientNorm(gradients.total, maxNorm: settings.gradientClipNorm)
                                                         : gradientNorm(gradients.total)
                guard norm.isFinite else {
                    throw PipelineError.nonFiniteLoss(stage: stage.rawValue, epoch: epoch + 1, step: k + 1, value: norm)
                }
                maxGradientNorm = max(maxGradientNorm, norm)
                adam.step(gradients: gradients.total)
                state.globalStep += 1
                average?.update(from: flow.parameters, step: adam.stepCount)
                lossSum += loss * Double(rows)
                showers += rows
                trainSeconds += monotonicSeconds() - t0
                observer?.stepCompleted(stage: stage.rawValue, epoch: epoch + 1, step: k + 1, stepsPerEpoch: stepsPerEpoch, loss: loss)
            }
            // with a moving average, validation and the best checkpoint see the averaged weights
            let validationLL = try WeightAverage.withAveragedWeights(average, in: flow.parameters) { try meanLogLikelihood(validation) }
            state.epoch = epoch + 1
            state.scheduleStep = settings.scheduleUnit == .epoch ? state.epoch : state.globalStep
            let record = MetricsRecord(stage: stage.rawValue, epoch: epoch + 1, step: state.globalStep,
                                       trainLoss: showers > 0 ? lossSum / Double(showers) : .nan,
                                       validationLoss: -validationLL, validationLogLikelihood: validationLL,
                                       learningRate: adam.learningRate, seconds: monotonicSeconds() - start,
                                       showersPerSecond: trainSeconds > 0 ? Double(showers) / trainSeconds : 0,
                                       extra: ["max_gradient_norm": maxGradientNorm])
            state.history.append(record)
            try StageDeadline.keep(&deadline, settings: &settings, state: &state, run: run, parallel: parallel, observer: observer)
            let verdict = state.earlyStopping.observe(validationLL, epoch: epoch + 1)
            let isBest = verdict == .improved
            if parallel.isLeader && isBest {
                try WeightAverage.withAveragedWeights(average, in: flow.parameters) { try checkpoints.saveBest(state: state) }
            }
            if parallel.isLeader {
                try checkpoints.saveLast(adam: adam, state: state, average: average)
                try run.appendMetrics(record)
            }
            observer?.epochCompleted(record, isBest: isBest)
            if state.earlyStopping.shouldStop {
                earlyStopped = true
                observer?.note("\(stage.rawValue): early stopping after epoch \(epoch + 1): no validation improvement for \(settings.earlyStoppingPatience) epochs")
                break epochs
            }
        }
        if state.bestEpoch != nil && parallel.isLeader { try checkpoints.verifyBest() }
        return outcome(state, interrupted: false, earlyStopped: earlyStopped)
    }

    /// The wall time of this stage's work, measured before training (`TrainingBudget`): `steps`
    /// training steps of epoch 0 after one untimed warm-up step (gradients and their norm), one
    /// Adam update of a copy of the weights, one validation pass and the writing of a `last`
    /// checkpoint to a scratch file; no weight of the flow changes. In an MPI job every process
    /// uses rank 0's numbers, so all plan alike.
    /// - Parameter clock: seconds from any fixed origin (tests inject one).
    public func measureTiming(steps: Int = 3, clock: () -> Double = monotonicSeconds) throws -> StageTiming {
        let plan = try shardPlan()
        let gradients = try DataParallelGradients(parameters: flow.parameters, shards: plan.shards, group: parallel.group,
                                                  threads: parallel.threads)
        let orders = localOrders(plan, epoch: 0)
        let validation = ValidationChunks(indices: data.validationExamples(stage))
        // a moving average makes the last checkpoint larger: time its writing too
        let timingAverage = settings.emaDecay > 0 ? WeightAverage(parameters: flow.parameters, decay: settings.emaDecay) : nil
        let measured = try parallel.withThreadSettings { () throws -> [Double] in
            try TrainingBudget.measure(steps: steps, parameters: flow.parameters, gradients: gradients, clock: clock,
                                       leader: parallel.isLeader, scratch: run.path, emaDecay: settings.emaDecay, step: { [self] k in
                let step = k % plan.stepsPerEpoch, rows = plan.stepRows(step)
                _ = try gradients.accumulate(valuesPerShard: 1) { [self] shard, target in
                    [try shardStep(plan, orders[shard] ?? [], shard: shard, epoch: 0, step: step, rows: rows, gradients: target)]
                }
            }, validate: { [self] in _ = try meanLogLikelihood(validation) },
               save: { [self] adam, path in try checkpoints.write(adam: adam, average: timingAverage, to: path) })
        }
        return try TrainingBudget.shared(measured, group: parallel.group)
    }

    /// This epoch's shuffled part of each local shard (file rows).
    func localOrders(_ plan: ShardPlan, epoch: Int) -> [Int: [Int]] {
        var orders = [Int: [Int]]()
        let examples = data.trainExamples(stage)
        for s in parallel.localShards {
            orders[s] = plan.shuffledPart(s, trainIndices: examples, seed: seed, stage: stage, epoch: epoch)
        }
        return orders
    }

    /// One shard of step `step`: adds the gradient of −Σ log p / `rows` over the shard's showers
    /// into `gradients` and returns −Σ log p (Double, in row order).
    func shardStep(_ plan: ShardPlan, _ order: [Int], shard: Int, epoch: Int, step: Int, rows: Int,
                   gradients: GradientBuffer) throws -> Double {
        let window = plan.window(shard: shard, step: step)
        guard !window.isEmpty else { return 0 }
        let indices = Array(order[window])
        func stream(_ purpose: UInt64) -> Xoshiro256 {
            Xoshiro256(seed: seed, stream: RandomStreams.shard(stage: stage, purpose: purpose, epoch: epoch, step: step, shard: shard))
        }
        var noise: Xoshiro256? = settings.noise ? stream(RandomStreams.noise) : nil
        let (x, c) = stage.inputs(data, indices, preprocessing: info.preprocessing, noiseRNG: &noise)
        var dropout: Xoshiro256? = stream(RandomStreams.dropout)
        let trace = try flow.forward(x, context: c, dropoutRNG: &dropout)
        let logp = zip(StandardNormal.logProb(trace.latent), trace.logDet).map { $0 + $1 }
        let b = Float(rows)
        _ = try flow.backward(trace, endGradient: (1 / b) * trace.latent,
                              logDetGradient: [Float](repeating: -1 / b, count: indices.count), gradients: gradients)
        return -logp.reduce(0, +)
    }

    // MARK: - Validation

    /// Mean log-likelihood per held-out shower (nats) in evaluation mode: chunk sums (one
    /// noise stream per chunk) added in chunk order, over every process.
    func meanLogLikelihood(_ validation: ValidationChunks) throws -> Double {
        let sums = try validation.evaluate(values: 1, setup: parallel) { [self] chunk, rows in
            var noise: Xoshiro256? = settings.noise
                ? Xoshiro256(seed: seed, stream: RandomStreams.validation(stage: stage, purpose: RandomStreams.noise, chunk: chunk)) : nil
            let (x, c) = stage.inputs(data, rows, preprocessing: info.preprocessing, noiseRNG: &noise)
            return [try flow.logProb(x, context: c).reduce(0, +)]
        }
        return sums.reduce(0) { $0 + $1[0] } / Double(max(1, validation.indices.count))
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
