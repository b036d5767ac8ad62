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
/// lowest validation KL as `student-best.h5`. Resumable like `FlowTrainer`.
public final class DistillationTrainer {
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
    public let settings: DistillationSettings
    public let data: TrainingData
    public let run: RunDirectory
    public let seed: UInt64
    public let appVersion: String
    /// Held-out showers used for the agreement metrics each epoch (at most this many).
    public var validationLimit = 1000

    public init(teacher: Flow, student: Flow, flowI: Flow, flowIInfo: FlowModelInfo, info: FlowModelInfo,
                settings: DistillationSettings, data: TrainingData, run: RunDirectory, seed: UInt64, appVersion: String) {
        self.teacher = teacher
        self.student = student
        self.flowI = flowI
        self.flowIInfo = flowIInfo
        self.info = info
        self.settings = settings
        self.data = data
        self.run = run
        self.seed = seed
        self.appVersion = appVersion
    }

    var checkpoints: StageCheckpoints<DistillationSettings> {
        StageCheckpoints(stage: .student, flow: student, info: info, settings: settings, run: run, seed: seed, appVersion: appVersion)
    }

    func stream(_ purpose: UInt64, _ epoch: Int, _ batch: Int) -> Xoshiro256 {
        Xoshiro256(seed: seed, stream: RandomStreams.training(stage: .student, purpose: purpose, epoch: epoch, batch: batch))
    }

    public func train(resume: Bool, observer: TrainingObserver?) throws -> Outcome {
        let loss = try DistillationLoss(teacher: teacher, student: student, beta: settings.beta, guided: settings.guided)
        let adam = try Adam(parameters: student.parameters, learningRate: settings.learningRate(epoch: 0, step: 0))
        var state = TrainingState(schedule: settings.schedule, earlyStopping: EarlyStopping(mode: .min))
        let stepsPerEpoch = (data.trainIndices.count + settings.batchSize - 1) / settings.batchSize
        if resume { state = try checkpoints.restore(into: adam, epochs: settings.epochs, stepsPerEpoch: stepsPerEpoch) }
        let validation = validationSet()
        observer?.trainingStarted(stage: "student", epochs: settings.epochs, stepsPerEpoch: stepsPerEpoch,
                                  resumedAtEpoch: state.epoch, resumedAtStep: state.globalStep - state.epoch * stepsPerEpoch)
        var agreement: DistillationAgreement? = nil
        while state.epoch < settings.epochs {
            let epoch = state.epoch
            let start = monotonicSeconds()
            var shuffle = stream(RandomStreams.shuffle, epoch, 0)
            let order = shuffle.permutation(data.trainIndices.count).map { data.trainIndices[$0] }
            let accumulate = settings.accumulationSteps(epoch: epoch)
            var lossSum = 0.0, klSum = 0.0, batches = 0, showers = 0, trainSeconds = 0.0
            let first = state.globalStep - epoch * stepsPerEpoch
            for k in first..<stepsPerEpoch {
                if TrainingSignals.stopRequested && k % accumulate == 0 {
                    try checkpoints.saveLast(adam: adam, state: state)
                    observer?.note("student: \(TrainingSignals.stoppingMessage); saved \(run.checkpointPath(stage: "student", .last)) at epoch \(epoch + 1), step \(k + 1)")
                    return Outcome(epochsCompleted: state.epoch, bestEpoch: state.bestEpoch, bestKL: state.bestMetric,
                                   interrupted: true, history: state.history, agreement: agreement)
                }
                let t0 = monotonicSeconds()
                let rows = Array(order[(k * settings.batchSize)..<min(order.count, (k + 1) * settings.batchSize)])
                var noise: Xoshiro256? = stream(RandomStreams.noise, epoch, k)
                let (x, c) = FlowStage.student.inputs(data, rows, preprocessing: info.preprocessing, noiseRNG: &noise)
                var latentRNG = stream(RandomStreams.latent, epoch, k)
                let z = StandardNormal.sample(rows.count, student.features, width: Float(settings.studentWidth), rng: &latentRNG)
                var conditionRNG = stream(RandomStreams.conditions, epoch, k)
                let c2 = try sampleConditions(rows.count, rng: &conditionRNG)
                var dropout: Xoshiro256? = stream(RandomStreams.dropout, epoch, k)
                if k % accumulate == 0 || k == first { adam.zeroGradients() }
                let v = try loss.accumulateGradients(x: x, context: c, z: z, latentContext: c2, dropoutRNG: &dropout)
                guard v.total.isFinite else {
                    throw PipelineError.nonFiniteLoss(stage: "student", epoch: epoch + 1, step: k + 1, value: v.total)
                }
                if (k + 1) % accumulate == 0 || k == stepsPerEpoch - 1 {
                    adam.learningRate = settings.learningRate(epoch: epoch, step: state.globalStep)
                    let norm = settings.gradientClipNorm > 0 ? clipGradientNorm(student.parameters, maxNorm: settings.gradientClipNorm)
                                                             : gradientNorm(student.parameters)
                    guard norm.isFinite else {
                        throw PipelineError.nonFiniteLoss(stage: "student", epoch: epoch + 1, step: k + 1, value: norm)
                    }
                    adam.step()
                }
                state.globalStep += 1
                lossSum += v.total; klSum += v.kl; batches += 1; showers += rows.count
                trainSeconds += monotonicSeconds() - t0
                observer?.stepCompleted(stage: "student", epoch: epoch + 1, step: k + 1, stepsPerEpoch: stepsPerEpoch, loss: v.total)
            }
            let a = try measureAgreement(validation)
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
            let isBest = state.earlyStopping.observe(a.kl, epoch: epoch + 1) == .improved
            if isBest { try checkpoints.saveBest(state: state) }
            try checkpoints.saveLast(adam: adam, state: state)
            try run.appendMetrics(record)
            observer?.epochCompleted(record, isBest: isBest)
        }
        if state.bestEpoch != nil { try checkpoints.verifyBest() }
        return Outcome(epochsCompleted: state.epoch, bestEpoch: state.bestEpoch, bestKL: state.bestMetric,
                       interrupted: false, history: state.history, agreement: agreement)
    }

