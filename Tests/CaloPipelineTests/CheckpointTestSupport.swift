import Foundation
import CaloData
import CaloNN
import CaloTensor
import CaloPipeline

/// A small model's parameters: a masked weight (like a MADE layer), a bias and a dense weight.
func sampleParameters(seed: UInt64 = 1) -> [Parameter] {
    var rng = Xoshiro256(seed: seed)
    func random(_ r: Int, _ c: Int) -> Matrix {
        Matrix(rows: r, cols: c, storage: (0..<(r * c)).map { _ in Float(rng.normal()) })
    }
    var mask = Matrix(rows: 7, cols: 5)
    for i in 0..<7 { for j in 0..<5 where (i + j) % 3 != 0 { mask[i, j] = 1 } }
    var w = random(7, 5)
    for k in 0..<w.count { w.storage[k] *= mask.storage[k] }
    return [Parameter(name: "made.0.weight", value: w, mask: mask),
            Parameter(name: "made.0.bias", value: random(1, 5)),
            Parameter(name: "out.weight", value: random(5, 12))]
}

/// Fresh parameters with the same names and shapes (and masks) as `sampleParameters`, zero-valued.
func blankParameters() -> [Parameter] {
    sampleParameters().map { Parameter(name: $0.name, value: Matrix(rows: $0.value.rows, cols: $0.value.cols), mask: $0.mask) }
}

/// Deterministic pseudo-gradients for step `step`.
func setGradients(_ params: [Parameter], step: Int) {
    var rng = Xoshiro256(seed: 99, stream: UInt64(step))
    for p in params { for k in 0..<p.count { p.gradient.storage[k] = Float(rng.normal()) } }
}

/// A complete `last` checkpoint of `sampleParameters` after three Adam steps.
func sampleCheckpoint(kind: String = "teacher") throws -> (Checkpoint, [Parameter], Adam) {
    let params = sampleParameters()
    let adam = try Adam(parameters: params, learningRate: 1e-2)
    for s in 0..<3 { setGradients(params, step: s); adam.step() }
    var c = Checkpoint(kind: kind, appVersion: "0.1.0-test", seed: 1234, parameters: params)
    c.jsonAttributes["model_config"] = #"{"blocks": 2, "hiddenFeatures": 5}"#
    c.integerArrays["permutations/0"] = .init([2, 0, 1])
    c.integerArrays["permutations/1"] = .init([1, 2, 0])
    c.floatArrays["preprocessing/scale"] = .init(shape: [2, 2], values: [1, 2, 3, 4.5])
    c.setOptimizer(adam)
    var es = EarlyStopping(mode: .max, patience: 5, minDelta: 0.1)
    _ = es.observe(-10, epoch: 1)
    _ = es.observe(-12, epoch: 2)
    var data = Xoshiro256(seed: 5), noise = Xoshiro256(seed: 6, stream: 3)
    for _ in 0..<17 { _ = data.next(); _ = noise.next() }
    c.training = TrainingState(epoch: 2, globalStep: 3, scheduleStep: 2,
                               schedule: .multiStep(initialRate: 1e-4, milestones: [5, 15], gamma: 0.5),
                               earlyStopping: es, rngStates: ["data": data, "noise": noise],
                               history: [MetricsRecord(stage: kind, epoch: 1, step: 2, trainLoss: 3.25, validationLogLikelihood: -10,
                                                       learningRate: 1e-4, seconds: 1.5, showersPerSecond: 1000.0 / 3),
                                         MetricsRecord(stage: kind, epoch: 2, step: 3, trainLoss: 3.0000001, validationLoss: 0.1,
                                                       validationLogLikelihood: -12, learningRate: 1e-4, seconds: 1.25,
                                                       showersPerSecond: 812.5, extra: ["max_gradient_norm": 7.5])])
    return (c, params, adam)
}

/// Bit patterns of a matrix, for exact comparisons (NaN-safe, distinguishes -0).
func bits(_ m: Matrix) -> [UInt32] { m.storage.map(\.bitPattern) }
