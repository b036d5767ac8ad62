import CaloFlows
import CaloNN
import CaloPipeline
import CaloTensor
import Glibc

/// Throughput of the paper's Flow II models (CaloFlow teacher MAF and student IAF, random
/// weights) for `caloflow bench`: a teacher training step, teacher log-density, student and
/// teacher sampling, plus plain sgemm on the models' main shapes and the machine's measured
/// fp32 peak, so every rate can be read as a fraction of what the cores can do.
///
/// Timing: each measurement runs once to warm up, then `repeats` times; the best wall-clock
/// time is reported (other processes only ever make a run slower), together with the process
/// CPU time of that same run (all threads, from `getrusage`). Never used as a pass/fail
/// criterion by tests.
public enum FlowBenchmark {
    // MARK: - Configuration

    public struct Options: Sendable, Equatable {
        /// Rows per batch of the training step, log-density and student sampling (paper: 1000).
        public var batch: Int
        /// Rows of the teacher-sampling batch (1000, as `generate` runs it: the incremental MADE's
        /// products are small, and fewer rows make them slower per shower).
        public var teacherSampleBatch: Int
        /// Timed repeats after one warm-up run (best one reported).
        public var repeats: Int
        /// Threads for OpenBLAS and `Parallel` loops (both restored afterwards).
        public var threads: Int
        public var seed: UInt64
        /// Features, context inputs and blocks of the models (paper: 504, 4, 8).
        public var features: Int
        public var contextFeatures: Int
        public var blocks: Int
        /// MADE widths (paper: teacher 378, student 504).
        public var teacherHidden: Int
        public var studentHidden: Int
        /// Seconds the fp32-peak kernel runs per repeat.
        public var peakSeconds: Double
        /// Measurements to run (by key stem: teacher_train, teacher_log_prob, student_sample,
        /// teacher_sample); nil for all. Skipped ones report zero showers and time.
        public var only: Set<String>?

        public init(batch: Int = 1000, teacherSampleBatch: Int = 1000, repeats: Int = 3, threads: Int = 2,
                    seed: UInt64 = 1234, features: Int = CaloFlowModels.flowIIFeatures,
                    contextFeatures: Int = CaloFlowModels.flowIIContext, blocks: Int = FlowArchitecture.paperTeacher.blocks,
                    teacherHidden: Int = FlowArchitecture.paperTeacher.hiddenFeatures,
                    studentHidden: Int = FlowArchitecture.paperStudent.hiddenFeatures, peakSeconds: Double = 0.25) {
            self.batch = batch
            self.teacherSampleBatch = teacherSampleBatch
            self.repeats = repeats
            self.threads = threads
            self.seed = seed
            self.features = features
            self.contextFeatures = contextFeatures
            self.blocks = blocks
            self.teacherHidden = teacherHidden
            self.studentHidden = studentHidden
            self.peakSeconds = peakSeconds
        }

        public static let measurementKeys = ["teacher_train", "teacher_log_prob", "student_sample", "student_sample_per_worker",
                                             "teacher_sample"]

        /// The paper's layer shapes with 2 blocks instead of 8, small batches and a single
        /// repeat: a smoke check that takes seconds even in a debug build (tests).
        public static func quick(threads: Int = 2, seed: UInt64 = 1234) -> Options {
            Options(batch: 32, teacherSampleBatch: 2, repeats: 1, threads: threads, seed: seed, blocks: 2, peakSeconds: 0.05)
        }
    }

    // MARK: - Results

    /// One timed operation.
    public struct Measurement: Sendable {
        /// Key stem used in the JSON ("teacher_train", ...).
        public var key: String
        public var label: String
        /// Showers processed per run.
        public var showers: Int
        /// Best wall-clock seconds of one run and the process CPU seconds of that run.
        public var seconds: Double
        public var cpuSeconds: Double
        /// Useful floating-point operations per run (mask connections only; 1 FMA = 2 flops).
        public var usefulFlops: Double

