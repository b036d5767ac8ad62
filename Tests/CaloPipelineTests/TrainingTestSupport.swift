import Foundation
import Glibc
import CaloData
import CaloFlows
import CaloTensor
import CaloPipeline
import Testing

// MARK: - Synthetic showers

/// CaloGAN-like showers without the simulator (this test target cannot import CaloSimulation):
/// E_inc uniform in 1-100 GeV, 90-99% deposited, layer fractions around 20/75/5% with
/// event-to-event spread, voxels a fixed peaked profile per layer times log-normal
/// fluctuations, about a third of them exactly zero.
func syntheticShowers(_ n: Int, seed: UInt64) -> ShowerBatch {
    var rng = Xoshiro256(seed: seed, stream: 99)
    var b = ShowerBatch(count: n)
    for r in 0..<n {
        let einc = rng.uniform(1, 100)
        b.incidentEnergy[r] = Float(einc)
        let deposited = einc * 1e3 * rng.uniform(0.9, 0.99)
        let f0 = min(0.6, max(0.02, 0.2 + 0.05 * rng.normal()))
        let f2 = min(0.2, max(0.001, 0.05 + 0.02 * rng.normal()))
        let fractions = [f0, 1 - f0 - f2, f2]
        for l in 0..<CaloGANGeometry.layerCount {
            let range = CaloGANGeometry.layerRange(l)
            let centre = Double(range.lowerBound + range.upperBound) / 2
            var weights = [Double](repeating: 0, count: range.count)
            for (k, j) in range.enumerated() where rng.uniform() > 0.33 {
                let d = (Double(j) - centre) / Double(range.count) * 8
                weights[k] = exp(-d * d / 2 + 0.5 * rng.normal())
            }
            let sum = weights.reduce(0, +)
            guard sum > 0 else { continue }
            for (k, j) in range.enumerated() { b.voxels[r, j] = Float(deposited * fractions[l] * weights[k] / sum) }
        }
    }
    return b
}

/// Training data over synthetic showers, split with `seed`.
func syntheticData(_ n: Int, seed: UInt64 = 7) throws -> TrainingData {
    try TrainingData(batch: syntheticShowers(n, seed: seed), file: "synthetic", particle: "eplus",
                     validationFraction: 0.2, seed: seed)
}

// MARK: - Configs from JSON (exercises the strict decoders like a config file does)

func decodeJSON<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(json.utf8))
}

