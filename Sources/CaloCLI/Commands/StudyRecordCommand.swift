import Foundation
import CaloData
import CaloEvaluation
import CaloPipeline
import CaloRendering

/// `caloflow study-record`: appends one point of the quality-vs-cost study to a results file,
/// from what the point produced (run directory, stage CPU-time log, evaluation report, data
/// files). `scripts/study/run-point.sh` calls it; `--check` tells the script whether a point is
/// already recorded, so it can skip it.
public struct StudyRecordCommand: Command {
    public static let name = "study-record"
    public static let abstract = "Append one point of the quality-vs-cost study to a results file (used by scripts/study/run-point.sh)."
    public static let discussion = """
        Collects one study point into a JSON line of the results file: particle, label, the \
        configuration and the SHA-256 of its bytes, the commit and caloflow version, the CPU \
        and wall time of every stage from the stage log (CPU hours of training: Flow I + \
        teacher for the teacher, plus distillation for the student), the teacher's best \
        validation log-likelihood and the student's best KL from the run's metrics, the \
        classifier AUC and JSD (mean, standard deviation, runs) of the teacher's and the \
        student's samples from the evaluation report (a multi-sample report with samples \
        labelled teacher and student, evaluated with --model <run>), the seeds read from the \
        data files, the run and the generated files, threads, CPU model and cores. A \
        (particle, label) pair is recorded once: a second record is refused. The file is \
        rewritten through a temporary file, so it never holds a partial line. With --check it \
        prints 'recorded' or 'absent' and exits 0, or fails when the label is recorded with \
        another configuration. With --same-teacher-as it first checks that --config trains the \
        same Flow I and teacher as the given configuration (equal preprocessing, flowI and \
        teacher sections), for a point that reuses another point's trained teacher.
        """
    static let results = Option.path("results", default: nil, help: "Results file (JSON Lines; created if missing).")
    static let particle = Option.string("particle", short: "p", default: nil, help: "Particle of the point: eplus, gamma or piplus.")
    static let label = Option.string("label", default: nil, help: "Name of the point (letters, digits, . _ + -), unique per particle.")
    static let config = Option.path("config", short: "c", default: nil, help: "The configuration file the point trained with.")
    static let check = Option.flag("check", help: "Only say whether the point is recorded ('recorded' or 'absent').")
    static let run = Option.optionalPath("run", help: "The point's run directory.")
    static let report = Option.optionalPath("report", help: "report.json of the point's evaluation (teacher and student samples).")
    static let stageTimes = Option.optionalPath("stage-times", help: "The point's stage log (start/end lines with CPU and wall seconds).")
    static let trainingData = Option.optionalPath("training-data", help: "The training shower file.")
    static let commit = Option.string("commit", default: "unknown", help: "Source revision of the build (e.g. git describe --always --dirty).")
    static let commandText = Option.string("command", default: "", help: "The command that reproduces the point (recorded as is).")
    static let teacherLabel = Option.string("teacher-sample", default: "teacher", help: "Label of the teacher's sample in the report.")
    static let studentLabel = Option.string("student-sample", default: "student", help: "Label of the student's sample in the report.")
    static let sameTeacher = Option.optionalPath(
        "same-teacher-as", help: "A configuration (e.g. another point's run/config.json) whose preprocessing, flowI and teacher sections --config must equal: the point reuses that run's Flow I and teacher.")
    public static let options: [OptionSpec] = [results.spec, particle.spec, label.spec, config.spec, check.spec, run.spec, report.spec,
                                               stageTimes.spec, trainingData.spec, commit.spec, commandText.spec,
                                               teacherLabel.spec, studentLabel.spec, sameTeacher.spec]
    public static let examples = [
        "study-record --results study/results.jsonl -p eplus --label w0.5 --config configs/study/w0.5.json --check",
        "study-record --results study/results.jsonl -p eplus --label w0.5 --config configs/study/w0.5.json --run study/eplus/w0.5/run "
            + "--report study/eplus/w0.5/report/report.json --stage-times study/eplus/w0.5/stages.tsv --training-data datasets/study/eplus-train.h5",
    ]

    /// Stages whose CPU time counts as training, in order.
    static let trainingStages = ["flow1", "teacher", "student"]

    let resultsPath: String
    let particleName: String
    let labelName: String
    let configPath: String
    let checkOnly: Bool
    let runPath: String?
    let reportPath: String?
    let stagesPath: String?
    let trainingPath: String?
    let commitText: String
    let reproduce: String
    let teacherSample: String
    let studentSample: String
    let sameTeacherPath: String?

