import CaloFlows
import CaloNN
import CaloTensor

/// How closely the student follows the teacher on held-out showers (evaluation mode).
public struct DistillationAgreement: Codable, Sendable, Equatable {
    /// KL(student ‖ teacher) per shower, estimated from student samples.
    public var kl: Double
    /// Mean per-shower ‖S⁻¹(T(x)) − x‖² on real showers (logit space): the data path.
    public var dataReconstruction: Double
    /// Mean per-shower ‖T(S⁻¹(z)) − z‖² on latent draws: the latent path.
    public var latentReconstruction: Double
    /// Teacher log-likelihood of student samples and of the real showers, per shower.
    public var teacherLogLikelihoodOfStudent: Double
    public var teacherLogLikelihoodOfData: Double

    enum CodingKeys: String, CodingKey {
        case kl
        case dataReconstruction = "data_reconstruction_mse"
        case latentReconstruction = "latent_reconstruction_mse"
        case teacherLogLikelihoodOfStudent = "teacher_log_likelihood_of_student"
        case teacherLogLikelihoodOfData = "teacher_log_likelihood_of_data"
    }
}

/// Distils the IAF student from the frozen teacher (CaloFlow II), keeping the student with the
/// lowest validation KL as `student-best.h5`. Data-parallel and resumable like `FlowTrainer`:
/// each minibatch is cut into gradient shards whose data rows, latent codes, conditions and
/// dropout masks come from the shard's own streams, and the agreement metrics are computed in
/// fixed chunks of the held-out showers. With `emaDecay` > 0 the agreement metrics and the best
/// student use a moving average of the student's weights (`WeightAverage`), as in `FlowTrainer`.
/// With a `deadline` the epochs, schedule and accumulation windows are revised after each epoch
/// to end in time (`StageDeadline`), as in `FlowTrainer`.
public final class DistillationTrainer: @unchecked Sendable {
    public struct Outcome: Sendable {
        public var epochsCompleted: Int
        public var bestEpoch: Int?
        public var bestKL: Double?
        public var interrupted: Bool
        public var history: [MetricsRecord]
        public var agreement: DistillationAgreement?
    }

    public let teacher: Flow
    public let student: Flow
    public let flowI: Flow
    public let flowIInfo: FlowModelInfo
    public let info: FlowModelInfo
    /// The settings in force: with a `deadline` always `deadline.settings` (the configured
    /// settings under its current plan), else those given.
    public private(set) var settings: DistillationSettings
    /// The time limit kept after every epoch, or nil (the epochs are fixed).
    public private(set) var deadline: StageDeadline<DistillationSettings>?
    public let data: TrainingData
    public let run: RunDirectory
    public let seed: UInt64
    public let appVersion: String
    public let parallel: DataParallelSetup
    /// Held-out showers used for the agreement metrics each epoch (at most this many).
    public static let defaultValidationLimit = 1000
    public var validationLimit = DistillationTrainer.defaultValidationLimit

    public init(teacher: Flow, student: Flow, flowI: Flow, flowIInfo: FlowModelInfo, info: FlowModelInfo,
                settings: DistillationSettings, data: TrainingData, run: RunDirectory, seed: UInt64, appVersion: String,
                parallel: DataParallelSetup = DataParallelSetup(), deadline: StageDeadline<DistillationSettings>? = nil) {
        self.teacher = teacher
        self.deadline = deadline
        self.student = student
        self.flowI = flowI
        self.flowIInfo = flowIInfo
        self.info = info
        // a deadline's plan decides the epochs and schedule, so the two cannot disagree
        self.settings = deadline?.settings ?? settings
        self.data = data
        self.run = run
        self.seed = seed
        self.appVersion = appVersion
        self.parallel = parallel
    }

    var checkpoints: StageCheckpoints<DistillationSettings> {
        StageCheckpoints(stage: .student, flow: student, info: info, settings: settings, run: run, seed: seed, appVersion: appVersion)
    }

