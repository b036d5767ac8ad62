#if canImport(Glibc)
import Glibc
#endif
import CaloBenchmarks
import CaloData
import CaloFlows
import CaloPipeline
import CaloSimulation
import CaloTensor

/// `caloflow bench`: throughput of the paper's Flow II models with random weights (see
/// `FlowBenchmark`), as a table and optionally as JSON for comparisons between builds.
public struct BenchCommand: Command {
    public static let name = "bench"
    public static let abstract = "Measure training and sampling speed of the paper's flow models."
    public static let discussion = """
        Builds the CaloFlow teacher (MAF, 8 blocks, MADE 2x378, dropout 0.05) and student \
        (IAF, 8 blocks, MADE 2x504) for 504 voxels and 4 context inputs with random weights, \
        and measures showers/s of a teacher training step (forward, backward, Adam, dropout \
        on), teacher log-density, student sampling (one pass) and teacher sampling (504 \
        sequential steps per block, each hidden unit computed once). Also measures the spline \
        kernels, OpenBLAS sgemm on the models' largest shapes and the machine's fp32 peak (an \
        FMA loop on the widest vectors the CPU has: AVX-512F or AVX2) in the same run, and reports every \
        useful-FLOP rate as a fraction of that peak. Each timing is the best of several runs \
        (wall clock) with the process CPU time of that run, so a busy machine shows up as \
        CPU time below threads x wall time.
        """
    static let batch = Option.int("batch", short: "b", default: 1000, range: 1...100_000,
                                  help: "Showers per batch for training, log-density and student sampling.")
    static let teacherBatch = Option.int("teacher-sample-batch", default: 1000, range: 1...10_000,
                                         help: "Showers per batch for (sequential) teacher sampling (as generate runs it).")
    static let repeats = Option.int("repeats", default: 3, range: 1...100,
                                    help: "Timed runs per measurement after a warm-up (best reported).")
    static let quick = Option.flag("quick", help: "2 blocks, small batches, one repeat: a smoke check of seconds (tests).")
    static let only = Option.stringList("only", default: [], valueName: "names",
                                        help: "Run only these measurements: teacher_train, teacher_log_prob, student_sample, student_sample_per_worker, teacher_sample, teacher_train_threaded, teacher_train_workers, distill_threaded, distill_workers (for profiling).")
    static let json = Option.optionalPath("json", help: "Also write the results as JSON to this file.")
    static let pipelineEvents = Option.int("pipeline-events", default: 60_000, range: 0...10_000_000,
                                           help: "Showers for the full generation pipeline measurement (Flow I + student + inverse preprocessing + HDF5 writing, batches of 10000); 0 skips it. The last batch's compression cannot overlap generation, so few batches understate a long run (20000 showers: about 5 % slower).")

    static let simulatorEvents = Option.int("simulator-events", default: 20_000, range: 0...10_000_000,
                                            help: "e+ showers for the built-in simulator's throughput, on 1 thread and on all threads (no file writing); 0 skips it.")
    public static let options: [OptionSpec] = [batch.spec, teacherBatch.spec, repeats.spec, quick.spec, only.spec, json.spec, pipelineEvents.spec,
                                               simulatorEvents.spec, dataset1Events.spec, dataset2Events.spec, dataset3Events.spec,
                                               layerFlowHidden.spec, librarySeconds.spec] + trainingSpecs
        + CommonOptions.specs
    public static let examples = ["bench --threads 2", "bench --quick --json bench.json", "bench -j 1 --batch 200",
                                  "bench --only teacher_train_threaded,teacher_train_workers,distill_threaded,distill_workers --mpi 2"]

    let benchOptions: FlowBenchmark.Options
    let jsonPath: String?
    let common: CommonOptions
    let generationEvents: Int
    let simulationEvents: Int
    let libraryRunSeconds: Double
    let ds1Events: Int
    /// Dataset-2 and dataset-3 showers for the layer-flow rows, and the students' width (0: reference).
    let layerFlowEvents: [(CalorimeterGeometry, Int)]
    let layerFlowHiddenFeatures: Int
    let trainingOptions: TrainingStepBenchmark.Options
    let mpiRanks: Int

