import CaloData
import CaloEvaluation
import CaloPipeline
import CaloRendering
import CaloTensor

/// `caloflow evaluate`: reference vs generated showers → classifier AUCs, feature histograms
/// with separation powers and layer images, in one self-contained HTML report plus JSON.
public struct EvaluateCommand: Command {
    public static let name = "evaluate"
    public static let abstract = "Compare generated showers with reference showers: classifier AUC, histograms, images."
    public static let discussion = """
        Reads the same number of showers from both files (the first N of each), applies the \
        voxel threshold to both, and runs the CaloFlow classifier test: a DNN with 3 hidden \
        layers of 512 (LeakyReLU 0.01, BCE with logits, Adam) learns to separate the samples; \
        the epoch with the best validation accuracy is kept and isotonic-calibrated on the \
        validation set; AUC, accuracy and JSD are measured on a held-out test set (60/20/20 \
        split of each class). Variants: low (the voxels + energies), low-normalized (voxels \
        divided by layer energy) and high (41 high-level features on CaloGAN showers, the \
        CaloChallenge's high-level input on its geometries). It also histograms the 51 CaloFlow \
        observables (CaloGAN) or the CaloChallenge's high-level features (its geometries) with \
        their separation power, computes the CaloChallenge metrics (FPD, KPD, separation powers), \
        and draws average showers (overall and in bins of incident energy) and single showers on \
        a shared log colour scale; CaloChallenge layers are drawn as (r, alpha) discs. Every \
        geometry works (CaloGAN, CaloChallenge datasets 1-3, a binning file), taken from the files \
        or --geometry. \
        Output: <dir>/report.html (self-contained), report.json (every number, the per-epoch \
        history included; written last, with "complete": true), images/*.png, plots/*.svg. \
        Several generated samples (--generated repeated or comma-separated, each optionally \
        labelled: teacher=a.h5) are compared with the same reference showers, classifier seeds \
        and splits, and put side by side in one report: report.json then holds one entry per \
        sample under "samples", each with the layout of a single-sample report under "result". \
        All files contribute the same number of showers (the smallest file's, or --events).
        """
    static let reference = Option.path("reference", short: "r", default: nil, help: "Reference shower file (e.g. Geant4): CaloGAN layout, or flat (CaloChallenge) layout of any geometry.")
    static let generated = Option.stringList("generated", short: "g", default: [], valueName: "[label=]file",
                                             help: "Generated shower file (CaloGAN or flat layout); repeat it or separate files by commas to compare several, each optionally labelled (teacher=a.h5; default label: the file name). Required.")
    static let output = Option.path("output", short: "o", default: nil, help: "Output folder (created if missing).")
    static let events = Option.optionalInt("events", short: "n", defaultLabel: "all (the smaller file)", range: 100...100_000_000,
                                           help: "Showers used from each file (the same number from both).")
    static let classifier = Option.stringList("classifier", default: ClassifierVariant.allCases.map(\.rawValue),
                                              valueName: "v1,v2", help: "Classifier variants: low, low-normalized, high, or none.")
    static let network = Option.string("classifier-network", default: ClassifierArchitecture.caloflow.rawValue, valueName: "name",
                                       help: "Classifier network: caloflow (3 x 512, lr 1e-3, patience 8) or calochallenge (the CaloChallenge's 2 x 2048, lr 2e-4, 50 epochs without early stopping); --epochs, --patience, --learning-rate and --batch-size given explicitly override the network's own.")
    static let runs = Option.int("classifier-runs", default: 1, range: 1...100,
                                 help: "Independent runs per variant (seeds seed, seed+1, ...); mean and std are reported.")
    static let epochs = Option.int("epochs", default: 50, range: 1...10_000, help: "Maximum classifier training epochs.")
    static let patience = Option.int("patience", default: 8, range: 0...10_000,
                                     help: "Stop when the validation accuracy has not improved for this many epochs (0 = never).")
    static let learningRate = Option.double("learning-rate", default: 1e-3, range: .positive, help: "Adam learning rate of the classifier.")
    static let batchSize = Option.int("batch-size", default: 1000, range: 1...1_000_000, help: "Classifier batch size.")
    static let shards = Option.optionalInt(
        "classifier-shards", defaultLabel: "threads", range: 1...4096,
        help: "Gradient shards per classifier step: each batch is cut into this many parts, computed by one worker thread each with one BLAS thread and summed in a fixed order, so the result depends on the seed and the shard count, not on --threads; 1 multiplies on all threads inside each product instead.")
    /// Below the voxel-energy histograms' upper edge (`HighLevelFeatures.clampMeV`, 100 GeV) by a decade.
    static let threshold = Option.double("threshold", default: 0.01, range: .between(0, 10_000),
                                         help: "Voxels below this energy in MeV are set to 0 in both samples (default 0.01 MeV for CaloGAN showers; a CaloChallenge dataset's own threshold for its showers: 1 MeV dataset 1, 0.0005 MeV dataset 2, 0.01515 MeV dataset 3).")
    static let fpdBatches = Option.int("fpd-batches", default: 20, range: 1...1000,
                                       help: "CaloChallenge FPD: batches drawn at each of its 10 sample sizes (jetnet's 20; fewer is faster and noisier: the cost grows with the number of high-level features, 226 for datasets 2 and 3).")
    static let kpdBatches = Option.int("kpd-batches", default: 10, range: 1...1000,
                                       help: "CaloChallenge KPD: batches of 5,000 showers (jetnet's 10).")
    static let rawInputs = Option.flag("raw-inputs", help: "Feed classifier inputs unstandardized, as CaloFlow does.")
    static let force = Option.flag("force", short: "f", help: "Replace an existing report in the output folder.")
    static let model = Option.stringList("model", default: [], valueName: "[label=]run",
                                         help: "Run directory (or teacher checkpoint) that made the showers: adds the latent calibration of the reference showers under its teacher, ||z||² against chi-squared(504), and, for a run directory, its best teacher log-likelihood and student KL. With several samples: one run for all, one per sample in order, or label=run.")
    static let latentEvents = Option.int("latent-events", default: 5000, range: 100...1_000_000,
                                         help: "Reference showers used for the latent calibration.")

