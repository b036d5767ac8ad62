import Glibc
import CaloTensor
import CaloData

/// The numerical part of `caloflow evaluate`: reference vs generated showers → classifier
/// tests, feature comparisons and the data of the images. Rendering and files are elsewhere
/// (CaloRendering's `EvaluationReportWriter`); this type knows nothing of pictures or paths.
public struct EvaluationRun: Sendable {
    /// Every number (the report.json content, still marked incomplete).
    public var result: EvaluationResult
    /// The data of the images.
    public let images: EvaluationImages

    /// Progress reports while computing.
    public enum Event {
        /// A stage started, e.g. "high-level features".
        case stage(String)
        /// A classifier epoch finished: variant, 0-based run index, epoch record.
        case epoch(ClassifierVariant, Int, ClassifierEpoch)
        /// A classifier run finished.
        case run(ClassifierRun, Int)
    }

    /// Runs the whole evaluation on two samples of equal size.
    ///
    /// - Throws: `EvaluationError` when the samples are empty or differ in size, the threshold
    ///   is invalid, or a classifier cannot be trained (too few showers for the split).
    public init(reference: ShowerBatch, generated: ShowerBatch, configuration: EvaluationConfiguration,
                provenance: EvaluationProvenance, onEvent: (Event) -> Void = { _ in }) throws {
        guard reference.count > 0, generated.count > 0 else { throw EvaluationError("evaluate: a sample is empty") }
        guard configuration.thresholdMeV >= 0, configuration.thresholdMeV.isFinite else {
            throw EvaluationError("evaluate: threshold \(configuration.thresholdMeV) MeV must be >= 0")
        }
        guard configuration.classifierRuns >= 1 else { throw EvaluationError("evaluate: classifier runs must be >= 1") }
        try configuration.classifier.validate()
        let t = ClassifierTraining.monotonicNow()
        let prepared = try EvaluationReference(reference, thresholdMeV: configuration.thresholdMeV)
        try self.init(reference: prepared, generated: generated, configuration: configuration, provenance: provenance,
                      referenceSeconds: ClassifierTraining.monotonicNow() - t, onEvent: onEvent)
    }

    /// Compares one generated sample with a prepared reference: the numbers equal those of
    /// `init(reference:generated:...)` on the same showers and configuration, so several samples
    /// evaluated against one `EvaluationReference` see the same reference showers, the same
    /// classifier splits of them and the same classifier seeds.
    ///
    /// - Parameter referenceSeconds: time spent preparing the reference, added to the "features" timing.
    /// - Throws: as the other initializer; also when the reference was prepared with another threshold.
    public init(reference prepared: EvaluationReference, generated: ShowerBatch, configuration: EvaluationConfiguration,
                provenance: EvaluationProvenance, referenceSeconds: Double = 0, onEvent: (Event) -> Void = { _ in }) throws {
        guard generated.count > 0 else { throw EvaluationError("evaluate: a sample is empty") }
        guard prepared.thresholdMeV == configuration.thresholdMeV else {
            throw EvaluationError("evaluate: the reference was prepared with threshold \(prepared.thresholdMeV) MeV, "
                                  + "the configuration asks for \(configuration.thresholdMeV) MeV")
        }
        guard configuration.classifierRuns >= 1 else { throw EvaluationError("evaluate: classifier runs must be >= 1") }
        try configuration.classifier.validate()
        var timings: [String: Double] = [:]
        var t0 = ClassifierTraining.monotonicNow() - referenceSeconds
        func lap(_ name: String) { let t = ClassifierTraining.monotonicNow(); timings[name] = t - t0; t0 = t }

        onEvent(.stage("high-level features"))
        let ref = prepared.showers
        let gen = Self.thresholded(generated, configuration.thresholdMeV)
        let refFeatures = prepared.features
        let genFeatures = try SampleFeatures(gen, thresholdMeV: configuration.thresholdMeV)
        let features = try Self.featureComparisons(refFeatures, genFeatures)
        let distributions = try Self.distributions(ref, gen, thresholdMeV: configuration.thresholdMeV)
        let spectrum = try Self.spectrumCheck(ref.incidentEnergy.map(Double.init), gen.incidentEnergy.map(Double.init))
        lap("features")

        onEvent(.stage("average and single-shower images"))
        let bins = Self.energyBinEdges(ref.incidentEnergy + gen.incidentEnergy)
        let binImages = bins.map { b in
            let ri = Self.rows(ref, in: b), gi = Self.rows(gen, in: b)
            return IncidentEnergyBinImages(lower: b.lower, upper: b.upper, referenceCount: ri.count, generatedCount: gi.count,
                                           referenceMean: AverageShower.mean(Self.gather(ref, ri), thresholdMeV: configuration.thresholdMeV),
                                           generatedMean: AverageShower.mean(Self.gather(gen, gi), thresholdMeV: configuration.thresholdMeV))
        }
        images = EvaluationImages(geometry: ref.geometry, referenceMean: AverageShower.mean(ref, thresholdMeV: configuration.thresholdMeV),
                                  generatedMean: AverageShower.mean(gen, thresholdMeV: configuration.thresholdMeV),
                                  energyBins: binImages, pairs: Self.pairs(ref, gen, count: configuration.singleShowerPairs))
        lap("images")

        var summaries: [ClassifierSummary] = []
        for variant in configuration.variants {
            onEvent(.stage("classifier \(variant.title)"))
            let x = try variant.inputs(ref, features: refFeatures), y = try variant.inputs(gen, features: genFeatures)
            var runs: [ClassifierRun] = []
            for k in 0..<configuration.classifierRuns {
                let run = try ClassifierTraining.run(variant: variant, reference: x, generated: y, options: configuration.classifier,
                                                     seed: configuration.seed &+ UInt64(k)) { onEvent(.epoch(variant, k, $0)) }
                onEvent(.run(run, k))
                runs.append(run)
            }
            summaries.append(ClassifierSummary(variant: variant, runs: runs))
            lap("classifier \(variant.rawValue)")
        }

        // CaloChallenge metrics: a sample they cannot take (E_inc <= 0) leaves them out with a warning.
        onEvent(.stage("CaloChallenge FPD, KPD and separation powers"))
        let challenge = Result {
            try ChallengeMetrics.compute(reference: refFeatures.challenge, generated: genFeatures.challenge,
                                         options: configuration.challenge ?? ChallengeMetrics.Options())
        }
        lap("challenge metrics")

        result = EvaluationResult(provenance: provenance, configuration: configuration, classifiers: summaries,
                                  features: features, distributions: distributions, incidentEnergy: spectrum,
                                  energyBins: binImages.map { [$0.lower, $0.upper, Double($0.referenceCount), Double($0.generatedCount)] },
                                  timings: timings)
        result.provenance.geometry = ref.geometry.name
        result.challengeMetrics = try? challenge.get()
        if case .failure(let error) = challenge { result.provenance.warnings.append("CaloChallenge metrics not computed: \(error)") }
    }

