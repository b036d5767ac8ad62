import CaloEvaluation
import CaloFlows
import CaloNN
import CaloPipeline
import CaloTensor

/// One optimizer step of the trainers as `caloflow train-teacher` and `distill` run it, in the two
/// ways a process can use its cores: *threaded products* (one shard, OpenBLAS splitting every
/// product over all threads: the training of before) and *workers* (one gradient shard per
/// thread, each with one BLAS thread, the shard gradients summed in order:
/// `DataParallelGradients`). With a process group (the bench run by mpirun) the workers rows run
/// across the processes, each computing its shards and taking part in the ordered sum.
///
/// The evaluation classifier's step (`ClassifierStep`: CaloFlow's 3 x 512 DNN on the 508 inputs
/// of DNN-low, batch 1000) is timed the same two ways.
///
/// Random weights and random inputs: the speed does not depend on their values. A step includes
/// the gradient norm and the Adam update, as in training; distillation's conditions (sampled
/// from Flow I, a small network) are random here.
public enum TrainingStepBenchmark {
    public struct Options: Sendable {
        /// Rows of the teacher step (the paper's batch is 1000; the demo's 200).
        public var teacherBatch = 1000
        /// Rows of the distillation step (the demo's 200).
        public var distillBatch = 200
        /// MADE width of the distilled teacher and student (the demo's 128; the paper's 378 and 504).
        public var distillTeacherHidden = 128
        public var distillStudentHidden = 128
        /// The classifier step: rows, inputs and hidden widths (`caloflow evaluate`'s defaults).
        public var classifierBatch = 1000
        public var classifierInputs = 508
        public var classifierHidden = [512, 512, 512]
        public var teacherHidden = FlowArchitecture.paperTeacher.hiddenFeatures
        public var blocks = FlowArchitecture.paperTeacher.blocks
        public var features = CaloFlowModels.flowIIFeatures
        public var contextFeatures = CaloFlowModels.flowIIContext
        /// Threads of this process.
        public var threads = 2
        public var repeats = 3
        public var seed: UInt64 = 1234
        /// Measurements to run (keys of `keys`); nil for all.
        public var only: Set<String>?
        /// The other processes (mpirun): then only the workers rows run, across all of them.
        public var group: ProcessGroup?

        public init() {}

        public static let keys = ["teacher_train_threaded", "teacher_train_workers", "distill_threaded", "distill_workers",
                                  "classifier_threaded", "classifier_workers"]
    }

    public struct Report: Sendable {
        public var teacherThreaded: FlowBenchmark.Measurement
        public var teacherWorkers: FlowBenchmark.Measurement
        public var distillThreaded: FlowBenchmark.Measurement
        public var distillWorkers: FlowBenchmark.Measurement
        public var classifierThreaded: FlowBenchmark.Measurement
        public var classifierWorkers: FlowBenchmark.Measurement
        /// Processes and threads per process of the workers rows.
        public var processes: Int
        public var threads: Int
        /// Floats that travel per step between processes (the live, unmasked gradient entries)
        /// against all entries, for the paper teacher and the distilled student of the run.
        public var teacherLiveFloats: Int
        public var teacherParameters: Int
        public var studentLiveFloats: Int
        public var studentParameters: Int

        public var measurements: [FlowBenchmark.Measurement] {
            [teacherThreaded, teacherWorkers, distillThreaded, distillWorkers, classifierThreaded, classifierWorkers]
        }
    }

