import CaloData
/// Settings of one `caloflow evaluate` run (recorded in report.json).
public struct EvaluationConfiguration: Sendable, Equatable, Codable {
    /// Classifier input variants to train, in report order.
    public var variants: [ClassifierVariant] = ClassifierVariant.allCases
    public var classifier = ClassifierTrainingOptions()
    /// Independent classifier runs per variant (run k uses seed + k for split, init and order).
    public var classifierRuns = 1
    public var seed: UInt64 = 1234
    /// Voxels below this energy (MeV) are set to 0 in both samples before everything else
    /// (features, classifier inputs, images). 0.01 MeV is CaloFlow's `--threshold`.
    public var thresholdMeV = 0.01
    /// Number of reference showers (each with the generated shower nearest in E_inc) drawn.
    public var singleShowerPairs = 4
    /// Settings of the CaloChallenge FPD and KPD; nil = jetnet's defaults (20 batches at each
    /// of 10 sample sizes for FPD, 10 batches of 5,000 for KPD).
    public var challenge: ChallengeMetrics.Options? = nil

    public init() {}
}

/// Where the numbers came from: files, event counts, particles, versions (filled by the caller).
public struct EvaluationProvenance: Sendable, Equatable, Codable {
    public var referencePath: String
    public var generatedPath: String
    /// Events stored in each file, and events used from each (the same number from both).
    public var referenceEventsInFile: Int
    public var generatedEventsInFile: Int
    public var eventsUsed: Int
    public var referenceParticle: String?
    public var generatedParticle: String?
    public var referenceGenerator: String?
    public var generatedGenerator: String?
    public var appVersion: String
    /// UTC time the evaluation started, ISO 8601.
    public var startedAt: String
    public var threads: Int
    public var commandLine: String
    /// Warnings shown to the user (e.g. different particle attributes).
    public var warnings: [String] = []
    /// The showers' geometry ("calogan", "ds1-photons", ...; set by `EvaluationRun`; nil in
    /// reports of versions before geometries, which were all CaloGAN).
    public var geometry: String? = nil

    public init(referencePath: String, generatedPath: String, referenceEventsInFile: Int, generatedEventsInFile: Int,
                eventsUsed: Int, referenceParticle: String?, generatedParticle: String?, referenceGenerator: String?,
                generatedGenerator: String?, appVersion: String, startedAt: String, threads: Int, commandLine: String) {
        self.referencePath = referencePath; self.generatedPath = generatedPath
        self.referenceEventsInFile = referenceEventsInFile; self.generatedEventsInFile = generatedEventsInFile
        self.eventsUsed = eventsUsed; self.referenceParticle = referenceParticle; self.generatedParticle = generatedParticle
        self.referenceGenerator = referenceGenerator; self.generatedGenerator = generatedGenerator
        self.appVersion = appVersion; self.startedAt = startedAt; self.threads = threads; self.commandLine = commandLine
    }
}

/// One observable histogrammed for both samples on the same bins.
public struct HistogramComparison: Sendable, Equatable, Codable {
    public let name: String
    public let label: String
    public let unit: String
    public let reference: Histogram
    public let generated: Histogram
    /// Triangular discrimination of the normalized histograms; nil when a sample has no entry in range.
    public let separationPower: Double?
    /// Sample means of the raw values (NaN-free entries only), for the table.
    public let referenceMean: Double
    public let generatedMean: Double

    public init(name: String, label: String, unit: String, reference: Histogram, generated: Histogram,
                referenceMean: Double, generatedMean: Double) {
        self.name = name; self.label = label; self.unit = unit
        self.reference = reference; self.generated = generated
        separationPower = try? Histogram.separationPower(reference, generated)
        self.referenceMean = referenceMean; self.generatedMean = generatedMean
    }
}

/// Two-sample Kolmogorov–Smirnov comparison of the incident-energy spectra: the classifier
/// sees log E_inc, so different spectra alone make the samples separable.
public struct SpectrumCheck: Sendable, Equatable, Codable {
    /// D = sup |F_ref − F_gen|.
    public let statistic: Double
    /// Asymptotic p-value with effective size n·m/(n+m).
    public let pValue: Double
    public let referenceRange: [Double]
    public let generatedRange: [Double]
}

/// Mean images of the showers whose E_inc lies in [lower, upper) (the last bin includes upper).
public struct IncidentEnergyBinImages: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let referenceCount: Int
    public let generatedCount: Int
    /// Mean voxel energies, MeV, [504] (zeros for an empty bin).
    public let referenceMean: [Double]
    public let generatedMean: [Double]
}

/// A reference shower and the generated shower closest to it in incident energy.
public struct ShowerPair: Sendable, Equatable {
    public let referenceIndex: Int
    public let generatedIndex: Int
    public let referenceEnergy: Double
    public let generatedEnergy: Double
    /// Thresholded voxels, MeV, [504].
    public let reference: [Float]
    public let generated: [Float]
}

/// The images of the report: overall averages, averages in E_inc bins and single showers.
public struct EvaluationImages: Sendable, Equatable {
    /// The geometry of the showers (how the flat voxel vectors below split into layers).
    public let geometry: CalorimeterGeometry
    /// Mean voxel energies, MeV, [D].
    public let referenceMean: [Double]
    public let generatedMean: [Double]
    public let energyBins: [IncidentEnergyBinImages]
    public let pairs: [ShowerPair]
}

/// Every number of an evaluation (report.json holds this struct).
public struct EvaluationResult: Sendable, Equatable, Codable {
    public var provenance: EvaluationProvenance
    public var configuration: EvaluationConfiguration
    public var classifiers: [ClassifierSummary]
    /// The 51 high-level features in catalogue order.
    public var features: [HistogramComparison]
    /// Extra distributions: incident energy and the single-voxel energy spectrum.
    public var distributions: [HistogramComparison]
    public var incidentEnergy: SpectrumCheck
    /// Counts per E_inc bin of the binned average images: [lower, upper, n_ref, n_gen].
    public var energyBins: [[Double]]
    /// Wall times in seconds by stage ("features", "classifier low", ..., "report", "total").
    public var timings: [String: Double]
    /// The teacher's latent calibration on the reference showers, when a model was given.
    public var latentCalibration: LatentCalibrationSummary?
    /// The CaloChallenge's FPD, KPD (with the Geant4-vs-Geant4 FPD beside) and separation powers
    /// on its high-level features and bins; nil when they could not be computed (a warning says why).
    public var challengeMetrics: ChallengeMetrics?
    /// True once every output file was written (the last thing recorded).
    public var complete: Bool = false

    /// Features sorted by separation power, largest first (those without one last).
    public var featuresBySeparation: [HistogramComparison] {
        features.sorted { ($0.separationPower ?? -1) > ($1.separationPower ?? -1) }
    }
}