    // MARK: - Features

    /// The feature histograms of the report: the 51 CaloFlow observables on CaloGAN showers (the
    /// CaloFlow papers' set), the CaloChallenge's high-level feature histograms (its binning, plus
    /// caloflow's sparsity and radial moments) on other geometries.
    static func featureComparisons(_ ref: SampleFeatures, _ gen: SampleFeatures) throws -> [HistogramComparison] {
        if let r = ref.caloFlow, let g = gen.caloFlow {
            return try FeatureComparison.compareAll(reference: r, generated: g).enumerated().map { k, c in
                HistogramComparison(name: c.name, label: c.label, unit: c.unit, reference: c.reference, generated: c.generated,
                                    referenceMean: mean(r.features[k].values), generatedMean: mean(g.features[k].values))
            }
        }
        return try ChallengeHistogramComparison.compareAll(reference: ref.challenge, generated: gen.challenge).map { c in
            HistogramComparison(name: c.name, label: c.name.split(separator: "_").joined(separator: " "), unit: c.unit,
                                reference: c.reference, generated: c.generated,
                                referenceMean: c.referenceMean, generatedMean: c.generatedMean)
        }
    }

    // MARK: - Samples

    /// A copy with voxels below `t` MeV (and NaN or negative ones) set to 0.
    public static func thresholded(_ batch: ShowerBatch, _ t: Double) -> ShowerBatch {
        var out = batch
        let cut = Float(t)
        out.voxels.withUnsafeMutableBufferPointer { p in
            for k in 0..<p.count where !(p[k] >= cut && p[k] > 0) { p[k] = 0 }
        }
        return out
    }

    static func gather(_ b: ShowerBatch, _ rows: [Int]) -> ShowerBatch {
        ShowerBatch(geometry: b.geometry, incidentEnergy: rows.map { b.incidentEnergy[$0] }, voxels: b.voxels.gatherRows(rows),
                    overflow: b.overflow.gatherRows(rows))
    }

    static func mean(_ v: [Double]) -> Double {
        var s = 0.0, n = 0
        for x in v where x.isFinite { s += x; n += 1 }
        return n > 0 ? s / Double(n) : .nan
    }

    // MARK: - Extra distributions

