import CaloTensor
import CaloData

/// The input variants of the CaloFlow DNN classifier test (method §6.1; CaloChallenge
/// `cls-low`, `cls-low-normed`, `cls-high`). The raw values are the command-line names.
public enum ClassifierVariant: String, CaseIterable, Sendable, Codable {
    /// DNN-low: the D voxels (MeV / 1e5) ‖ log10(10·E_inc/100 GeV) ‖ log10(E_l/100 GeV + 1e-8) + 2
    /// per layer; D + 1 + L inputs (508 for CaloGAN).
    case low
    /// DNN-low with every voxel divided by its layer energy (CaloFlow `--normalize`).
    case lowNormalized = "low-normalized"
    /// DNN-high: 41 CaloFlow high-level features on CaloGAN showers, the challenge's high-level
    /// input on other geometries (see `ClassifierInputs.highLevel`).
    case high

    /// Short title for tables, e.g. "DNN-low (normalized)".
    public var title: String {
        switch self {
        case .low: return "DNN-low"
        case .lowNormalized: return "DNN-low (normalized)"
        case .high: return "DNN-high"
        }
    }

    /// Number of input features for CaloGAN showers.
    public var inputWidth: Int {
        self == .high ? ClassifierInputs.highLevelWidth : ClassifierInputs.lowLevelWidth
    }

    /// Parses a comma-separated list such as "low,high" (duplicates removed, order kept).
    /// Throws naming the unknown entry.
    public static func parseList(_ text: String) throws -> [ClassifierVariant] {
        var out: [ClassifierVariant] = []
        for word in text.split(separator: ",").map({ String($0).trimmed }) where !word.isEmpty {
            guard let v = ClassifierVariant(rawValue: word) else {
                throw EvaluationError("unknown classifier variant '\(word)'; use "
                                      + allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !out.contains(v) { out.append(v) }
        }
        guard !out.isEmpty else { throw EvaluationError("no classifier variant given") }
        return out
    }

    /// The classifier input matrix [N, inputWidth] of one sample.
    ///
    /// - Parameters:
    ///   - batch: showers whose voxels were already thresholded (the threshold of the run).
    ///   - features: their high-level features (used by `.high` only).
    public func inputs(_ batch: ShowerBatch, features: HighLevelFeatures) throws -> Matrix {
        if let o = lowLevelOptions { return try ClassifierInputs.lowLevel(batch, options: o) }
        return try ClassifierInputs.highLevel(features)
    }

    /// The classifier input matrix of one sample of any geometry: as `inputs(_:features:)` on
    /// CaloGAN showers; on others DNN-high takes the challenge's high-level input.
    public func inputs(_ batch: ShowerBatch, features: SampleFeatures) throws -> Matrix {
        if let o = lowLevelOptions { return try ClassifierInputs.lowLevel(batch, options: o) }
        if let f = features.caloFlow { return try ClassifierInputs.highLevel(f) }
        return try ClassifierInputs.highLevel(features.challenge)
    }

    /// The DNN-low input options of this variant; nil for DNN-high.
    var lowLevelOptions: LowLevelInputOptions? {
        switch self {
        case .low: return LowLevelInputOptions()
        case .lowNormalized: return LowLevelInputOptions(normalize: true)
        case .high: return nil
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (no Foundation needed).
    var trimmed: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