        /// Dense products inside one extra, profiled run (`BLASProfile`): their summed time, flops
        /// (as executed: masked tiles skipped, zeros inside kept tiles counted), the run's wall
        /// time, and how many threads called BLAS at once.
        public var products = BLASProfile.Totals()
        public var profiledSeconds = 0.0
        public var concurrentCallers = 1

        /// Rate of the products while they run, for the whole machine (GFLOP/s).
        public var productGFLOPS: Double { products.gflops * Double(concurrentCallers) }
        /// Share of the step's time spent in the products.
        public var productTimeFraction: Double {
            profiledSeconds > 0 ? products.seconds / (profiledSeconds * Double(concurrentCallers)) : .nan
        }

        public var showersPerSecond: Double { Double(showers) / seconds }
        public var usefulGFLOPS: Double { usefulFlops / seconds / 1e9 }
        /// CPU seconds per wall second: how many cores the run kept busy.
        public var coresBusy: Double { cpuSeconds / seconds }
    }

    /// One plain sgemm shape `[m, k] · [k, n]` (the second operand stored transposed, `[n, k]`,
    /// as MADE stores its weights).
    public struct GemmMeasurement: Sendable {
        public var m: Int, k: Int, n: Int
        public var seconds: Double
        public var gflops: Double { 2 * Double(m) * Double(k) * Double(n) / seconds / 1e9 }
    }

    /// The rational-quadratic spline alone (K = 8, MADE-like N(0, 1) raw parameters) over a
    /// [batch, features] block of elements, rows split over the worker threads.
    public struct SplineMeasurement: Sendable {
        public var inverse: Bool
        /// True for the fused backward pass (input and raw-parameter gradients) of the map.
        public var backward: Bool
        /// False for the one-element-at-a-time baseline kernel, true for the 8-lane production one.
        public var lanes: Bool
        public var elements: Int
        public var seconds: Double
        public var nanosecondsPerElement: Double { seconds * 1e9 / Double(elements) }
    }

    public struct Report: Sendable {
        public var options: Options
        public var blasCore: String
        public var peakGFLOPS: Double
        /// The vector instruction set of the peak measurement.
        public var peakISA: PeakThroughput.VectorISA
        public var gemm: [GemmMeasurement]
        /// Spline forward (x → y) and inverse (y → x, the student's sampling direction), the maps
        /// and their backward passes (training, distillation), each with the element-wise
        /// baseline kernel and the 8-lane kernel.
        public var spline: [SplineMeasurement]
        public var teacherTrain: Measurement
        public var teacherLogProb: Measurement
        public var studentSample: Measurement
        public var teacherSample: Measurement
        /// Student sampling as `caloflow generate` runs it: one batch per worker thread, each with
        /// single-threaded BLAS (showers = batch × threads).
        public var studentSamplePerWorker: Measurement
        /// Monotonic seconds of the whole run.
        public var totalSeconds: Double

        public var measurements: [Measurement] { [teacherTrain, teacherLogProb, studentSample, studentSamplePerWorker, teacherSample] }
        /// Mean sgemm rate over the measured shapes.
        public var gemmGFLOPS: Double { gemm.isEmpty ? 0 : gemm.map(\.gflops).reduce(0, +) / Double(gemm.count) }
        public var gemmPeakFraction: Double { gemmGFLOPS / peakGFLOPS }
        public func peakFraction(_ m: Measurement) -> Double { m.usefulGFLOPS / peakGFLOPS }
    }

    // MARK: - Models

    /// The calorimeter-layer segments of the CaloGAN voxels; a single segment for other
    /// feature counts.
    public static func layerSegments(features: Int) -> [Range<Int>] {
        features == CaloFlowModels.flowIIFeatures ? CaloFlowModels.layerSegments : [0..<features]
    }