    static func distributions(_ ref: ShowerBatch, _ gen: ShowerBatch, thresholdMeV: Double) throws -> [HistogramComparison] {
        let re = ref.incidentEnergy.map(Double.init), ge = gen.incidentEnergy.map(Double.init)
        let lo = min(re.min()!, ge.min()!), hi = max(re.max()!, ge.max()!)
        let eBins = hi > lo * 1.0001 ? try Binning.linear(lo, hi * 1.000001, count: 50)
                                     : try Binning.linear(lo * 0.9, lo * 1.1, count: 20)
        let incident = HistogramComparison(name: "E_inc", label: "E_inc", unit: "GeV", reference: Histogram(re, binning: eBins),
                                           generated: Histogram(ge, binning: eBins), referenceMean: mean(re), generatedMean: mean(ge))
        let vBins = try Binning.log(max(thresholdMeV, 1e-3), 1e5, count: 70)
        let rs = AverageShower.voxelSpectrum(ref, binning: vBins, thresholdMeV: thresholdMeV)
        let gs = AverageShower.voxelSpectrum(gen, binning: vBins, thresholdMeV: thresholdMeV)
        let voxel = HistogramComparison(name: "voxel_energy", label: "voxel energy", unit: "MeV", reference: rs, generated: gs,
                                        referenceMean: rs.inRangeTotal, generatedMean: gs.inRangeTotal)
        return [incident, voxel]
    }

    /// Two-sample KS test of the incident energies.
    static func spectrumCheck(_ a: [Double], _ b: [Double]) throws -> SpectrumCheck {
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let v = min(x[i], y[j])
            while i < x.count && x[i] <= v { i += 1 }
            while j < y.count && y[j] <= v { j += 1 }
            d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        let ne = Double(x.count * y.count) / Double(x.count + y.count), sn = ne.squareRoot()
        return SpectrumCheck(statistic: d, pValue: SpecialFunctions.kolmogorovSurvival((sn + 0.12 + 0.11 / sn) * d),
                             referenceRange: [x.first!, x.last!], generatedRange: [y.first!, y.last!])
    }

    // MARK: - Energy bins

    /// Bins of incident energy for the binned averages: 1-10, 10-30, 30-60, 60-100 GeV when all
    /// energies lie in the CaloGAN range [1, 100] GeV, otherwise decades of the actual range
    /// (one decade is split into three log bins); one bin when all energies are equal or the
    /// range has no logarithm (a zero energy; shower files refuse those), none for non-finite ones.
    public static func energyBinEdges(_ energies: [Float]) -> [(lower: Double, upper: Double)] {
        guard let lo = energies.min().map(Double.init), let hi = energies.max().map(Double.init),
              lo.isFinite, hi.isFinite else { return [] }
        if lo <= 0 || hi <= lo * 1.0001 { return [(lo, hi)] }
        var edges: [Double]
        if lo >= 0.999, hi <= 100.001 {
            edges = [1, 10, 30, 60, 100]
        } else {
            let a = floor(log10(lo)), b = ceil(log10(hi))
            edges = b - a <= 1 ? (0...3).map { pow(10, a + Double($0) / 3) } : stride(from: a, through: b, by: 1).map { pow(10, $0) }
        }
        edges[0] = min(edges[0], lo)
        edges[edges.count - 1] = max(edges[edges.count - 1], hi)
        return (0..<(edges.count - 1)).map { (edges[$0], edges[$0 + 1]) }
    }

    static func rows(_ b: ShowerBatch, in bin: (lower: Double, upper: Double)) -> [Int] {
        b.incidentEnergy.indices.filter {
            let e = Double(b.incidentEnergy[$0])
            return e >= bin.lower && (e < bin.upper || e == bin.upper)
        }
    }

    // MARK: - Single showers

    /// `count` reference showers at the 1/2k, 3/2k, … quantiles of E_inc (spanning the range),
    /// each with the generated shower nearest in E_inc.
    static func pairs(_ ref: ShowerBatch, _ gen: ShowerBatch, count: Int) -> [ShowerPair] {
        guard count > 0, ref.count > 0, gen.count > 0 else { return [] }
        let k = min(count, ref.count)
        let byEnergy = ref.incidentEnergy.indices.sorted { ref.incidentEnergy[$0] < ref.incidentEnergy[$1] }
        let genSorted = gen.incidentEnergy.indices.sorted { gen.incidentEnergy[$0] < gen.incidentEnergy[$1] }
        var used = Set<Int>()
        return (0..<k).map { q in
            let r = byEnergy[min(ref.count - 1, (2 * q + 1) * ref.count / (2 * k))]
            let e = ref.incidentEnergy[r]
            var g = genSorted.min { abs(gen.incidentEnergy[$0] - e) < abs(gen.incidentEnergy[$1] - e) }!
            if used.contains(g), let other = genSorted.filter({ !used.contains($0) })
                .min(by: { abs(gen.incidentEnergy[$0] - e) < abs(gen.incidentEnergy[$1] - e) }) { g = other }
            used.insert(g)
            return ShowerPair(referenceIndex: r, generatedIndex: g, referenceEnergy: Double(e),
                              generatedEnergy: Double(gen.incidentEnergy[g]),
                              reference: ref.voxels.row(r), generated: gen.voxels.row(g))
        }
    }
}
