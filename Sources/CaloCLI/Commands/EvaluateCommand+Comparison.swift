import CaloData
import CaloEvaluation
import CaloPipeline
import CaloRendering
import CaloTensor

/// `caloflow evaluate` with several generated samples: every file is checked (layout, size,
/// content) and every model read before anything is computed; then the reference is prepared
/// once and each sample is compared with it in turn (one sample in memory at a time), with the
/// same showers, classifier seeds and splits; one report puts them side by side.
extension EvaluateCommand {
    func runComparison(_ context: CommandContext, logger: Logger, start: Double) throws {
        let samples = inputs.samples
        let requested = try geometry.resolve()
        let refReader = try ShowerFileReader(path: referencePath, geometry: requested)
        let readers = try samples.map { try ShowerFileReader(path: $0.path, geometry: requested) }
        try Self.checkGeometries(refReader, readers, models: [])   // the models once they are known to exist (below)
        let n = min(maxEvents ?? Int.max, readers.reduce(refReader.eventsInFile) { min($0, $1.eventsInFile) })
        guard n >= Self.minimumEvents else {
            let counts = zip(samples, readers).map { "\($0.label) (\($0.path)) has \($1.eventsInFile)" }.joined(separator: ", ")
            throw ValidationError("too few showers: \(referencePath) has \(refReader.eventsInFile), \(counts); "
                                  + "evaluate needs at least \(Self.minimumEvents) in each")
        }
        var warnings: [String] = []
        if maxEvents == nil || maxEvents! > n, readers.contains(where: { $0.eventsInFile != refReader.eventsInFile }) {
            warnings.append("the files hold \(refReader.eventsInFile) (reference), "
                            + zip(samples, readers).map { "\($1.eventsInFile) (\($0.label))" }.joined(separator: ", ")
                            + " showers; using the first \(n) of each")
        }
        let commandLine = arguments.joined(separator: " ")
        let startedAt = ShowerFileMetadata.utcTimestamp()
        var provenances: [EvaluationProvenance] = []
        for (s, r) in zip(samples, readers) {
            var p = EvaluationProvenance(
                referencePath: referencePath, generatedPath: s.path, referenceEventsInFile: refReader.eventsInFile,
                generatedEventsInFile: r.eventsInFile, eventsUsed: n, referenceParticle: refReader.metadata.particle,
                generatedParticle: r.metadata.particle, referenceGenerator: refReader.metadata.generator,
                generatedGenerator: r.metadata.generator, appVersion: BuildInfo.version, startedAt: startedAt,
                threads: common.threads, commandLine: commandLine)
            if let a = refReader.metadata.particle, let b = r.metadata.particle, a != b {
                p.warnings.append("the files hold different particles: reference '\(a)', generated '\(b)'")
                warnings.append("\(s.label): the files hold different particles: reference '\(a)', generated '\(b)'")
            }
            provenances.append(p)
        }

        // The models: checkpoints readable and run summaries before any long computation.
        var training: [ModelTrainingSummary?] = []
        var teacherPaths: [String?] = []
        for m in inputs.models {
            guard let m else { training.append(nil); teacherPaths.append(nil); continue }
            guard FileSystem.exists(m) else { throw ValidationError("--model \(m): no such run directory or checkpoint") }
            let teacher = Self.teacherCheckpoint(model: m)
            guard FileSystem.exists(teacher) else { throw ValidationError("--model \(m): no teacher checkpoint \(teacher)") }
            teacherPaths.append(teacher)
            training.append(FileSystem.isDirectory(m) ? try Self.trainingSummary(run: m) : nil)
        }
        try Self.checkGeometries(refReader, readers, models: inputs.models)

        // Every shower is checked before the first classifier trains (a NaN in the last file must
        // not cost the evaluation of the others).
        logger.info("reading \(n) showers from \(referencePath) and checking \(samples.count) generated files")
        let referenceShowers = try refReader.read(0..<n)
        try refReader.close()
        for r in readers { _ = try r.read(0..<n) }

        var latents: [String: LatentCalibration] = [:]
        for t in teacherPaths.compactMap({ $0 }) where latents[t] == nil {
            latents[t] = try latentCalibration(t, reference: referenceShowers, logger: logger)
        }

        let configuration = self.configuration(for: referenceShowers.geometry)
        var timings: [String: Double] = [:]
        var t0 = Clock.monotonicSeconds()
        logger.info("reference: high-level features")
        let reference = try EvaluationReference(referenceShowers, thresholdMeV: configuration.thresholdMeV)
        timings["reference"] = Clock.monotonicSeconds() - t0
        var entries: [ComparisonReportWriter.Sample] = []
        for (k, s) in samples.enumerated() {
            t0 = Clock.monotonicSeconds()
            logger.info("sample \(k + 1)/\(samples.count) '\(s.label)': \(s.path)")
            let generated = try readers[k].read(0..<n)
            try readers[k].close()
            let depositKey = ShowerFileLayout.AttributeName.deposit
            if let w = DepositConsistency.warning(reference: referenceShowers, generated: generated,
                                                  referenceDeposit: refReader.metadata.extra[depositKey],
                                                  generatedDeposit: readers[k].metadata.extra[depositKey]) {
                provenances[k].warnings.append(w)
                warnings.append("\(s.label): \(w)")
            }
            let run = try EvaluationRun(reference: reference, generated: generated, configuration: configuration,
                                        provenance: provenances[k], onEvent: progress(logger, prefix: "\(s.label): "))
            if run.result.incidentEnergy.pValue < 1e-3 {
                let message = "\(s.label): the incident-energy spectra differ (KS p = \(run.result.incidentEnergy.pValue)); the classifier sees log E_inc"
                logger.warning(message)
                warnings.append(message)
            }
            var result = run.result
            if let t = teacherPaths[k], let c = latents[t] { result.latentCalibration = LatentCalibrationSummary(c, model: t) }
            let summary = EvaluationSample(label: s.label, path: s.path, flow: Self.flow(generator: readers[k].metadata.generator),
                                           training: training[k], result: result)
            entries.append(ComparisonReportWriter.Sample(summary: summary, images: run.images))
            timings["sample \(s.label)"] = Clock.monotonicSeconds() - t0
        }
        for w in warnings { logger.warning(w) }

        let comparison = EvaluationComparisonResult(
            referencePath: referencePath, referenceEventsInFile: refReader.eventsInFile, referenceParticle: refReader.metadata.particle,
            referenceGenerator: refReader.metadata.generator, eventsUsed: n, configuration: configuration,
            samples: entries.map(\.summary), appVersion: BuildInfo.version, startedAt: startedAt, threads: common.threads,
            commandLine: commandLine, warnings: warnings, timings: timings)
        logger.info("writing the report to \(outputDirectory)")
        let (files, result) = try ComparisonReportWriter(directory: outputDirectory, latentCalibrations: latents)
            .write(comparison, samples: entries, elapsedBeforeReport: Clock.monotonicSeconds() - start)
        context.console.output.write(Self.summary(result, reportPath: files.reportHTML))
    }