    public init(_ a: ParsedArguments) throws {
        resultsPath = a[Self.results]
        guard let p = Particle(name: a[Self.particle]) else {
            throw ValidationError("--particle: unknown particle '\(a[Self.particle])'; use eplus, gamma or piplus")
        }
        particleName = p.rawValue
        labelName = a[Self.label]
        guard EvaluationInputs.isValidLabel(labelName) else {
            throw ValidationError("--label: '\(labelName)' is not a valid label (1-\(EvaluationInputs.maximumLabelLength) letters, digits or . _ + -, starting with a letter or digit)")
        }
        configPath = a[Self.config]
        checkOnly = a[Self.check]
        runPath = a[Self.run]
        reportPath = a[Self.report]
        stagesPath = a[Self.stageTimes]
        trainingPath = a[Self.trainingData]
        commitText = a[Self.commit]
        reproduce = a[Self.commandText]
        teacherSample = a[Self.teacherLabel]
        studentSample = a[Self.studentLabel]
        sameTeacherPath = a[Self.sameTeacher]
    }

    public func validate() throws {
        guard !checkOnly else { return }
        let missing = [("--run", runPath), ("--report", reportPath), ("--stage-times", stagesPath), ("--training-data", trainingPath)]
            .filter { $0.1 == nil }.map(\.0)
        if !missing.isEmpty { throw ValidationError("recording a point needs " + missing.joined(separator: ", ") + " (or pass --check)") }
    }

    public func run(_ context: CommandContext) throws {
        if let other = sameTeacherPath { try Self.requireSameTeacher(configPath, other) }
        let existing = FileSystem.exists(resultsPath) ? try Self.readText(resultsPath) : ""
        let results = try QualityStudyResults(text: existing, source: resultsPath)
        let configBytes = Array(try Self.readData(configPath, what: "--config"))
        let hash = SHA256.hex(configBytes)
        if let p = results.point(particle: particleName, label: labelName) {
            guard p.configSha256 == hash else {
                throw ValidationError("\(resultsPath) holds the \(particleName) point '\(labelName)' with another configuration "
                                      + "(\(p.config), SHA-256 \(p.configSha256.prefix(12))…; now \(configPath), \(hash.prefix(12))…); "
                                      + "give the new configuration another label")
            }
            if checkOnly { context.console.output.write("recorded\n"); return }
            throw ValidationError("\(resultsPath) already holds the \(particleName) point '\(labelName)'")
        }
        if checkOnly { context.console.output.write("absent\n"); return }

        let point = try collect(configHash: hash)
        let line = try QualityStudyResults.line(point)
        let text = existing.isEmpty || existing.hasSuffix("\n") ? existing : existing + "\n"
        try AtomicFile.write(text: text + line + "\n", to: resultsPath)
        let auc = { (f: QualityStudyPoint.Flow) in
            ClassifierVariant.allCases.compactMap { v in f.auc[v.rawValue].map { "\(v.rawValue) \(HumanFormat.fixed($0.mean, 3))" } }
                .joined(separator: ", ")
        }
        context.console.output.write("""
            recorded \(particleName) '\(labelName)' in \(resultsPath)
              teacher: \(HumanFormat.fixed(point.teacher.trainingCpuHours, 3)) CPU hours, AUC \(auc(point.teacher))
              student: \(HumanFormat.fixed(point.student.trainingCpuHours, 3)) CPU hours, AUC \(auc(point.student))

            """)
    }