    /// The division of the training showers and minibatches into the setup's shards.
    public func shardPlan() throws -> ShardPlan {
        try ShardPlan(shards: parallel.shards, batchSize: settings.batchSize, trainingCount: data.trainExamples(.student).count)
    }

    /// The held-out showers of the agreement metrics.
    var validation: ValidationChunks { ValidationChunks(indices: Array(data.validationExamples(.student).prefix(validationLimit))) }

    /// The file rows process `rank` of `size` needs: the training part of its shards and its
    /// chunks of the held-out showers.
    public static func rowsNeeded(_ split: TrainingSplit, batchSize: Int, shards: Int, rank: Int, size: Int,
                                  validationLimit: Int = defaultValidationLimit) throws -> [Range<Int>] {
        let plan = try ShardPlan(shards: shards, batchSize: batchSize, trainingCount: split.trainIndices.count)
        return plan.fileRows(split.trainIndices, rank: rank, of: size)
            + ValidationChunks(indices: Array(split.validationIndices.prefix(validationLimit))).fileRows(rank: rank, of: size)
    }

    func stream(_ purpose: UInt64, _ epoch: Int, _ step: Int, _ shard: Int) -> Xoshiro256 {
        Xoshiro256(seed: seed, stream: RandomStreams.shard(stage: .student, purpose: purpose, epoch: epoch, step: step, shard: shard))
    }

    public func train(resume: Bool, observer: TrainingObserver?) throws -> Outcome {
        let loss = try DistillationLoss(teacher: teacher, student: student, beta: settings.beta, guided: settings.guided)
        let plan = try shardPlan()
        let gradients = try DataParallelGradients(parameters: student.parameters, shards: plan.shards, group: parallel.group,
                                                  threads: parallel.threads)
        let adam = try Adam(parameters: student.parameters, learningRate: settings.learningRate(epoch: 0, step: 0))
        var state = TrainingState(schedule: settings.schedule, earlyStopping: EarlyStopping(mode: .min))
        state.gradientShards = plan.shards
        let average = settings.emaDecay > 0 ? WeightAverage(parameters: student.parameters, decay: settings.emaDecay) : nil
        if resume {
            state = try checkpoints.restore(into: adam, average: average, epochs: settings.epochs, stepsPerEpoch: plan.stepsPerEpoch,
                                            shards: plan.shards, leader: parallel.isLeader)
        } else {
            try checkpoints.startFresh(leader: parallel.isLeader)
        }
        let observer = parallel.isLeader ? observer : nil
        observer?.trainingStarted(stage: "student", epochs: settings.epochs, stepsPerEpoch: plan.stepsPerEpoch,
                                  resumedAtEpoch: state.epoch, resumedAtStep: state.globalStep - state.epoch * plan.stepsPerEpoch)
        return try parallel.withThreadSettings {
            try loop(&state, loss: loss, plan: plan, gradients: gradients, adam: adam, average: average, observer: observer)
        }
    }

