#if canImport(Glibc)
import Glibc
#endif
import CaloBenchmarks
import CaloData
import CaloPipeline

/// The training-step part of `caloflow bench` (`TrainingStepBenchmark`): threaded products
/// against data-parallel workers, and optionally the same workers as MPI processes (started
/// with mpirun from this bench run, so the ratios come from one run).
extension BenchCommand {
    static let distillBatch = Option.int("distill-batch", default: 200, range: 1...100_000,
                                         help: "Showers per distillation step (the demo's 200; the teacher step uses --batch).")
    static let mpiProcesses = Option.int("mpi", default: 0, range: 0...256,
                                         help: "Also time the workers rows as this many MPI processes of threads/N threads each, started with mpirun from this run (needs openmpi-bin); 0 skips it.")
    static let trainingSpecs: [OptionSpec] = [distillBatch.spec, mpiProcesses.spec]

    static func trainingOptions(_ a: ParsedArguments, quick: Bool, common: CommonOptions, names: [String]) -> TrainingStepBenchmark.Options {
        var o = TrainingStepBenchmark.Options()
        if quick {
            o.blocks = 2; o.teacherHidden = 64; o.teacherBatch = 32; o.distillBatch = 16
            o.distillTeacherHidden = 16; o.distillStudentHidden = 16; o.repeats = 1
            o.classifierBatch = 32; o.classifierHidden = [32, 32]
        }
        if a.contains(Self.batch) || !quick { o.teacherBatch = a[Self.batch] }
        if a.contains(Self.distillBatch) || !quick { o.distillBatch = a[Self.distillBatch] }
        if a.contains(Self.repeats) || !quick { o.repeats = a[Self.repeats] }
        o.threads = common.threads
        o.seed = common.seed
        let mine = names.filter(TrainingStepBenchmark.Options.keys.contains)
        if !names.isEmpty { o.only = Set(mine) }
        return o
    }