    /// The paper's Flow II skeleton with fresh weights: `blocks` MADE-spline blocks (8 bins,
    /// tail bound 14, 2 hidden layers of `hidden`, dropout `dropout`); after block i a
    /// per-layer reverse if i is even, a per-layer random permutation if odd, none after the
    /// last. Pass the same `permutations` to give a student the teacher's (else drawn from `rng`).
    public static func paperFlow(kind: AutoregressiveKind, features: Int = CaloFlowModels.flowIIFeatures,
                                 contextFeatures: Int = CaloFlowModels.flowIIContext,
                                 blocks: Int = 8, hidden: Int, dropout: Float = 0.05,
                                 permutations: [Permutation]? = nil, rng: inout Xoshiro256) throws -> Flow {
        let segments = layerSegments(features: features)
        var steps = [Flow.Step](), perms = permutations.map { $0[...] }
        for i in 0..<blocks {
            steps.append(.block(try AutoregressiveSplineBlock(
                kind: kind, features: features, contextFeatures: contextFeatures, hiddenFeatures: hidden,
                hiddenLayers: 2, dropout: dropout, spline: .caloFlow, name: "flow.\(i)", rng: &rng)))
            if i == blocks - 1 { break }
            if let p = perms?.popFirst() {
                steps.append(.permutation(p))
            } else {
                steps.append(.permutation(i % 2 == 0 ? Permutation.reverse(segments: segments)
                                                     : Permutation.random(segments: segments, rng: &rng)))
            }
        }
        return try Flow(steps: steps)
    }

    /// Useful multiply-adds per row of one MADE pass summed over the flow's blocks.
    static func usefulMACsPerRow(_ flow: Flow) -> Double {
        Double(flow.blocks.reduce(0) { $0 + $1.made.usefulMultiplyAddsPerRow })
    }

    // MARK: - Run

    /// Builds the models and measures everything; `progress` is told each phase's name.
    public static func run(_ options: Options, progress: (String) -> Void = { _ in }) throws -> Report {
        guard options.batch >= 1, options.teacherSampleBatch >= 1, options.repeats >= 1, options.threads >= 1 else {
            throw FlowError.invalidConfiguration("bench needs batch, teacher sample batch, repeats and threads ≥ 1")
        }
        let start = monotonicSeconds()
        return try ComputeThreads.with(blas: options.threads, workers: options.threads) {
            try measureAll(options, start: start, progress: progress)
        }
    }