    private func loop(_ state: inout TrainingState, loss: DistillationLoss, plan: ShardPlan, gradients: DataParallelGradients,
                      adam: Adam, average: WeightAverage?, observer: TrainingObserver?) throws -> Outcome {
        let stepsPerEpoch = plan.stepsPerEpoch
        let validation = self.validation
        var agreement: DistillationAgreement? = nil
        while state.epoch < settings.epochs {
            let epoch = state.epoch
            let start = monotonicSeconds()
            deadline?.epochStarts()
            var shuffled = [Int: [Int]]()
            let examples = data.trainExamples(.student)
            for s in parallel.localShards {
                shuffled[s] = plan.shuffledPart(s, trainIndices: examples, seed: seed, stage: .student, epoch: epoch)
            }
            let orders = shuffled
            let accumulate = settings.accumulationSteps(epoch: epoch)
            var lossSum = 0.0, klSum = 0.0, batches = 0, showers = 0, trainSeconds = 0.0
            let first = state.globalStep - epoch * stepsPerEpoch
            for k in first..<stepsPerEpoch {
                // Every process asks every step (a collective), stops only at an optimizer step.
                if try parallel.stopRequested() && k % accumulate == 0 {
                    if parallel.isLeader { try checkpoints.saveLast(adam: adam, state: state, average: average) }
                    observer?.note("student: \(TrainingSignals.stoppingMessage); saved \(run.checkpointPath(stage: "student", .last)) at epoch \(epoch + 1), step \(k + 1)")
                    return Outcome(epochsCompleted: state.epoch, bestEpoch: state.bestEpoch, bestKL: state.bestMetric,
                                   interrupted: true, history: state.history, agreement: agreement)
                }
                let t0 = monotonicSeconds()
                let rows = plan.stepRows(k)
                if k % accumulate == 0 || k == first { gradients.zero() }
                let values = try gradients.accumulate(valuesPerShard: 2) { [self] shard, target in
                    try shardStep(loss, plan, orders[shard] ?? [], shard: shard, epoch: epoch, step: k, rows: rows, gradients: target)
                }
                let total = values.reduce(0) { $0 + $1[0] }, kl = values.reduce(0) { $0 + $1[1] }
                guard total.isFinite else {
                    throw PipelineError.nonFiniteLoss(stage: "student", epoch: epoch + 1, step: k + 1, value: total)
                }
                if (k + 1) % accumulate == 0 || k == stepsPerEpoch - 1 {
                    adam.learningRate = settings.learningRate(epoch: epoch, step: state.globalStep)
                    let norm = settings.gradientClipNorm > 0 ? clipGradientNorm(gradients.total, maxNorm: settings.gradientClipNorm)
                                                             : gradientNorm(gradients.total)
                    guard norm.isFinite else {
                        throw PipelineError.nonFiniteLoss(stage: "student", epoch: epoch + 1, step: k + 1, value: norm)
                    }
                    adam.step(gradients: gradients.total)
                    average?.update(from: student.parameters, step: adam.stepCount)
                }
                state.globalStep += 1
                lossSum += total; klSum += kl; batches += 1; showers += rows
                trainSeconds += monotonicSeconds() - t0
                observer?.stepCompleted(stage: "student", epoch: epoch + 1, step: k + 1, stepsPerEpoch: stepsPerEpoch, loss: total)
            }
            // with a moving average, the agreement and the best checkpoint see the averaged weights
            let a = try WeightAverage.withAveragedWeights(average, in: student.parameters) { try measureAgreement(validation) }
            agreement = a
            state.epoch = epoch + 1
            state.scheduleStep = settings.scheduleUnit == .epoch ? state.epoch : state.globalStep
            let record = MetricsRecord(stage: "student", epoch: epoch + 1, step: state.globalStep,
                                       trainLoss: batches > 0 ? lossSum / Double(batches) : .nan, validationLoss: a.kl,
                                       validationLogLikelihood: a.teacherLogLikelihoodOfStudent, learningRate: adam.learningRate,
                                       seconds: monotonicSeconds() - start,
                                       showersPerSecond: trainSeconds > 0 ? Double(showers) / trainSeconds : 0,
                                       extra: ["train_kl": batches > 0 ? klSum / Double(batches) : .nan, "validation_kl": a.kl,
                                               "data_reconstruction_mse": a.dataReconstruction,
                                               "latent_reconstruction_mse": a.latentReconstruction,
                                               "teacher_log_likelihood_of_data": a.teacherLogLikelihoodOfData,
                                               "accumulated_minibatches": Double(accumulate)])
            state.history.append(record)
            try StageDeadline.keep(&deadline, settings: &settings, state: &state, run: run, parallel: parallel, observer: observer)
            let isBest = state.earlyStopping.observe(a.kl, epoch: epoch + 1) == .improved
            if parallel.isLeader && isBest {
                try WeightAverage.withAveragedWeights(average, in: student.parameters) { try checkpoints.saveBest(state: state) }
            }
            if parallel.isLeader {
                try checkpoints.saveLast(adam: adam, state: state, average: average)
                try run.appendMetrics(record)
            }
            observer?.epochCompleted(record, isBest: isBest)
        }
        if state.bestEpoch != nil && parallel.isLeader { try checkpoints.verifyBest() }
        return Outcome(epochsCompleted: state.epoch, bestEpoch: state.bestEpoch, bestKL: state.bestMetric,
                       interrupted: false, history: state.history, agreement: agreement)
    }