func architecture(blocks: Int, hidden: Int, dropout: Double = 0) throws -> FlowArchitecture {
    try decodeJSON(FlowArchitecture.self, #"{"blocks": \#(blocks), "hiddenFeatures": \#(hidden), "hiddenLayers": 2, "dropout": \#(dropout)}"#)
}

/// Training settings with `schedule` given as JSON (e.g. `{"kind": "constant", "rate": 1e-3}`).
func settings(epochs: Int, batchSize: Int, schedule: String = #"{"kind": "constant", "rate": 1e-3}"#) throws -> TrainingSettings {
    try decodeJSON(TrainingSettings.self, #"{"epochs": \#(epochs), "batchSize": \#(batchSize), "schedule": \#(schedule)}"#)
}

// MARK: - Building trainers

/// A freshly initialised flow for `stage` of `geometry` (the same weights for the same seed, as the command builds it).
func freshFlow(_ stage: FlowStage, _ a: FlowArchitecture, seed: UInt64, geometry: CalorimeterGeometry = .calogan) throws -> Flow {
    var rng = Xoshiro256(seed: seed, stream: RandomStreams.initialization)
    return stage == .flow1 ? try CaloFlowModels.flowI(a, geometry: geometry, rng: &rng)
                           : try CaloFlowModels.flowII(kind: .maf, a, geometry: geometry, name: stage.rawValue, rng: &rng)
}

/// A trainer for `stage` of `data`'s geometry writing into `run`, with a new flow initialised from `seed`.
func makeTrainer(_ stage: FlowStage, _ a: FlowArchitecture, _ s: TrainingSettings, data: TrainingData,
                 run: RunDirectory, seed: UInt64 = 11, parallel: DataParallelSetup = DataParallelSetup()) throws -> FlowTrainer {
    let info = FlowModelInfo(stage: stage, kind: .maf, architecture: a, preprocessing: Preprocessing(), trainingData: data.summary,
                             geometry: data.geometry)
    return FlowTrainer(stage: stage, flow: try freshFlow(stage, a, seed: seed, geometry: data.geometry), info: info, settings: s,
                       data: data, run: run, seed: seed, appVersion: "test", parallel: parallel)
}

/// The parameters whose values differ in any bit, with the number of differing entries and the
/// largest difference (empty when the flows are bit-identical). Short enough for a failure message.
///
/// One exception: a weight that MADE's mask forces to zero may be +0 in one flow and -0 in the
/// other (masking a negative initial weight gives -0, loading a checkpoint gives +0); the sign of
/// a masked zero never reaches an output. Every other entry must match bit for bit.
func bitDifferences(_ a: Flow, _ b: Flow) -> [String] {
    let pb = Dictionary(uniqueKeysWithValues: b.parameters.map { ($0.name, $0.value.storage) })
    var out: [String] = []
    for p in a.parameters {
        guard let other = pb[p.name], other.count == p.value.storage.count else { out.append("\(p.name): missing or reshaped"); continue }
        let mask = p.mask?.storage
        let pairs = (0..<other.count).filter { i in
            let x = p.value.storage[i], y = other[i]
            if x.bitPattern == y.bitPattern { return false }
            return !(x == 0 && y == 0 && mask?[i] == 0)  // only a masked zero may differ in sign
        }.map { (p.value.storage[$0], other[$0]) }
        if !pairs.isEmpty {
            let worst = pairs.map { abs(Double($0) - Double($1)) }.max() ?? 0
            out.append("\(p.name): \(pairs.count) of \(other.count) differ (max |diff| \(worst))")
        }
    }
    if a.parameters.count != b.parameters.count { out.append("parameter counts \(a.parameters.count) vs \(b.parameters.count)") }
    return out
}

// MARK: - Observers

/// Requests a stop (as SIGTERM would) after global step `stopAfter` (1-based count of steps this
/// observer has seen), and records what it was told.
final class StopAfterStep: TrainingObserver {
    let stopAfter: Int?
    private(set) var steps = 0
    private(set) var started: (epoch: Int, step: Int)?
    private(set) var notes: [String] = []
    private(set) var losses: [Double] = []

    init(stopAfter: Int?) { self.stopAfter = stopAfter }

    func trainingStarted(stage: String, epochs: Int, stepsPerEpoch: Int, resumedAtEpoch: Int, resumedAtStep: Int) {
        started = (resumedAtEpoch, resumedAtStep)
    }

    func stepCompleted(stage: String, epoch: Int, step: Int, stepsPerEpoch: Int, loss: Double) {
        steps += 1
        losses.append(loss)
        if steps == stopAfter { TrainingSignals.requestStop() }
    }

    func epochCompleted(_ record: MetricsRecord, isBest: Bool) {}
    func note(_ message: String) { notes.append(message) }
}

// MARK: - A tiny trained pipeline of any geometry

/// The flows of a tiny CaloFlow (or layer-flow) run trained in memory.
struct TinyPipeline {
    let flowI: Flow, flowIInfo: FlowModelInfo
    let teacher: Flow, teacherInfo: FlowModelInfo
    let student: Flow, studentInfo: FlowModelInfo
}

/// Trains Flow I and the teacher for one epoch each on `data` (flows of 2 blocks, hidden 8,
/// seed 11, into `run`), checks each epoch's validation log-likelihood is finite, then distils
/// the student for one epoch with `validationLimit` held-out examples and checks its KL is finite:
/// what `train-teacher` and `distill` build, for `data`'s geometry.
func trainTinyPipeline(_ data: TrainingData, run: RunDirectory, batchSize: Int, validationLimit: Int,
                       teacherStepsPerEpoch: Int? = nil) throws -> TinyPipeline {
    let g = data.geometry
    let a = try architecture(blocks: 2, hidden: 8)
    let s = try settings(epochs: 1, batchSize: batchSize)
    var trained = [FlowStage: (Flow, FlowModelInfo)]()
    for stage in [FlowStage.flow1, .teacher] {
        var rng = Xoshiro256(seed: 11, stream: RandomStreams.initialization)
        let flow = stage == .flow1 ? try CaloFlowModels.flowI(a, geometry: g, rng: &rng)
                                   : try CaloFlowModels.flowII(kind: .maf, a, geometry: g, name: "teacher", rng: &rng)
        let info = FlowModelInfo(stage: stage, kind: .maf, architecture: a, preprocessing: Preprocessing(),
                                 trainingData: data.summary, geometry: g)
        let trainer = FlowTrainer(stage: stage, flow: flow, info: info, settings: s, data: data, run: run, seed: 11, appVersion: "test")
        if stage == .teacher, let steps = teacherStepsPerEpoch { #expect(try trainer.shardPlan().stepsPerEpoch == steps) }
        let outcome = try trainer.train(resume: false, observer: nil)
        #expect(outcome.epochsCompleted == 1 && outcome.bestValidationLogLikelihood?.isFinite == true)
        trained[stage] = (flow, info)
    }
    let (flowI, flowIInfo) = trained[.flow1]!, (teacher, teacherInfo) = trained[.teacher]!
    var rng = Xoshiro256(seed: 11, stream: RandomStreams.initialization &+ 16)
    let student = try CaloFlowModels.flowII(kind: .iaf, a, geometry: g, name: "student", permutations: teacher.permutations, rng: &rng)
    let info = FlowModelInfo(stage: .student, kind: .iaf, architecture: a, preprocessing: Preprocessing(),
                             trainingData: data.summary, geometry: g)
    let distiller = DistillationTrainer(teacher: teacher, student: student, flowI: flowI, flowIInfo: flowIInfo, info: info,
                                        settings: DistillationSettings(epochs: 1, batchSize: batchSize, schedule: .constant(rate: 1e-3)),
                                        data: data, run: run, seed: 11, appVersion: "test")
    distiller.validationLimit = validationLimit
    let outcome = try distiller.train(resume: false, observer: nil)
    #expect(outcome.epochsCompleted == 1 && outcome.agreement?.kl.isFinite == true)
    return TinyPipeline(flowI: flowI, flowIInfo: flowIInfo, teacher: teacher, teacherInfo: teacherInfo, student: student, studentInfo: info)
}
