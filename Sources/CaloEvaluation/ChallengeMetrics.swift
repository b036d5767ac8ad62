import CaloData

/// The CaloChallenge's distribution metrics of a generated sample against a reference sample of
/// the same geometry, in one value: FPD and KPD on the challenge's high-level feature vectors
/// (`ChallengeHighLevelFeatures.challengeInputs`, jetnet definitions, ×10³ in the challenge's
/// tables) with the published Geant4-against-Geant4 FPD beside them, and the separation powers
/// of the high-level feature histograms (`ChallengeHistogramComparison`).
///
/// jetnet resamples with replacement at 20,000 to 50,000 showers whatever the sample sizes;
/// with fewer showers than that the FPD extrapolates to the distance between the Gaussians of
/// the two finite samples, which carries their statistical noise (the challenge recommends
/// 50,000 showers per sample).
public struct ChallengeMetrics: Sendable, Equatable, Codable {
    /// FPD and KPD settings (jetnet's defaults).
    public struct Options: Sendable, Equatable, Codable {
        public var fpd = FrechetPhysicsDistance.Options()
        public var kpd = KernelPhysicsDistance.Options()
        public init() {}
    }

    /// One histogram's separation power.
    public struct SeparationPower: Sendable, Equatable, Codable {
        /// e.g. "centre_eta_layer_12".
        public let name: String
        /// Whether the challenge's evaluate.py reports this histogram.
        public let challenge: Bool
        /// nil when a sample has no value inside the bins.
        public let value: Double?
    }

    /// The geometry's name, e.g. "ds1-photons".
    public let geometry: String
    /// Voxel threshold applied to both samples before the features, MeV.
    public let thresholdMeV: Double
    /// Names of the feature vector's entries (`challengeInputNames`).
    public let featureNames: [String]
    public let fpd: FrechetPhysicsDistance
    public let kpd: KernelPhysicsDistance
    /// Published Geant4-vs-Geant4 FPD × 10³ of this dataset, if known.
    public let geant4FPDTimes1e3: Double?
    /// In `ChallengeHistogramComparison.compareAll` order.
    public let separationPowers: [SeparationPower]

    /// Computes every metric. Both batches must have the same voxels; incident energies must be
    /// positive (the feature vector holds log10 E_inc).
    ///
    /// - Throws: `EvaluationError` for different geometries, an invalid threshold or options, a
    ///   sample with fewer than 2 showers or a non-finite feature (E_inc ≤ 0).
    public static func compute(reference: ShowerBatch, generated: ShowerBatch, thresholdMeV: Double,
                               options: Options = Options()) throws -> ChallengeMetrics {
        guard reference.geometry.hasSameVoxels(as: generated.geometry) else {
            throw EvaluationError("challenge metrics: reference showers are \(reference.geometry.name), generated \(generated.geometry.name)")
        }
        return try compute(reference: try ChallengeHighLevelFeatures(reference, thresholdMeV: thresholdMeV),
                           generated: try ChallengeHighLevelFeatures(generated, thresholdMeV: thresholdMeV), options: options)
    }

    /// Computes every metric from features already computed (as `evaluate` has them), with
    /// their threshold. Throws as `compute(reference:generated:thresholdMeV:options:)`, and when
    /// the two feature sets were computed with different thresholds.
    public static func compute(reference r: ChallengeHighLevelFeatures, generated g: ChallengeHighLevelFeatures,
                               options: Options = Options()) throws -> ChallengeMetrics {
        let x = try r.challengeInputs(), y = try g.challengeInputs()
        let histograms = try ChallengeHistogramComparison.compareAll(reference: r, generated: g)
        return ChallengeMetrics(
            geometry: r.geometry.name, thresholdMeV: r.thresholdMeV, featureNames: r.challengeInputNames,
            fpd: try FrechetPhysicsDistance.compute(reference: x, generated: y, options: options.fpd),
            kpd: try KernelPhysicsDistance.compute(reference: x, generated: y, options: options.kpd),
            geant4FPDTimes1e3: ChallengeReferenceValues.geant4FPDTimes1e3(geometry: r.geometry.name),
            separationPowers: histograms.map { SeparationPower(name: $0.name, challenge: $0.isChallengeHistogram, value: $0.separationPower) })
    }

    /// "FPD x10^3 = 3.21 ± 0.05 (Geant4 vs Geant4: 0.12), KPD x10^3 = 0.41 ± 0.02".
    public var summary: String {
        func f(_ v: Double) -> String {
            let x = (v * 100).rounded() / 100
            return String(x)
        }
        let g4 = geant4FPDTimes1e3.map { " (Geant4 vs Geant4: \($0))" } ?? ""
        return "FPD x10^3 = \(f(fpd.valueTimes1e3)) ± \(f(fpd.errorTimes1e3))\(g4), KPD x10^3 = \(f(kpd.valueTimes1e3)) ± \(f(kpd.errorTimes1e3))"
    }
}