    // MARK: - Conditions

    /// New Flow II contexts for the latent term: E_inc uniform over the training range, layer
    /// energies sampled from the trained Flow I (method 5.2 b).
    func sampleConditions(_ n: Int, rng: inout Xoshiro256) throws -> Matrix {
        let lo = data.summary.minimumEnergyGeV, hi = data.summary.maximumEnergyGeV
        let energies = (0..<n).map { _ in Float(rng.uniform(lo, hi)) }
        var c1 = Matrix(rows: n, cols: 1)
        for r in 0..<n { c1[r, 0] = Float(Preprocessing.flowIContext(incidentGeV: Double(energies[r]))) }
        let t = try flowI.sample(context: c1, rng: &rng)
        let layers = flowIInfo.preprocessing.layerEnergies(fromFlowI: t, incidentGeV: energies)
        return info.preprocessing.flowIIContext(incidentGeV: energies, layerEnergiesMeV: layers)
    }

    // MARK: - Agreement

    struct ValidationSet { let x: Matrix; let context: Matrix; let z: Matrix }

    func validationSet() -> ValidationSet {
        let rows = Array(data.validationIndices.prefix(validationLimit))
        var noise: Xoshiro256? = stream(RandomStreams.noise, 0xFF_FFFF, 0)
        let (x, c) = FlowStage.student.inputs(data, rows, preprocessing: info.preprocessing, noiseRNG: &noise)
        var rng = stream(RandomStreams.latent, 0xFF_FFFF, 0)
        return ValidationSet(x: x, context: c, z: StandardNormal.sample(rows.count, student.features, rng: &rng))
    }

    /// Student–teacher agreement on the validation showers (evaluation mode, no dropout).
    func measureAgreement(_ v: ValidationSet) throws -> DistillationAgreement {
        var none: Xoshiro256? = nil
        let n = Double(max(1, v.x.rows))
        // Nothing is backpropagated here: the passes keep no records.
        let tData = try teacher.forward(v.x, context: v.context, dropoutRNG: &none, keepPasses: false)
        let back = try student.inverse(tData.latent, context: v.context, dropoutRNG: &none, keepPasses: false)
        let sSample = try student.inverse(v.z, context: v.context, dropoutRNG: &none, keepPasses: false)
        let tSample = try teacher.forward(sSample.data, context: v.context, dropoutRNG: &none, keepPasses: false)
        let llData = zip(StandardNormal.logProb(tData.latent), tData.logDet).map { $0 + $1 }.reduce(0, +) / n
        let llStudent = zip(StandardNormal.logProb(tSample.latent), tSample.logDet).map { $0 + $1 }.reduce(0, +) / n
        return DistillationAgreement(kl: DistillationLoss.klEstimate(z: v.z, studentTrace: sSample, teacherTrace: tSample),
                                     dataReconstruction: (back.data - v.x).sumOfSquares() / n,
                                     latentReconstruction: (tSample.latent - v.z).sumOfSquares() / n,
                                     teacherLogLikelihoodOfStudent: llStudent, teacherLogLikelihoodOfData: llData)
    }
}