    public static func run(_ o: Options, progress: (String) -> Void = { _ in }) throws -> Report {
        let size = o.group?.size ?? 1
        var only = o.only ?? Set(Options.keys)
        if size > 1 { only.subtract(["teacher_train_threaded", "distill_threaded", "classifier_threaded", "classifier_workers"]) }
        var rng = Xoshiro256(seed: o.seed, stream: 21)
        let teacher = try FlowBenchmark.paperFlow(kind: .maf, features: o.features, contextFeatures: o.contextFeatures,
                                                  blocks: o.blocks, hidden: o.teacherHidden, rng: &rng)
        let x = Matrix.randomNormal(o.teacherBatch, o.features, rng: &rng)
        let c = Matrix.randomNormal(o.teacherBatch, o.contextFeatures, rng: &rng)
        let teacherFlops = 2 * 3 * FlowBenchmark.usefulMACsPerRow(teacher) * Double(o.teacherBatch)
        let threaded = DataParallelSetup(shards: 1, threads: o.threads)
        let workers = DataParallelSetup(shards: o.threads * size, threads: o.threads, group: o.group)

        progress("teacher training step, threaded products")
        let tThreaded = try measure(teacherStep(teacher, x, c, threaded), setup: threaded, key: "teacher_train_threaded",
                                    label: "teacher training step, threaded products (1 shard)", showers: o.teacherBatch,
                                    flops: teacherFlops, o, only)
        progress("teacher training step, workers")
        let tWorkers = try measure(teacherStep(teacher, x, c, workers), setup: workers, key: "teacher_train_workers",
                                   label: label("teacher training step", workers), showers: o.teacherBatch, flops: teacherFlops, o, only)

        var dt = FlowArchitecture.paperTeacher, ds = FlowArchitecture.paperStudent
        dt.hiddenFeatures = o.distillTeacherHidden; ds.hiddenFeatures = o.distillStudentHidden
        dt.blocks = o.blocks; ds.blocks = o.blocks
        let smallTeacher = try FlowBenchmark.paperFlow(kind: .maf, features: o.features, contextFeatures: o.contextFeatures,
                                                       blocks: o.blocks, hidden: dt.hiddenFeatures, rng: &rng)
        let student = try FlowBenchmark.paperFlow(kind: .iaf, features: o.features, contextFeatures: o.contextFeatures,
                                                  blocks: o.blocks, hidden: ds.hiddenFeatures,
                                                  permutations: smallTeacher.permutations, rng: &rng)
        let b = o.distillBatch
        let inputs = DistillInputs(x: Matrix.randomNormal(b, o.features, rng: &rng), c: Matrix.randomNormal(b, o.contextFeatures, rng: &rng),
                                   z: Matrix.randomNormal(b, o.features, rng: &rng), c2: Matrix.randomNormal(b, o.contextFeatures, rng: &rng))
        let loss = try DistillationLoss(teacher: smallTeacher, student: student, beta: 0.5, guided: true)
        let distillFlops = 2 * 2 * (3 * FlowBenchmark.usefulMACsPerRow(student) + 2 * FlowBenchmark.usefulMACsPerRow(smallTeacher)) * Double(b)
        progress("distillation step, threaded products")
        let dThreaded = try measure(distillStep(loss, inputs, threaded), setup: threaded, key: "distill_threaded",
                                    label: "distillation step (\(ds.hiddenFeatures) wide), threaded products (1 shard)", showers: b,
                                    flops: distillFlops, o, only)
        progress("distillation step, workers")
        let dWorkers = try measure(distillStep(loss, inputs, workers), setup: workers, key: "distill_workers",
                                   label: label("distillation step (\(ds.hiddenFeatures) wide)", workers), showers: b,
                                   flops: distillFlops, o, only)

        let classifier = try MLP(inputs: o.classifierInputs, hidden: o.classifierHidden, outputs: 1,
                                 activation: .leakyReLU(slope: 0.01), name: "classifier", rng: &rng)
        let cb = o.classifierBatch
        let cx = Matrix.randomNormal(cb, o.classifierInputs, rng: &rng)
        let labels = (0..<cb).map { _ in Float(rng.next() & 1) }
        let widths = [o.classifierInputs] + o.classifierHidden + [1]
        let classifierFlops = 2 * 3 * Double(zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 }) * Double(cb)
        let classifierLabel = "classifier step (\(o.classifierHidden.map(String.init).joined(separator: "/")), batch \(cb))"
        progress("classifier step, threaded products")
        let cThreaded = try measure(classifierStep(classifier, cx, labels, threaded), setup: threaded, key: "classifier_threaded",
                                    label: "\(classifierLabel), threaded products", showers: cb, flops: classifierFlops, o, only)
        progress("classifier step, workers")
        let cWorkers = try measure(classifierStep(classifier, cx, labels, workers), setup: workers, key: "classifier_workers",
                                   label: label(classifierLabel, workers), showers: cb, flops: classifierFlops, o, only)
        return Report(teacherThreaded: tThreaded, teacherWorkers: tWorkers, distillThreaded: dThreaded, distillWorkers: dWorkers,
                      classifierThreaded: cThreaded, classifierWorkers: cWorkers,
                      processes: size, threads: o.threads,
                      teacherLiveFloats: GradientLayout(teacher.parameters).liveCount, teacherParameters: teacher.parameters.reduce(0) { $0 + $1.count },
                      studentLiveFloats: GradientLayout(student.parameters).liveCount, studentParameters: student.parameters.reduce(0) { $0 + $1.count })
    }

    static func label(_ what: String, _ s: DataParallelSetup) -> String {
        s.size > 1 ? "\(what), \(s.size) processes x \(s.threads) workers" : "\(what), \(s.workers) workers (\(s.shards) shards)"
    }

    static func measure(_ step: () throws -> Void, setup: DataParallelSetup, key: String, label: String, showers: Int,
                        flops: Double, _ o: Options, _ only: Set<String>) throws -> FlowBenchmark.Measurement {
        try setup.withThreadSettings {
            try FlowBenchmark.measure(key: key, label: label, showers: showers, usefulFlops: flops, repeats: o.repeats, only: only,
                                      concurrentCallers: setup.threadedProducts ? 1 : setup.workers, step)
        }
    }

    /// Rows `shard` of `shards` of a batch of `rows`.
    static func rows(_ shard: Int, of shards: Int, _ rows: Int) -> Range<Int> { (rows * shard / shards)..<(rows * (shard + 1) / shards) }

    /// A teacher step: negative log-likelihood of the batch, forward and backward with dropout,
    /// gradient norm, Adam.
    static func teacherStep(_ flow: Flow, _ x: Matrix, _ c: Matrix, _ setup: DataParallelSetup) throws -> () throws -> Void {
        let gradients = try DataParallelGradients(parameters: flow.parameters, shards: setup.shards, group: setup.group, threads: setup.threads)
        let adam = try Adam(parameters: flow.parameters, learningRate: 1e-6)
        let b = Float(x.rows)
        var local = [Int: (Matrix, Matrix)]()
        for s in gradients.localShards { let r = rows(s, of: setup.shards, x.rows); local[s] = (x.rows(r), c.rows(r)) }
        let shards = local
        return {
            gradients.zero()
            _ = try gradients.accumulate(valuesPerShard: 0) { s, target in
                let (xs, cs) = shards[s]!
                var dropout: Xoshiro256? = Xoshiro256(seed: 7, stream: UInt64(s))
                let trace = try flow.forward(xs, context: cs, dropoutRNG: &dropout)
                _ = try flow.backward(trace, endGradient: (1 / b) * trace.latent,
                                      logDetGradient: [Float](repeating: -1 / b, count: xs.rows), gradients: target)
                return []
            }
            _ = gradientNorm(gradients.total)
            adam.step(gradients: gradients.total)
        }
    }

    /// A classifier step: BCE with logits over the batch, forward and backward, Adam.
    static func classifierStep(_ model: MLP, _ x: Matrix, _ labels: [Float], _ setup: DataParallelSetup) throws -> () throws -> Void {
        let step = try ClassifierStep(model: model, adam: try Adam(parameters: model.parameters, learningRate: 1e-6),
                                      shards: setup.shards, threads: setup.threads)
        let rows = Array(0..<x.rows)[...]
        return { _ = try step.step(x: x, labels: labels, rows: rows) }
    }

    struct DistillInputs: Sendable { var x, c, z, c2: Matrix }

    /// A distillation step: both terms of the guided loss through teacher and student, gradient
    /// norm, Adam on the student.
    static func distillStep(_ loss: DistillationLoss, _ inputs: DistillInputs, _ setup: DataParallelSetup) throws -> () throws -> Void {
        let gradients = try DataParallelGradients(parameters: loss.student.parameters, shards: setup.shards, group: setup.group,
                                                  threads: setup.threads)
        let adam = try Adam(parameters: loss.student.parameters, learningRate: 1e-6)
        let b = inputs.x.rows
        var local = [Int: DistillInputs]()
        for s in gradients.localShards {
            let r = rows(s, of: setup.shards, b)
            local[s] = DistillInputs(x: inputs.x.rows(r), c: inputs.c.rows(r), z: inputs.z.rows(r), c2: inputs.c2.rows(r))
        }
        let shards = local
        return {
            gradients.zero()
            _ = try gradients.accumulate(valuesPerShard: 0) { s, target in
                let i = shards[s]!
                var dropout: Xoshiro256? = Xoshiro256(seed: 8, stream: UInt64(s))
                _ = try loss.accumulateGradients(x: i.x, context: i.c, z: i.z, latentContext: i.c2, dropoutRNG: &dropout,
                                                 batchRows: b, gradients: target)
                return []
            }
            _ = gradientNorm(gradients.total)
            adam.step(gradients: gradients.total)
        }
    }
}