    public init(_ a: ParsedArguments) throws {
        common = try CommonOptions(a)
        var o = a[Self.quick] ? FlowBenchmark.Options.quick() : FlowBenchmark.Options()
        if a.contains(Self.batch) || !a[Self.quick] { o.batch = a[Self.batch] }
        if a.contains(Self.teacherBatch) || !a[Self.quick] { o.teacherSampleBatch = a[Self.teacherBatch] }
        if a.contains(Self.repeats) || !a[Self.quick] { o.repeats = a[Self.repeats] }
        let names = a[Self.only]
        let known = FlowBenchmark.Options.measurementKeys + TrainingStepBenchmark.Options.keys
        for n in names where !known.contains(n) {
            throw ValidationError("--only: unknown measurement '\(n)'; use " + known.joined(separator: ", "))
        }
        if !names.isEmpty { o.only = Set(names) }
        trainingOptions = Self.trainingOptions(a, quick: a[Self.quick], common: common, names: names)
        mpiRanks = a[Self.mpiProcesses]
        o.threads = common.threads
        o.seed = common.seed
        benchOptions = o
        jsonPath = a[Self.json]
        generationEvents = a.contains(Self.pipelineEvents) || !a[Self.quick] ? a[Self.pipelineEvents] : 200
        simulationEvents = a.contains(Self.simulatorEvents) || !a[Self.quick] ? a[Self.simulatorEvents] : 200
        libraryRunSeconds = a[Self.librarySeconds]
        ds1Events = a.contains(Self.dataset1Events) || !a[Self.quick] ? a[Self.dataset1Events] : 40
        layerFlowEvents = [(.ds2, a.contains(Self.dataset2Events) || !a[Self.quick] ? a[Self.dataset2Events] : 20),
                           (.ds3, a.contains(Self.dataset3Events) || !a[Self.quick] ? a[Self.dataset3Events] : 10)]
        layerFlowHiddenFeatures = a[Self.layerFlowHidden]
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        // The JSON destination is prepared first, so an unwritable path fails before minutes of measuring.
        let destination = try jsonPath.map { try AtomicFileDestination(path: $0) }
        let started = Clock.epochSeconds()
        if ParallelJob.size > 1 { return try runAsProcesses(context, destination: destination, logger: logger) }
        let report = try FlowBenchmark.run(benchOptions) { phase in logger.info("bench: \(phase)...") }
        let training = try TrainingStepBenchmark.run(trainingOptions) { logger.info("bench: \($0)...") }
        let mpi = mpiRanks > 0 ? try Self.trainingUnderMPI(trainingOptions, processes: mpiRanks, quick: benchOptions.blocks < 8) { logger.info($0) } : nil
        var pipeline: GenerationBenchmark.Result? = nil
        if generationEvents > 0 {
            logger.info("bench: generation pipeline (\(generationEvents) showers)...")
            let quick = benchOptions.blocks < 8
            let f1 = quick ? FlowArchitecture(blocks: 2, hiddenFeatures: 16, hiddenLayers: 2) : .paperFlowI
            var st = FlowArchitecture.paperStudent
            if quick { st.blocks = benchOptions.blocks; st.hiddenFeatures = 64 }
            pipeline = try GenerationBenchmark.run(flowI: f1, student: st, plan: ShowerBatchPlan(count: generationEvents, batchSize: 10_000))
        }
        let ds1 = try Self.dataset1Rows(events: ds1Events, quick: benchOptions.blocks < 8, blocks: benchOptions.blocks) { logger.info($0) }
        let layerFlows = try Self.layerFlowRows(events: layerFlowEvents, hidden: layerFlowHiddenFeatures, quick: benchOptions.blocks < 8,
                                                blocks: benchOptions.blocks) { logger.info($0) }
        var simulator: (one: Double, all: Double)? = nil
        if simulationEvents > 0 {
            logger.info("bench: simulator (\(simulationEvents) e+ showers, 1 and \(common.threads) threads)...")
            let sim = try ShowerSimulator(particle: .eplus)
            let one = try ComputeThreads.with(blas: nil, workers: 1) {
                try SimulatorBenchmark.showersPerSecond(sim, events: simulationEvents)
            }
            simulator = (one, try SimulatorBenchmark.showersPerSecond(sim, events: simulationEvents))
        }
        // The CaloChallenge detectors with their datasets' particles and spectra, a twentieth of
        // the events (a mean ds2 shower of 140 GeV has ~40x the spots of a CaloGAN one; ds1's
        // 15 energies average 560 GeV), all threads.
        var geometryRates = [(name: String, what: String, events: Int, rate: Double)]()
        if simulationEvents > 0 {
            for detector in [SimulatedDetector.ds1Photons, .ds1Pions, .ds2, .ds3] {
                let n = max(1, simulationEvents / 20)
                let particle = detector.defaultParticle
                let label = particle == .eminus ? "e-" : particle == .gamma ? "gamma" : "pi+"
                let what = detector.calibration != nil ? "\(label) 256 MeV-4.2 TeV (15 discrete energies)" : "\(label) 1 GeV-1 TeV log-uniform"
                logger.info("bench: simulator \(detector.geometry.name) (\(n) \(label) showers, \(common.threads) threads)...")
                let sim = try ShowerSimulator(particle: particle, detector: detector)
                geometryRates.append((detector.geometry.name, what, n,
                                      try SimulatorBenchmark.showersPerSecond(sim, events: n, spectrum: detector.spectrum)))
            }
        }
        let library = try Self.libraryReport(seconds: libraryRunSeconds, quick: benchOptions.blocks < 8,
                                             repeats: benchOptions.repeats) { logger.info($0) }
        let finished = Clock.epochSeconds()
        let cpu = Self.cpuModel()
        var text = Self.table(report, cpuModel: cpu)
        if let s = simulator {
            text += "built-in simulator, e+ 1-100 GeV (no file writing): \(HumanFormat.fixed(s.one, 0)) showers/s on 1 thread, "
                + "\(HumanFormat.fixed(s.all, 0)) on \(common.threads)\n"
        }
        for g in geometryRates {
            text += "built-in simulator, \(g.name) \(g.what) (no file writing): \(HumanFormat.fixed(g.rate, 0)) showers/s on "
                + "\(common.threads) threads (\(g.events) showers)\n"
        }
        if let p = pipeline {
            text += "generation pipeline (Flow I + student + inverse preprocessing + HDF5 writing): "
                + "\(HumanFormat.fixed(p.showersPerSecond, 1)) showers/s, \(HumanFormat.fixed(1000 * p.seconds / Double(p.events), 3)) ms per shower "
                + "(\(p.events) showers in batches of \(p.batch); the writer thread, overlapped with the next batch, was busy for \(HumanFormat.fixed(100 * p.writeSeconds / p.seconds, 1))% of the time)\n"
        }
        text += Self.dataset1Table(ds1, threads: common.threads)
        text += Self.layerFlowTable(layerFlows, threads: common.threads)
        if let library { text += Self.libraryTable(library) }
        text += Self.trainingTable(training, mpi: mpi, mpiProcesses: mpiRanks)
        context.console.output.write(text)
        if let jsonPath, let destination {
            var extra = [(String, Double)]()
            if let s = simulator {
                extra += [("simulator_showers_per_s_1_thread", s.one), ("simulator_showers_per_s", s.all)]
            }
            for g in geometryRates { extra.append(("simulator_\(g.name)_showers_per_s", g.rate)) }
            extra += Self.dataset1JSON(ds1)
            extra += Self.layerFlowJSON(layerFlows)
            if let library { extra += Self.libraryJSON(library) }
            extra += Self.trainingJSON(training, mpi: mpi, mpiProcesses: mpiRanks)
            if let p = pipeline {
                extra += [("generate_pipeline_showers_per_s", p.showersPerSecond), ("generate_pipeline_events", Double(p.events)),
                          ("generate_pipeline_batch", Double(p.batch)), ("generate_pipeline_write_seconds", p.writeSeconds),
                          ("generate_pipeline_seconds", p.seconds)]
            }
            let text = Self.json(report, cpuModel: cpu, started: started, finished: finished, extra: extra)
            try Self.writeFile(destination.temporaryPath, text)
            try destination.commit()
            logger.info("wrote \(jsonPath)")
        }
    }

