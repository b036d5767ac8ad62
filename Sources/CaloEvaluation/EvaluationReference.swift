import CaloData

/// The reference sample of an evaluation, prepared once: thresholded and with its high-level
/// features computed, so that several generated samples can be compared with the very same
/// showers (`EvaluationRun.init(reference:generated:...)`) without repeating that work.
public struct EvaluationReference: Sendable {
    /// The reference showers after the threshold (voxels below it, NaN and negative ones set to 0).
    public let showers: ShowerBatch
    /// Their high-level features (CaloFlow observables for CaloGAN showers, the challenge's for
    /// every geometry), computed with `thresholdMeV`.
    public let features: SampleFeatures
    /// The voxel threshold applied, MeV.
    public let thresholdMeV: Double

    /// Thresholds `reference` and computes its features.
    ///
    /// - Throws: `EvaluationError` when the sample is empty or the threshold is negative or not finite.
    public init(_ reference: ShowerBatch, thresholdMeV: Double) throws {
        guard reference.count > 0 else { throw EvaluationError("evaluate: the reference sample is empty") }
        guard thresholdMeV >= 0, thresholdMeV.isFinite else {
            throw EvaluationError("evaluate: threshold \(thresholdMeV) MeV must be >= 0")
        }
        showers = EvaluationRun.thresholded(reference, thresholdMeV)
        features = try SampleFeatures(showers, thresholdMeV: thresholdMeV)
        self.thresholdMeV = thresholdMeV
    }
}