    /// The wall time of this stage's work, measured before training (`TrainingBudget`): `steps`
    /// minibatches of epoch 0 after one untimed warm-up (gradients and their norm), one Adam
    /// update of a copy of the weights, one agreement pass and the writing of a `last` checkpoint
    /// to a scratch file; no weight of the student changes. In an MPI job every process uses
    /// rank 0's numbers.
    /// - Parameter clock: seconds from any fixed origin (tests inject one).
    public func measureTiming(steps: Int = 3, clock: () -> Double = monotonicSeconds) throws -> StageTiming {
        let loss = try DistillationLoss(teacher: teacher, student: student, beta: settings.beta, guided: settings.guided)
        let plan = try shardPlan()
        let gradients = try DataParallelGradients(parameters: student.parameters, shards: plan.shards, group: parallel.group,
                                                  threads: parallel.threads)
        var orders = [Int: [Int]]()
        let examples = data.trainExamples(.student)
        for s in parallel.localShards {
            orders[s] = plan.shuffledPart(s, trainIndices: examples, seed: seed, stage: .student, epoch: 0)
        }
        let shuffled = orders
        let validation = self.validation
        // a moving average makes the last checkpoint larger: time its writing too
        let timingAverage = settings.emaDecay > 0 ? WeightAverage(parameters: student.parameters, decay: settings.emaDecay) : nil
        let measured = try parallel.withThreadSettings { () throws -> [Double] in
            try TrainingBudget.measure(steps: steps, parameters: student.parameters, gradients: gradients, clock: clock,
                                       leader: parallel.isLeader, scratch: run.path, emaDecay: settings.emaDecay, step: { [self] k in
                let step = k % plan.stepsPerEpoch, rows = plan.stepRows(step)
                _ = try gradients.accumulate(valuesPerShard: 2) { [self] shard, target in
                    try shardStep(loss, plan, shuffled[shard] ?? [], shard: shard, epoch: 0, step: step, rows: rows, gradients: target)
                }
            }, validate: { [self] in _ = try measureAgreement(validation) },
               save: { [self] adam, path in try checkpoints.write(adam: adam, average: timingAverage, to: path) })
        }
        return try TrainingBudget.shared(measured, group: parallel.group)
    }