    /// `bench` as one process of an MPI job: the training-step workers rows across the job's
    /// processes (rank 0 prints and writes the JSON).
    func runAsProcesses(_ context: CommandContext, destination: AtomicFileDestination?, logger: Logger) throws {
        var o = trainingOptions
        o.group = ParallelJob.group
        let started = Clock.epochSeconds()
        let training = try ComputeThreads.with(blas: common.threads, workers: common.threads) {
            try TrainingStepBenchmark.run(o) { logger.info("bench: \($0)...") }
        }
        guard ParallelJob.isLeader else { return }
        context.console.output.write(Self.trainingTable(training, mpi: nil, mpiProcesses: 0))
        if let jsonPath, let destination {
            var fields = Self.trainingJSON(training, mpi: nil, mpiProcesses: 0)
            fields += [("started_epoch", Double(started)), ("finished_epoch", Double(Clock.epochSeconds()))]
            let text = "{\n" + fields.map { "  \(Self.jsonString($0.0)): \($0.1.isFinite ? "\($0.1)" : "null")" }.joined(separator: ",\n") + "\n}\n"
            try Self.writeFile(destination.temporaryPath, text)
            try destination.commit()
            logger.info("wrote \(jsonPath)")
        }
    }

    // MARK: - Output

    static func table(_ r: FlowBenchmark.Report, cpuModel: String) -> String {
        func f(_ x: Double, _ d: Int) -> String { HumanFormat.fixed(x, d) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var lines = [String]()
        lines.append("caloflow bench: \(r.options.threads) threads, OpenBLAS core \(r.blasCore), CPU \(cpuModel)")
        lines.append("fp32 peak (FMA loop, \(r.peakISA.label), \(r.options.threads) threads, flops per thread CPU second, higher of a measurement at the start and one at the end): \(f(r.peakGFLOPS, 1)) GFLOP/s")
        for g in r.gemm {
            lines.append("sgemm \(g.m)x\(g.k) · \(g.k)x\(g.n): \(f(g.gflops, 1)) GFLOP/s "
                         + "(\(f(100 * g.gflops / r.peakGFLOPS, 1))% of peak)")
        }
        for sp in r.spline where sp.lanes {
            let base = r.spline.first { $0.inverse == sp.inverse && $0.backward == sp.backward && !$0.lanes }
            let speedup = base.map { " (element-wise kernel \(f($0.nanosecondsPerElement, 2)) ns: "
                + "\(f($0.nanosecondsPerElement / sp.nanosecondsPerElement, 1))x)" } ?? ""
            lines.append("spline \(sp.inverse ? "inverse" : "forward")\(sp.backward ? " backward" : "") "
                         + "(K=8, \(sp.elements) elements): \(f(sp.nanosecondsPerElement, 2)) ns per element" + speedup)
        }
        lines.append("")
        lines.append(pad("measurement", 48) + lpad("showers/s", 11) + lpad("wall s", 9) + lpad("cpu s", 9)
                     + lpad("cores", 7) + lpad("GFLOP/s", 9) + lpad("% peak", 8) + lpad("sgemm %peak", 13)
                     + lpad("sgemm %time", 13))
        for m in r.measurements {
            lines.append(pad(m.label, 48) + lpad(f(m.showersPerSecond, 1), 11) + lpad(f(m.seconds, 3), 9)
                         + lpad(f(m.cpuSeconds, 3), 9) + lpad(f(m.coresBusy, 2), 7) + lpad(f(m.usefulGFLOPS, 1), 9)
                         + lpad(f(100 * r.peakFraction(m), 1), 8) + lpad(f(100 * m.productGFLOPS / r.peakGFLOPS, 1), 13)
                         + lpad(f(100 * m.productTimeFraction, 1), 13))
        }
        lines.append("")
        lines.append("\(r.options.blocks) blocks, batch \(r.options.batch) (teacher sampling \(r.options.teacherSampleBatch)); best of \(r.options.repeats) "
                     + "runs after a warm-up; GFLOP/s count useful MADE multiply-adds only (masked weights skipped); "
                     + "sgemm columns: the products inside one extra profiled run, their rate as a share of peak and their share of the time; "
                     + "total \(f(r.totalSeconds, 1)) s")
        return lines.joined(separator: "\n") + "\n"
    }

    /// - Parameter extra: further numbers measured outside `FlowBenchmark` (simulator, generation pipeline).
    static func json(_ r: FlowBenchmark.Report, cpuModel: String, started: Int, finished: Int,
                     extra: [(String, Double)] = []) -> String {
        var fields = [(String, String)]()
        func num(_ k: String, _ v: Double) { fields.append((k, v.isFinite ? "\(v)" : "null")) }
        func int(_ k: String, _ v: Int) { fields.append((k, "\(v)")) }
        func str(_ k: String, _ v: String) { fields.append((k, jsonString(v))) }
        num("teacher_train_showers_per_s", r.teacherTrain.showersPerSecond)
        num("teacher_log_prob_showers_per_s", r.teacherLogProb.showersPerSecond)
        num("student_sample_showers_per_s", r.studentSample.showersPerSecond)
        num("teacher_sample_showers_per_s", r.teacherSample.showersPerSecond)
        num("student_sample_per_worker_showers_per_s", r.studentSamplePerWorker.showersPerSecond)
        num("gemm_gflops", r.gemmGFLOPS)
        num("gemm_peak_fraction", r.gemmPeakFraction)
        num("peak_gflops", r.peakGFLOPS)
        str("peak_isa", r.peakISA.rawValue)
        int("peak_vector_bits", r.peakISA.bits)
        int("threads", r.options.threads)
        int("batch", r.options.batch)
        int("teacher_sample_batch", r.options.teacherSampleBatch)
        int("repeats", r.options.repeats)
        int("blocks", r.options.blocks)
        str("blas_core", r.blasCore)
        str("cpu_model", cpuModel)
        str("build", BuildInfo.configuration)
        str("version", BuildInfo.version)
        str("started", Clock.iso8601(started))
        str("finished", Clock.iso8601(finished))
        int("started_epoch", started)
        int("finished_epoch", finished)
        num("total_seconds", r.totalSeconds)
        for g in r.gemm {
            num("gemm_\(g.m)x\(g.k)x\(g.n)_gflops", g.gflops)
        }
        for sp in r.spline {
            let name = "spline_\(sp.inverse ? "inverse" : "forward")" + (sp.backward ? "_backward" : "")
                + (sp.lanes ? "" : "_elementwise")
            num(name + "_ns_per_element", sp.nanosecondsPerElement)
        }
        for m in r.measurements {
            num("\(m.key)_seconds", m.seconds)
            num("\(m.key)_cpu_seconds", m.cpuSeconds)
            int("\(m.key)_showers", m.showers)
            num("\(m.key)_useful_gflops", m.usefulGFLOPS)
            num("\(m.key)_peak_fraction", r.peakFraction(m))
            num("\(m.key)_sgemm_gflops", m.productGFLOPS)
            num("\(m.key)_sgemm_peak_fraction", m.productGFLOPS / r.peakGFLOPS)
            num("\(m.key)_sgemm_time_fraction", m.productTimeFraction)
        }
        for (k, v) in extra { num(k, v) }
        return "{\n" + fields.map { "  \(jsonString($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// The `model name` line of /proc/cpuinfo ("unknown" when unavailable).
    static func cpuModel() -> String {
        guard let text = CPUFeatures.readSmallFile("/proc/cpuinfo") else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return String(line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
            }
        }
        return "unknown"
    }

    static func writeFile(_ path: String, _ text: String) throws {
        guard let f = fopen(path, "w") else {
            throw CaloDataError.io(path: path, operation: "opening for writing", detail: String(cString: strerror(errno)))
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        if written != bytes.count || closed != 0 {
            throw CaloDataError.io(path: path, operation: "writing", detail: String(cString: strerror(errno)))
        }
    }
}