    public static let options: [OptionSpec] = [reference.spec, generated.spec, output.spec, events.spec, classifier.spec,
                                               network.spec, runs.spec, epochs.spec, patience.spec, learningRate.spec, batchSize.spec,
                                               shards.spec, threshold.spec, fpdBatches.spec, kpdBatches.spec, rawInputs.spec, force.spec, model.spec,
                                               latentEvents.spec,
                                               GeometryOption.option.spec] + CommonOptions.specs
    public static let examples = [
        "evaluate --reference datasets/eplus.h5 --generated generated/eplus.h5 --output reports/eplus",
        "evaluate -r eplus_geant4.h5 -g eplus_student.h5 -o reports/student --classifier low,high --classifier-runs 5",
        "evaluate -r a.h5 -g b.h5 -o reports/quick --events 10000 --epochs 20 --classifier none",
        "evaluate -r eplus-reference.h5 -g teacher=runs/e/teacher.h5 -g student=runs/e/student.h5 --model runs/e -o reports/e --classifier-runs 3",
    ]

    /// Fewest showers per sample: below this the 20% test set is too small for a meaningful AUC.
    public static let minimumEvents = 100

    let referencePath: String
    let inputs: EvaluationInputs
    /// The generated file of a single-sample evaluation (the first sample).
    var generatedPath: String { inputs.samples[0].path }
    let outputDirectory: String
    let maxEvents: Int?
    let configuration: EvaluationConfiguration
    /// Whether --threshold was given (else a CaloChallenge dataset's own threshold applies).
    let thresholdGiven: Bool
    let overwrite: Bool
    let common: CommonOptions
    let arguments: [String]
    /// The model of a single-sample evaluation.
    var modelPath: String? { inputs.models[0] }
    let latentCount: Int
    let geometry: GeometryOption