    /// Gathers the point from the run, the stage log, the report and the files.
    func collect(configHash: String) throws -> QualityStudyPoint {
        let stageLog = try QualityStudyStageTimes(text: try Self.readText(stagesPath!), source: stagesPath!)
        for s in Self.trainingStages {
            guard let t = stageLog.stages[s], t.attempts > 0 else {
                throw ValidationError("\(stagesPath!): no finished '\(s)' stage; the point is not complete")
            }
            guard t.lastStatus == 0 else {
                throw ValidationError("\(stagesPath!): the last '\(s)' attempt ended with status \(t.lastStatus.map(String.init) ?? "?"); the point is not complete")
            }
        }
        let stages = stageLog.stages.mapValues {
            // milliseconds: the resolution of the stage log
            QualityStudyPoint.StageTime(cpuSeconds: ($0.cpuSeconds * 1000).rounded() / 1000,
                                        wallSeconds: ($0.wallSeconds * 1000).rounded() / 1000, attempts: $0.attempts)
        }
        func hours(_ names: ArraySlice<String>, _ key: KeyPath<QualityStudyPoint.StageTime, Double>) -> Double {
            names.reduce(0) { $0 + (stages[$1]?[keyPath: key] ?? 0) } / 3600
        }

        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let report: EvaluationComparisonResult
        do {
            report = try decoder.decode(EvaluationComparisonResult.self, from: try Self.readData(reportPath!, what: "--report"))
        } catch let e as DecodingError {
            throw ValidationError("\(reportPath!) is not the report of a multi-sample evaluation: \(QualityStudyResults.describe(e))")
        }
        guard report.complete else { throw ValidationError("\(reportPath!) is not complete (the evaluation did not finish)") }
        func sample(_ label: String) throws -> EvaluationSample {
            guard let s = report.sample(label) else {
                throw ValidationError("\(reportPath!) has no sample labelled '\(label)' (samples: \(report.samples.map(\.label).joined(separator: ", ")))")
            }
            return s
        }
        let teacher = try sample(teacherSample), student = try sample(studentSample)

        let run = RunDirectory(path: runPath!)
        try run.requireRunFiles()
        let invocations = try run.invocations()
        let training = try EvaluateCommand.trainingSummary(run: runPath!)
        let trainingFile = try ShowerFileReader(path: trainingPath!, validateContent: false)
        let referenceFile = try ShowerFileReader(path: report.referencePath, validateContent: false)
        let generatedSeed = try? ShowerFileReader(path: student.path, validateContent: false).metadata.seed
        for (what, path, particle) in [("--training-data", trainingPath!, trainingFile.metadata.particle),
                                       ("the report's reference", report.referencePath, referenceFile.metadata.particle)] {
            if let particle, particle != particleName {
                throw ValidationError("\(what) \(path) holds \(particle) showers, not \(particleName)")
            }
        }
        // (a relative path in run.json is relative to where train-teacher ran: checked only when it resolves here)
        if let trained = invocations.last(where: { $0.command == "train-teacher" })?.dataFile, FileSystem.exists(trained),
           Self.canonical(trained) != Self.canonical(trainingPath!) {
            throw ValidationError("--training-data \(trainingPath!) is not the file the run was trained on (\(trained))")
        }

        func flow(_ s: EvaluationSample, stages names: ArraySlice<String>, teacherSide: Bool) -> QualityStudyPoint.Flow {
            var auc: [String: QualityStudyPoint.Score] = [:], jsd: [String: QualityStudyPoint.Score] = [:]
            for c in s.result.classifiers {
                auc[c.variant.rawValue] = QualityStudyPoint.Score(c.auc)
                jsd[c.variant.rawValue] = QualityStudyPoint.Score(c.jsd)
            }
            return QualityStudyPoint.Flow(
                trainingCpuHours: hours(names, \.cpuSeconds), trainingWallHours: hours(names, \.wallSeconds),
                validationLogLikelihood: teacherSide ? training.teacherValidationLogLikelihood : nil,
                kl: teacherSide ? nil : training.studentValidationKL,
                epochs: teacherSide ? training.teacherEpochs : training.studentEpochs,
                bestEpoch: teacherSide ? training.teacherBestEpoch : training.studentBestEpoch,
                auc: auc, jsd: jsd, generated: s.path)
        }
        let trainingRuns = invocations.filter { ["train-teacher", "distill"].contains($0.command) }
        return QualityStudyPoint(
            particle: particleName, label: labelName, config: configPath, configSha256: configHash, commit: commitText,
            caloflowVersion: BuildInfo.version, recordedAt: ShowerFileMetadata.utcTimestamp(),
            threads: trainingRuns.last?.threads ?? 0, cpu: Self.cpuModel(), cores: CommonOptions.onlineCores,
            seeds: .init(trainingData: trainingFile.metadata.seed, referenceData: referenceFile.metadata.seed,
                         training: trainingRuns.last?.seed, generation: generatedSeed, evaluation: report.configuration.seed),
            trainingEvents: trainingFile.eventsInFile, referenceEvents: report.referenceEventsInFile, evaluatedEvents: report.eventsUsed,
            classifierRuns: report.configuration.classifierRuns, stages: stages, cpuTimeComplete: stageLog.complete,
            teacher: flow(teacher, stages: Self.trainingStages[0..<2], teacherSide: true),
            student: flow(student, stages: Self.trainingStages[0..<3], teacherSide: false),
            report: reportPath!, command: reproduce)
    }

    /// Throws unless the configurations at `path` and `other` train the same Flow I and teacher:
    /// equal preprocessing, `flowI` and `teacher` sections (names, descriptions, the student and
    /// time limits may differ). A time limit on train-teacher in either is refused: its plan
    /// depends on the machine, so equal sections would not mean the same training.
    static func requireSameTeacher(_ path: String, _ other: String) throws {
        let a = try CaloFlowConfig.load(path: path), b = try CaloFlowConfig.load(path: other)
        let differing = [("preprocessing", a.preprocessing == b.preprocessing), ("flowI", a.flowI == b.flowI),
                         ("teacher", a.teacher == b.teacher)].filter { !$0.1 }.map(\.0)
        guard differing.isEmpty else {
            throw ValidationError("\(path) and \(other) differ in " + differing.joined(separator: ", ")
                                  + "; a point reuses a teacher only from a configuration with the same preprocessing, flowI and teacher")
        }
        for (p, c) in [(path, a), (other, b)] where c.timeLimit?.trainTeacherSeconds != nil {
            throw ValidationError("\(p) limits train-teacher's time; a teacher trained to a time limit cannot be reused by another point")
        }
    }

    /// The absolute path with symbolic links resolved (the path itself when it cannot be resolved).
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// The CPU's model name from /proc/cpuinfo ("unknown" elsewhere).
    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    static func readData(_ path: String, what: String) throws -> Data {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(what) \(path): " + (FileSystem.exists(path) ? "cannot be read" : "no such file"))
        }
        return d
    }

    static func readText(_ path: String) throws -> String {
        String(decoding: try readData(path, what: "file"), as: UTF8.self)
    }
}
