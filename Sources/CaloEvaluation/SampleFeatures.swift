import CaloData

/// The high-level features of one (thresholded) sample that an evaluation uses, by geometry:
/// the CaloChallenge's features (`ChallengeHighLevelFeatures`) for every geometry, and for
/// CaloGAN showers also caloflow's 51 CaloFlow shower observables (`HighLevelFeatures`), which
/// know only the CaloGAN grid.
///
/// Which feature set feeds what: on CaloGAN showers the DNN-high classifier and the feature
/// histograms use the CaloFlow observables (as the CaloFlow papers); on any other geometry they
/// use the challenge's high-level features (its `cls-high` input and its histograms).
public struct SampleFeatures: Sendable {
    /// CaloFlow observables; nil unless the showers are CaloGAN showers.
    public let caloFlow: HighLevelFeatures?
    /// The CaloChallenge high-level features.
    public let challenge: ChallengeHighLevelFeatures

    /// Computes the features of `batch` (voxels already thresholded at `thresholdMeV`).
    /// Throws if the threshold is negative or not finite.
    public init(_ batch: ShowerBatch, thresholdMeV: Double) throws {
        caloFlow = batch.geometry.hasSameVoxels(as: .calogan) ? try HighLevelFeatures(batch, thresholdMeV: thresholdMeV) : nil
        challenge = try ChallengeHighLevelFeatures(batch, thresholdMeV: thresholdMeV)
    }
}