    public init(_ a: ParsedArguments) throws {
        geometry = try GeometryOption(a)
        referencePath = a[Self.reference]
        inputs = try EvaluationInputs(generated: a[Self.generated], models: a[Self.model])
        outputDirectory = a[Self.output]
        maxEvents = a[Self.events]
        overwrite = a[Self.force]
        common = try CommonOptions(a)
        latentCount = a[Self.latentEvents]
        var c = EvaluationConfiguration()
        let names = a[Self.classifier]
        if names == ["none"] {
            c.variants = []
        } else if names.count > 1, names.contains("none") {
            throw ValidationError("--classifier: 'none' stands alone (no classifier); drop it or the other variants")
        } else {
            do { c.variants = try ClassifierVariant.parseList(names.joined(separator: ",")) } catch let e as EvaluationError {
                throw ValidationError("--classifier: \(e.message)")
            }
        }
        c.classifierRuns = a[Self.runs]
        do { c.classifier = try ClassifierArchitecture.parse(a[Self.network]).options } catch let e as EvaluationError {
            throw ValidationError("--classifier-network: \(e.message)")
        }
        if a.contains(Self.epochs) { c.classifier.maxEpochs = a[Self.epochs] }
        if a.contains(Self.patience) { c.classifier.patience = a[Self.patience] }
        if a.contains(Self.learningRate) { c.classifier.learningRate = a[Self.learningRate] }
        if a.contains(Self.batchSize) { c.classifier.batchSize = a[Self.batchSize] }
        c.classifier.standardize = !a[Self.rawInputs]
        c.classifier.shards = a[Self.shards] ?? min(common.threads, c.classifier.batchSize)
        if c.classifier.shards > c.classifier.batchSize {
            throw ValidationError("--classifier-shards \(c.classifier.shards): more shards than the \(c.classifier.batchSize) showers of a batch")
        }
        c.thresholdMeV = a[Self.threshold]
        thresholdGiven = a.contains(Self.threshold)
        if a.contains(Self.fpdBatches) || a.contains(Self.kpdBatches) {
            var o = ChallengeMetrics.Options()
            o.fpd.batchesPerPoint = a[Self.fpdBatches]
            o.kpd.batches = a[Self.kpdBatches]
            c.challenge = o
        }
        c.seed = common.seed
        configuration = c
        arguments = ["caloflow", Self.name] + Self.commandLine(a)
    }

    public func validate() throws {
        if let s = inputs.samples.first(where: { $0.path == referencePath }) {
            throw ValidationError("--reference and --generated\(inputs.samples.count > 1 ? " " + s.label : "") are the same file; "
                                  + "split one file yourself to test the classifier")
        }
    }