    /// The training rows as `processes` MPI processes: runs this program under mpirun with
    /// `--only` the workers rows and reads their JSON.
    static func trainingUnderMPI(_ o: TrainingStepBenchmark.Options, processes: Int, quick: Bool,
                                 log: (String) -> Void) throws -> [String: Double] {
        let json = "/tmp/caloflow-bench-mpi-\(getpid()).json"
        defer { unlink(json) }
        let threads = max(1, o.threads / processes)
        var arguments = ["mpirun", "--oversubscribe", "-np", "\(processes)", selfExecutable(), "bench",
                         "--only", "teacher_train_workers,distill_workers", "--threads", "\(threads)", "--json", json,
                         "--batch", "\(o.teacherBatch)", "--distill-batch", "\(o.distillBatch)", "--repeats", "\(o.repeats)",
                         "--seed", "\(o.seed)", "--quiet"]
        if quick { arguments.append("--quick") }
        log("bench: training steps as \(processes) MPI processes x \(threads) threads (\(arguments.joined(separator: " ")))...")
        var environment = ["OMPI_MCA_rmaps_base_oversubscribe=1"]
        if getuid() == 0 { environment += ["OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"] }
        let status = try spawnAndWait(arguments, extraEnvironment: environment)
        guard status == 0, let text = CPUFeatures.readSmallFile(json) else {
            throw ValidationError("--mpi \(processes): mpirun exited with status \(status) (is openmpi-bin installed?)")
        }
        var out = [String: Double]()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = String(parts[0].filter { $0 != " " && $0 != "\"" })
            if let v = Double(String(parts[1].filter { $0 != " " && $0 != "," })) { out[key] = v }
        }
        return out
    }

    /// This program's path (/proc/self/exe).
    static func selfExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `arguments` (found on PATH) with extra environment variables and returns its exit status.
    static func spawnAndWait(_ arguments: [String], extraEnvironment: [String]) throws -> Int32 {
        var env = [String]()
        var p = environ
        while let e = p.pointee { env.append(String(cString: e)); p += 1 }
        // Nested MPI: a bench run under mpirun must not pass its own rank variables on.
        env = env.filter { !$0.hasPrefix("OMPI_COMM_WORLD") && !$0.hasPrefix("PMIX_") } + extraEnvironment
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { for q in argv + envp { free(q) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, arguments[0], nil, nil, argv, envp)
        guard rc == 0 else { throw ValidationError("cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    static func trainingTable(_ r: TrainingStepBenchmark.Report, mpi: [String: Double]?, mpiProcesses: Int) -> String {
        func f(_ x: Double, _ d: Int) -> String { HumanFormat.fixed(x, d) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var lines = ["", "training steps (forward, backward, gradient sum, Adam; random weights), \(r.threads) threads per process:"]
        lines.append("  " + pad("step", 64) + lpad("showers/s", 11) + lpad("wall s", 9) + lpad("cores", 7) + lpad("GFLOP/s", 9))
        for m in r.measurements where m.showers > 0 {
            lines.append("  " + pad(m.label, 64) + lpad(f(m.showersPerSecond, 1), 11) + lpad(f(m.seconds, 3), 9)
                         + lpad(f(m.coresBusy, 2), 7) + lpad(f(m.usefulGFLOPS, 1), 9))
        }
        if let mpi {
            for (key, label) in [("teacher_train_workers", "teacher training step"), ("distill_workers", "distillation step")] {
                if let s = mpi["\(key)_showers_per_s"] {
                    lines.append("  " + pad("\(label), \(mpiProcesses) MPI processes x \(max(1, r.threads / mpiProcesses)) workers", 64)
                                 + lpad(f(s, 1), 11) + lpad(f(mpi["\(key)_seconds"] ?? .nan, 3), 9))
                }
            }
        }
        func ratio(_ a: FlowBenchmark.Measurement, _ b: FlowBenchmark.Measurement) -> String? {
            a.showers > 0 && b.showers > 0 ? f(a.showersPerSecond / b.showersPerSecond, 2) + "x" : nil
        }
        if let t = ratio(r.teacherWorkers, r.teacherThreaded) { lines.append("  teacher step, workers vs threaded products: \(t)") }
        if let d = ratio(r.distillWorkers, r.distillThreaded) { lines.append("  distillation step, workers vs threaded products: \(d)") }
        if let c = ratio(r.classifierWorkers, r.classifierThreaded) { lines.append("  classifier step, workers vs threaded products: \(c)") }
        if let mpi {
            for (key, m) in [("teacher_train_workers", r.teacherWorkers), ("distill_workers", r.distillWorkers)] where m.showers > 0 {
                if let s = mpi["\(key)_showers_per_s"] {
                    lines.append("  \(key): \(mpiProcesses) MPI processes vs 1 process with workers: \(f(s / m.showersPerSecond, 3))x")
                }
            }
        }
        lines.append("  gradient floats exchanged per step between processes (live entries of \(r.teacherParameters) / \(r.studentParameters) parameters): "
                     + "teacher \(r.teacherLiveFloats) (\(f(Double(r.teacherLiveFloats) * 4e-6, 1)) MB), distilled student \(r.studentLiveFloats) "
                     + "(\(f(Double(r.studentLiveFloats) * 4e-6, 1)) MB)")
        return lines.joined(separator: "\n") + "\n"
    }

    static func trainingJSON(_ r: TrainingStepBenchmark.Report, mpi: [String: Double]?, mpiProcesses: Int) -> [(String, Double)] {
        var out = [(String, Double)]()
        for m in r.measurements where m.showers > 0 {
            out += [("\(m.key)_showers_per_s", m.showersPerSecond), ("\(m.key)_seconds", m.seconds),
                    ("\(m.key)_cpu_seconds", m.cpuSeconds), ("\(m.key)_useful_gflops", m.usefulGFLOPS)]
        }
        out += [("training_processes", Double(r.processes)), ("training_threads", Double(r.threads)),
                ("teacher_live_floats", Double(r.teacherLiveFloats)), ("teacher_parameters", Double(r.teacherParameters)),
                ("student_live_floats", Double(r.studentLiveFloats)), ("student_parameters", Double(r.studentParameters))]
        if let mpi {
            out.append(("mpi_processes", Double(mpiProcesses)))
            for key in ["teacher_train_workers", "distill_workers"] {
                if let s = mpi["\(key)_showers_per_s"] { out.append(("mpi_\(key)_showers_per_s", s)) }
            }
        }
        return out
    }
}