    /// `run` with the thread settings in place (held by `ComputeThreads.with`).
    static func measureAll(_ options: Options, start: Double, progress: (String) -> Void) throws -> Report {
        // The peak is measured at the start and again at the end, and the higher value kept: a
        // burst of load from elsewhere during one short measurement would otherwise inflate
        // every "% of peak" below.
        progress("fp32 peak")
        var peak = PeakThroughput.measure(threads: options.threads, seconds: options.peakSeconds)

        progress("sgemm")
        let b = options.batch, d = options.features
        let outputWidth = d * RationalQuadraticSpline.caloFlow.parameterCount
        let gemm = [options.teacherHidden, options.studentHidden].map {
            measureGemm(m: b, k: $0, n: outputWidth, repeats: options.repeats)
        }

        progress("spline")
        let spline = [false, true].flatMap { backward in [false, true].flatMap { inverse in
            [false, true].map { measureSpline(rows: b, features: d, inverse: inverse, backward: backward, lanes: $0,
                                              repeats: options.repeats) }
        } }

        var rng = Xoshiro256(seed: options.seed)
        progress("building models")
        let teacher = try paperFlow(kind: .maf, features: d, contextFeatures: options.contextFeatures,
                                    blocks: options.blocks, hidden: options.teacherHidden, rng: &rng)
        let student = try paperFlow(kind: .iaf, features: d, contextFeatures: options.contextFeatures,
                                    blocks: options.blocks, hidden: options.studentHidden,
                                    permutations: teacher.permutations, rng: &rng)
        let x = Matrix.randomNormal(b, d, rng: &rng)
        let context = Matrix.randomNormal(b, options.contextFeatures, rng: &rng)
        let teacherMACs = usefulMACsPerRow(teacher), studentMACs = usefulMACsPerRow(student)

        progress("teacher training step")
        let adam = try Adam(parameters: teacher.parameters, learningRate: 1e-4)
        var dropoutRNG = Xoshiro256(seed: options.seed, stream: 7)
        let nllGradient = [Float](repeating: -1 / Float(b), count: b)
        let train = try measure(key: "teacher_train", label: "teacher training step (fwd+bwd+Adam)", showers: b,
                                usefulFlops: 2 * 3 * teacherMACs * Double(b), repeats: options.repeats, only: options.only) {
            adam.zeroGradients()
            var drop: Xoshiro256? = dropoutRNG
            let trace = try teacher.forward(x, context: context, dropoutRNG: &drop)
            dropoutRNG = drop!
            _ = try teacher.backward(trace, endGradient: (1 / Float(b)) * trace.latent, logDetGradient: nllGradient)
            adam.step()
        }

        progress("teacher log-density")
        let logProb = try measure(key: "teacher_log_prob", label: "teacher log-density (eval)", showers: b,
                                  usefulFlops: 2 * teacherMACs * Double(b), repeats: options.repeats, only: options.only) {
            _ = try teacher.logProb(x, context: context)
        }

        progress("student sampling")
        var sampleRNG = Xoshiro256(seed: options.seed, stream: 9)
        let studentSample = try measure(key: "student_sample", label: "student sampling (one pass)", showers: b,
                                        usefulFlops: 2 * studentMACs * Double(b), repeats: options.repeats, only: options.only) {
            _ = try student.sample(context: context, rng: &sampleRNG)
        }

        progress("student sampling per worker")
        let workers = options.threads
        let perWorker = try measure(key: "student_sample_per_worker",
                                    label: "student sampling (\(workers) x \(b), 1 BLAS thread each)",
                                    showers: b * workers, usefulFlops: 2 * studentMACs * Double(b * workers),
                                    repeats: options.repeats, only: options.only, concurrentCallers: workers) {
            let shared = UnsafeSendable((student, context))
            try ComputeThreads.onWorkers(workers) { w in
                var r = Xoshiro256(seed: options.seed, stream: 100 + UInt64(w))
                _ = try shared.value.0.sample(context: shared.value.1, rng: &r)
            }
        }

        progress("teacher sampling")
        let tb = options.teacherSampleBatch
        let smallContext = context.rows(0..<min(tb, b))
        let teacherContext = smallContext.rows == tb ? smallContext : Matrix.randomNormal(tb, options.contextFeatures, rng: &rng)
        let teacherSample = try measure(key: "teacher_sample", label: "teacher sampling (sequential, batch \(tb))",
                                        showers: tb, usefulFlops: 2 * teacherMACs * Double(tb),
                                        repeats: options.repeats, only: options.only) {
            _ = try teacher.sample(context: teacherContext, rng: &sampleRNG)
        }

        progress("fp32 peak again")
        let again = PeakThroughput.measure(threads: options.threads, seconds: options.peakSeconds)
        if again.gflops > peak.gflops { peak = again }
        return Report(options: options, blasCore: BLASRuntime.coreName, peakGFLOPS: peak.gflops, peakISA: peak.isa,
                      gemm: gemm, spline: spline,
                      teacherTrain: train, teacherLogProb: logProb, studentSample: studentSample,
                      teacherSample: teacherSample, studentSamplePerWorker: perWorker,
                      totalSeconds: monotonicSeconds() - start)
    }

    // MARK: - Timing