    /// The best epochs of a run directory's stages (metrics.jsonl).
    static func trainingSummary(run path: String) throws -> ModelTrainingSummary {
        let run = RunDirectory(path: path)
        try run.requireRunFiles()
        let stages = StageMetricsSummary.summarise(try run.readMetrics().records)
        var t = ModelTrainingSummary(model: path)
        t.flow1ValidationLogLikelihood = stages["flow1"]?.bestValue
        t.teacherValidationLogLikelihood = stages["teacher"]?.bestValue
        t.teacherBestEpoch = stages["teacher"]?.bestEpoch
        t.teacherEpochs = stages["teacher"]?.epochs
        t.studentValidationKL = stages["student"]?.bestValue
        t.studentBestEpoch = stages["student"]?.bestEpoch
        t.studentEpochs = stages["student"]?.epochs
        return t
    }

    /// "teacher" or "student" for files `caloflow generate` wrote (generator "caloflow <flow> (<run>)").
    static func flow(generator: String?) -> String? {
        guard let g = generator else { return nil }
        for f in ["teacher", "student"] where g.hasPrefix("caloflow \(f)") { return f }
        return nil
    }

    /// The console summary of a comparison: AUC (and JSD) per sample and variant, and where the report is.
    static func summary(_ r: EvaluationComparisonResult, reportPath: String) -> String {
        var s = "\nclassifier test, \(r.eventsUsed) showers per sample against \(r.referencePath)\n"
        if r.configuration.variants.isEmpty {
            s += "  (no classifier trained)\n"
        } else {
            let width = max(10, (r.samples.map(\.label.count).max() ?? 0) + 2)
            let columns = r.configuration.variants.map { v in ("AUC \(v.title)", max(20, v.title.count + 6)) }
            s += "  " + "sample".padding(width) + columns.map { $0.0.padding($0.1) }.joined() + "\n"
            for sample in r.samples {
                s += "  " + sample.label.padding(width) + zip(r.configuration.variants, columns).map { v, c in
                    (sample.result.classifiers.first { $0.variant == v }.map { pm($0.auc) } ?? "-").padding(c.1)
                }.joined() + "\n"
            }
        }
        for sample in r.samples {
            if let worst = sample.result.featuresBySeparation.first, let sp = worst.separationPower {
                s += "\(sample.label): largest separation power: \(worst.name) \(HumanFormat.fixed(sp, 4))\n"
            }
            if let m = sample.result.challengeMetrics { s += "\(sample.label): CaloChallenge metrics: \(m.summary)\n" }
        }
        s += "total time \(HumanFormat.duration(r.timings["total"] ?? 0))\n"
        return s + "report: \(reportPath)\n"
    }
}