    /// One shard of minibatch `step`: its data rows, as many latent codes and new conditions,
    /// each from the shard's streams; adds its share of the loss gradient into `gradients` and
    /// returns its share of the loss and of the KL estimate.
    func shardStep(_ loss: DistillationLoss, _ plan: ShardPlan, _ order: [Int], shard: Int, epoch: Int, step: Int, rows: Int,
                   gradients: GradientBuffer) throws -> [Double] {
        let window = plan.window(shard: shard, step: step)
        guard !window.isEmpty else { return [0, 0] }
        let indices = Array(order[window])
        var noise: Xoshiro256? = stream(RandomStreams.noise, epoch, step, shard)
        let (x, c) = FlowStage.student.inputs(data, indices, preprocessing: info.preprocessing, noiseRNG: &noise)
        var latentRNG = stream(RandomStreams.latent, epoch, step, shard)
        let z = StandardNormal.sample(indices.count, student.features, width: Float(settings.studentWidth), rng: &latentRNG)
        var conditionRNG = stream(RandomStreams.conditions, epoch, step, shard)
        // A layer flow's context holds the previous layer's pattern, which Flow I cannot
        // provide: its latent term is evaluated at the data's own contexts.
        let c2 = data.layerLayout == nil ? try sampleConditions(indices.count, rng: &conditionRNG) : c
        var dropout: Xoshiro256? = stream(RandomStreams.dropout, epoch, step, shard)
        let v = try loss.accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &dropout,
                                             batchRows: rows, gradients: gradients)
        return [v.total, v.kl]
    }

    // MARK: - Conditions

    /// New Flow II contexts for the latent term: E_inc uniform over the training range (CaloGAN,
    /// whose spectrum is uniform), or for other geometries the incident energy of a training
    /// shower drawn at random (dataset 1 has 15 discrete energies from 256 MeV to 4 TeV, which a
    /// uniform draw would miss); layer energies sampled from the trained Flow I (method 5.2 b).
    func sampleConditions(_ n: Int, rng: inout Xoshiro256) throws -> Matrix {
        let lo = data.summary.minimumEnergyGeV, hi = data.summary.maximumEnergyGeV
        let train = data.trainIndices
        let energies = data.geometry.isCaloGAN || train.isEmpty
            ? (0..<n).map { _ in Float(rng.uniform(lo, hi)) }
            : (0..<n).map { _ in data.incidentGeV[train[min(train.count - 1, Int(rng.uniform() * Double(train.count)))]] }
        var c1 = Matrix(rows: n, cols: 1)
        for r in 0..<n { c1[r, 0] = Float(Preprocessing.flowIContext(incidentGeV: Double(energies[r]))) }
        let t = try flowI.sample(context: c1, rng: &rng)
        let layers = flowIInfo.preprocessing.layerEnergies(fromFlowI: t, incidentGeV: energies)
        return info.preprocessing.flowIIContext(incidentGeV: energies, layerEnergiesMeV: layers)
    }

    // MARK: - Agreement

    /// Student–teacher agreement on the held-out showers (evaluation mode, no dropout), from
    /// per-chunk sums added in chunk order over every process.
    func measureAgreement(_ validation: ValidationChunks) throws -> DistillationAgreement {
        let sums = try validation.evaluate(values: 5, setup: parallel) { [self] chunk, rows in
            var noise: Xoshiro256? = Xoshiro256(seed: seed, stream: RandomStreams.validation(stage: .student, purpose: RandomStreams.noise, chunk: chunk))
            let (x, c) = FlowStage.student.inputs(data, rows, preprocessing: info.preprocessing, noiseRNG: &noise)
            var rng = Xoshiro256(seed: seed, stream: RandomStreams.validation(stage: .student, purpose: RandomStreams.latent, chunk: chunk))
            return try agreementSums(x: x, context: c, z: StandardNormal.sample(rows.count, student.features, rng: &rng))
        }
        let n = Double(max(1, validation.indices.count))
        func total(_ j: Int) -> Double { sums.reduce(0) { $0 + $1[j] } / n }
        return DistillationAgreement(kl: total(0), dataReconstruction: total(1), latentReconstruction: total(2),
                                     teacherLogLikelihoodOfStudent: total(3), teacherLogLikelihoodOfData: total(4))
    }

    /// Sums over one chunk of: the KL estimate, the data-path and latent-path squared errors, the
    /// teacher log-likelihood of student samples and of the real showers.
    func agreementSums(x: Matrix, context: Matrix, z: Matrix) throws -> [Double] {
        var none: Xoshiro256? = nil
        // Nothing is backpropagated here: the passes keep no records.
        let tData = try teacher.forward(x, context: context, dropoutRNG: &none, keepPasses: false)
        let back = try student.inverse(tData.latent, context: context, dropoutRNG: &none, keepPasses: false)
        let sSample = try student.inverse(z, context: context, dropoutRNG: &none, keepPasses: false)
        let tSample = try teacher.forward(sSample.data, context: context, dropoutRNG: &none, keepPasses: false)
        let llData = zip(StandardNormal.logProb(tData.latent), tData.logDet).map { $0 + $1 }.reduce(0, +)
        let llStudent = zip(StandardNormal.logProb(tSample.latent), tSample.logDet).map { $0 + $1 }.reduce(0, +)
        return [DistillationLoss.klEstimate(z: z, studentTrace: sSample, teacherTrace: tSample, rows: 1),
                (back.data - x).sumOfSquares(), (tSample.latent - z).sumOfSquares(), llStudent, llData]
    }
}