    /// Process CPU seconds (user + system, all threads).
    public static func processCPUSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }

    static func measure(key: String, label: String, showers: Int, usefulFlops: Double, repeats: Int,
                        only: Set<String>?, concurrentCallers: Int = 1, _ body: () throws -> Void) throws -> Measurement {
        if let only, !only.contains(key) {
            return Measurement(key: key, label: label + " (skipped)", showers: 0, seconds: .nan, cpuSeconds: .nan,
                               usefulFlops: 0)
        }
        try body()  // warm-up: first-touch of buffers, OpenBLAS thread start
        var best = Double.infinity, bestCPU = 0.0
        for _ in 0..<repeats {
            let c0 = processCPUSeconds(), t0 = monotonicSeconds()
            try body()
            let t = monotonicSeconds() - t0, c = processCPUSeconds() - c0
            if t < best { best = t; bestCPU = c }
        }
        var m = Measurement(key: key, label: label, showers: showers, seconds: best, cpuSeconds: bestCPU,
                            usefulFlops: usefulFlops)
        let t0 = monotonicSeconds()
        m.products = try BLASProfile.measure(body)
        m.profiledSeconds = monotonicSeconds() - t0
        m.concurrentCallers = concurrentCallers
        return m
    }

    static func measureSpline(rows: Int, features: Int, inverse: Bool, backward: Bool, lanes: Bool,
                              repeats: Int) -> SplineMeasurement {
        let spline = RationalQuadraticSpline.caloFlow
        let width = features * spline.parameterCount
        var rng = Xoshiro256(seed: 98)
        let x = Matrix.randomNormal(rows, features, rng: &rng)
        let p = Matrix.randomNormal(rows, width, rng: &rng)
        let gy = Matrix.randomNormal(rows, features, rng: &rng), gl = Matrix.randomNormal(rows, features, rng: &rng)
        var y = Matrix(rows: rows, cols: features), ld = Matrix(rows: rows, cols: features)
        var gp = Matrix(rows: backward ? rows : 0, cols: width)
        func once() {
            x.withUnsafeBufferPointer { xp in p.withUnsafeBufferPointer { pp in
                y.withUnsafeMutableBufferPointer { yp in ld.withUnsafeMutableBufferPointer { lp in
                    if backward {
                        gy.withUnsafeBufferPointer { gyp in gl.withUnsafeBufferPointer { glp in gp.withUnsafeMutableBufferPointer { gpp in
                            SplineRows.backward(spline, inverse: inverse, xp.baseAddress!, pp.baseAddress!, gyp.baseAddress!,
                                                glp.baseAddress!, yp.baseAddress!, gpp.baseAddress!, rows: rows,
                                                features: features, elementwise: !lanes)
                        } } }
                    } else {
                        SplineRows.map(spline, inverse: inverse, xp.baseAddress!, pp.baseAddress!, yp.baseAddress!,
                                       lp.baseAddress!, rows: rows, features: features, elementwise: !lanes)
                    }
                } }
            } }
        }
        return SplineMeasurement(inverse: inverse, backward: backward, lanes: lanes, elements: rows * features,
                                 seconds: bestSeconds(runs: max(3, repeats), once))
    }

    static func measureGemm(m: Int, k: Int, n: Int, repeats: Int) -> GemmMeasurement {
        var rng = Xoshiro256(seed: 99)
        let a = Matrix.randomNormal(m, k, rng: &rng), w = Matrix.randomNormal(n, k, rng: &rng)
        var c = Matrix(rows: m, cols: n)
        func once() {
            a.withUnsafeBufferPointer { ap in w.withUnsafeBufferPointer { wp in c.withUnsafeMutableBufferPointer { cp in
                BLAS.sgemm(transB: true, m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: wp.baseAddress!, ldb: k,
                           beta: 1, c: cp.baseAddress!, ldc: n)
            } } }
        }
        return GemmMeasurement(m: m, k: k, n: n, seconds: bestSeconds(runs: max(2, repeats), once))
    }

    /// Shortest wall time of `runs` calls of `body` after one warm-up call.
    static func bestSeconds(runs: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<runs {
            let t0 = monotonicSeconds()
            body()
            best = min(best, monotonicSeconds() - t0)
        }
        return best
    }
}