    public func run(_ context: CommandContext) throws {
        common.applyThreadSettings()
        let logger = common.makeLogger(context.console)
        let start = Clock.monotonicSeconds()
        if !overwrite, FileSystem.exists(outputDirectory + "/report.json") {
            throw ValidationError("\(outputDirectory) already holds a report; pass --force to replace it")
        }
        if FileSystem.exists(outputDirectory) && !FileSystem.isDirectory(outputDirectory) {
            throw ValidationError("--output \(outputDirectory) exists and is not a folder")
        }
        for s in inputs.samples where FileSystem.isDirectory(s.path) {
            throw ValidationError("--generated \(s.path) is a folder; give a shower file (make one from a run with "
                                  + "'caloflow generate --model \(s.path) --energies-from \(referencePath) -o FILE', and pass the run as --model)")
        }
        if inputs.samples.count > 1 {
            try runComparison(context, logger: logger, start: start)
            return
        }

        // Validate both files completely before computing anything or creating the folder.
        let requested = try geometry.resolve()
        let refReader = try ShowerFileReader(path: referencePath, geometry: requested)
        let genReader = try ShowerFileReader(path: generatedPath, geometry: requested)
        try Self.checkGeometries(refReader, [genReader], models: [modelPath])
        let n = min(maxEvents ?? Int.max, refReader.eventsInFile, genReader.eventsInFile)
        guard n >= Self.minimumEvents else {
            throw ValidationError("too few showers: \(referencePath) has \(refReader.eventsInFile), \(generatedPath) has "
                                  + "\(genReader.eventsInFile); evaluate needs at least \(Self.minimumEvents) in each")
        }
        var provenance = EvaluationProvenance(
            referencePath: referencePath, generatedPath: generatedPath, referenceEventsInFile: refReader.eventsInFile,
            generatedEventsInFile: genReader.eventsInFile, eventsUsed: n, referenceParticle: refReader.metadata.particle,
            generatedParticle: genReader.metadata.particle, referenceGenerator: refReader.metadata.generator,
            generatedGenerator: genReader.metadata.generator, appVersion: BuildInfo.version,
            startedAt: ShowerFileMetadata.utcTimestamp(), threads: common.threads, commandLine: arguments.joined(separator: " "))
        if let p = refReader.metadata.particle, let q = genReader.metadata.particle, p != q {
            provenance.warnings.append("the files hold different particles: reference '\(p)', generated '\(q)'")
        }
        if refReader.eventsInFile != genReader.eventsInFile, maxEvents == nil || maxEvents! > n {
            provenance.warnings.append("the files hold \(refReader.eventsInFile) and \(genReader.eventsInFile) showers; using the first \(n) of each")
        }
        logger.info("reading \(n) showers from \(referencePath) and \(generatedPath)")
        let reference = try refReader.read(0..<n), generated = try genReader.read(0..<n)
        try refReader.close(); try genReader.close()
        let depositKey = ShowerFileLayout.AttributeName.deposit
        if let w = DepositConsistency.warning(reference: reference, generated: generated,
                                              referenceDeposit: refReader.metadata.extra[depositKey],
                                              generatedDeposit: genReader.metadata.extra[depositKey]) {
            provenance.warnings.append(w)
        }

        let configuration = self.configuration(for: reference.geometry)
        let run = try EvaluationRun(reference: reference, generated: generated, configuration: configuration,
                                    provenance: provenance, onEvent: progress(logger))
        for w in provenance.warnings { logger.warning(w) }
        if run.result.incidentEnergy.pValue < 1e-3 {
            logger.warning("the incident-energy spectra differ (KS p = \(run.result.incidentEnergy.pValue)); the classifier sees log E_inc")
        }
        var latent: LatentCalibration? = nil
        var teacherPath = ""
        if let m = modelPath {
            teacherPath = Self.teacherCheckpoint(model: m)
            latent = try latentCalibration(teacherPath, reference: reference, logger: logger)
        }
        logger.info("writing the report to \(outputDirectory)")
        let (files, result) = try EvaluationReportWriter(directory: outputDirectory, latentCalibration: latent, latentModel: teacherPath)
            .write(run, elapsedBeforeReport: Clock.monotonicSeconds() - start)
        context.console.output.write(Self.summary(result, reportPath: files.reportHTML))
    }

    /// The configuration for showers of `geometry`: without --threshold, the showers of a
    /// CaloChallenge dataset take that dataset's own threshold (1 MeV for dataset 1, 0.5 keV for 2,
    /// 15.15 keV for 3, as the challenge's evaluate.py); CaloGAN showers and a user's binning keep
    /// the --threshold default.
    func configuration(for geometry: CalorimeterGeometry) -> EvaluationConfiguration {
        var c = configuration
        if !thresholdGiven, !geometry.isCaloGAN, let t = geometry.dataset?.thresholdMeV { c.thresholdMeV = t }
        return c
    }

    /// Every file must hold showers of one geometry and every model must fit it.
    /// - Parameters:
    ///   - gens: the generated files' readers, in the order of `--generated`.
    ///   - models: the `--model` of each sample (run directory or teacher checkpoint), nil where none.
    static func checkGeometries(_ ref: ShowerFileReader, _ gens: [ShowerFileReader], models: [String?]) throws {
        let g = ref.geometry
        for gen in gens where !g.hasSameVoxels(as: gen.geometry) {
            throw ValidationError("\(ref.path) holds showers of the geometry \(g.name) (\(g.voxelCount) voxels) and \(gen.path) "
                                  + "showers of \(gen.geometry.name) (\(gen.geometry.voxelCount) voxels); evaluate compares showers of one geometry")
        }
        for m in Set(models.compactMap { $0 }).sorted() {
            let teacher = teacherCheckpoint(model: m)
            try ModelCheckpoint.requireGeometry(try ModelCheckpoint.geometry(path: teacher), of: teacher, fits: g, source: "\(ref.path) holds showers")
        }
    }

    /// Logs the stages, classifier epochs and runs of an evaluation (each line after `prefix`).
    func progress(_ logger: Logger, prefix: String = "") -> (EvaluationRun.Event) -> Void {
        let maxEpochs = configuration.classifier.maxEpochs
        return { event in
            switch event {
            case .stage(let s): logger.info(prefix + s)
            case .epoch(let v, let k, let e):
                logger.info("  \(prefix)\(v.title) run \(k + 1) epoch \(e.epoch)/\(maxEpochs): "
                            + "train loss \(HumanFormat.fixed(e.trainLoss, 4)), val loss \(HumanFormat.fixed(e.validationLoss, 4)), "
                            + "val acc \(HumanFormat.fixed(e.validationAccuracy, 4)), val AUC \(HumanFormat.fixed(e.validationAUC, 4)) "
                            + "(\(HumanFormat.duration(e.seconds)))")
            case .run(let r, let k):
                logger.info("  \(prefix)\(r.variant.title) run \(k + 1): test AUC \(HumanFormat.fixed(r.scores.auc, 4)), "
                            + "calibrated AUC \(HumanFormat.fixed(r.scores.calibratedAUC, 4)), JSD \(HumanFormat.fixed(r.scores.jsd, 4)) "
                            + "(best epoch \(r.bestEpoch) of \(r.history.count), stopped by \(r.stopReason))")
            }
        }
    }

    /// The teacher checkpoint of `--model`: teacher-best.h5 of a run directory, or the file itself.
    static func teacherCheckpoint(model: String) -> String {
        FileSystem.isDirectory(model) ? RunDirectory(path: model).checkpointPath(stage: "teacher", .best) : model
    }

    /// The latent calibration of the first `--latent-events` reference showers under a teacher.
    func latentCalibration(_ teacherPath: String, reference: ShowerBatch, logger: Logger) throws -> LatentCalibration {
        let k = min(latentCount, reference.count)
        logger.info("latent calibration: \(k) reference showers through \(teacherPath)")
        let z = try LatentCodes.compute(checkpointPath: teacherPath, showers: reference.slice(0..<k), seed: common.seed)
        let c = try LatentCalibration(latents: z)
        logger.info("latent calibration: mean ||z||² \(HumanFormat.fixed(c.mean, 1)) (chi-squared expects \(c.dimension)), "
                    + "variance \(HumanFormat.fixed(c.variance, 1)) (expects \(2 * c.dimension)), KS p = \(c.ks.pValue)")
        return c
    }

    // MARK: - Text

    /// The final console summary: the AUC table and where the report is.
    static func summary(_ r: EvaluationResult, reportPath: String) -> String {
        var s = "\nclassifier test, \(r.provenance.eventsUsed) showers per sample (\(r.provenance.referencePath) vs \(r.provenance.generatedPath))\n"
        if r.classifiers.isEmpty {
            s += "  (no classifier trained)\n"
        } else {
            s += "  " + "classifier".padding(22) + "AUC".padding(18) + "calibrated AUC".padding(18) + "JSD\n"
            for c in r.classifiers {
                s += "  " + c.variant.title.padding(22) + pm(c.auc).padding(18) + pm(c.calibratedAUC).padding(18) + pm(c.jsd) + "\n"
            }
        }
        if let worst = r.featuresBySeparation.first, let sp = worst.separationPower {
            s += "largest separation power: \(worst.name) \(HumanFormat.fixed(sp, 4))\n"
        }
        if let m = r.challengeMetrics { s += "CaloChallenge metrics: \(m.summary)\n" }
        s += "total time \(HumanFormat.duration(r.timings["total"] ?? 0))\n"
        return s + "report: \(reportPath)\n"
    }

    static func pm(_ m: MeanAndSpread) -> String {
        m.count > 1 ? "\(HumanFormat.fixed(m.mean, 4)) ± \(HumanFormat.fixed(m.standardDeviation, 4))" : HumanFormat.fixed(m.mean, 4)
    }

    /// The effective options as a command line (recorded in the report).
    static func commandLine(_ a: ParsedArguments) -> [String] {
        a.optionValues.keys.sorted().map { key -> String in
            if case .flag = a.optionValues[key]! { return "--\(key)" }
            return "--\(key) " + text(a.optionValues[key]!)
        }
    }

    static func text(_ v: ParsedValue) -> String {
        switch v {
        case .flag(let b): return String(b)
        case .integer(let i): return String(i)
        case .unsignedInteger(let u): return String(u)
        case .real(let x): return String(x)
        case .text(let s): return s
        case .list(let items): return items.map(text).joined(separator: ",")
        }
    }
}

extension String {
    /// Left-aligned in a field of `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
