import Glibc

/// The numbers of a classifier test (CaloFlow §6.1 / CaloChallenge evaluate.py), all on the
/// held-out final set.
public struct ClassifierScores: Sendable, Equatable, Codable {
    /// ROC AUC of the raw classifier outputs.
    public let auc: Double
    /// Accuracy of the raw outputs at threshold 0.5.
    public let accuracy: Double
    /// ROC AUC of the isotonic-calibrated probabilities (ties created by the calibration count ½).
    public let calibratedAUC: Double
    /// Accuracy of the calibrated probabilities at threshold 0.5.
    public let calibratedAccuracy: Double
    /// Binary cross-entropy of the calibrated probabilities, nats.
    public let calibratedBCE: Double
    /// JSD estimate (ln 2 − BCE_calibrated) / ln 2: 0 = indistinguishable, 1 = separable.
    public let jsd: Double
}

/// Classifier metrics that need no network: accuracy, calibrated BCE and the JSD estimate, and
/// the full "calibrate on one set, score on another" evaluation.
public enum ClassifierMetrics {
    /// Calibrated probabilities are clipped to [ε, 1 − ε] with this ε (CaloChallenge's y_min/y_max).
    public static let probabilityClip = 1e-6

    /// Fraction of samples with (score > 0.5) == (label == 1). A score of exactly 0.5 counts as
    /// class 0 (numpy's round-half-to-even, as CaloChallenge's `np.round`).
    public static func accuracy(scores: [Double], labels: [Float]) throws -> Double {
        let pos = try ROC.validate(scores: scores, labels: labels, "accuracy", needBothClasses: false)
        var right = 0
        for i in scores.indices where (scores[i] > 0.5) == pos[i] { right += 1 }
        return Double(right) / Double(scores.count)
    }

    /// Mean binary cross-entropy −[y ln p + (1−y) ln(1−p)] of probabilities `p`, nats.
    /// Throws if a probability is outside [0, 1] (0 and 1 give infinite terms where wrong).
    public static func binaryCrossEntropy(probabilities p: [Double], labels: [Float]) throws -> Double {
        let pos = try ROC.validate(scores: p, labels: labels, "binaryCrossEntropy", needBothClasses: false)
        if let k = p.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw EvaluationError("binaryCrossEntropy: probability \(k) is \(p[k]), outside [0, 1]")
        }
        var s = 0.0
        for i in p.indices { s -= pos[i] ? Glibc.log(p[i]) : Glibc.log1p(-p[i]) }
        return s / Double(p.count)
    }

    /// JSD estimate from calibrated probabilities: (ln 2 − BCE) / ln 2 (CaloFlow §6.1).
    public static func jsd(calibratedProbabilities p: [Double], labels: [Float]) throws -> Double {
        let ln2 = Glibc.log(2.0)
        return (ln2 - (try binaryCrossEntropy(probabilities: p, labels: labels))) / ln2
    }

    /// Isotonic calibration fitted on (`calibrationScores`, `calibrationLabels`), with fitted
    /// values clipped to [1e-6, 1 − 1e-6] and out-of-range scores clipped (sklearn
    /// `IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1-1e-6)`).
    public static func calibrator(scores: [Double], labels: [Float]) throws -> IsotonicRegression {
        _ = try ROC.validate(scores: scores, labels: labels, "calibrator", needBothClasses: false)
        return try IsotonicRegression(x: scores, y: labels.map { Double($0) },
                                      yMin: probabilityClip, yMax: 1 - probabilityClip)
    }

    /// The complete classifier evaluation: calibrate on the model-selection set, then score the
    /// final held-out set with raw AUC/accuracy and calibrated AUC/accuracy/BCE/JSD.
    ///
    /// Scores are the classifier's sigmoid outputs in [0, 1]; labels 1 = reference, 0 = generated.
    public static func evaluate(calibrationScores: [Double], calibrationLabels: [Float],
                                finalScores: [Double], finalLabels: [Float]) throws -> ClassifierScores {
        let iso = try calibrator(scores: calibrationScores, labels: calibrationLabels)
        let auc = try ROC.auc(scores: finalScores, labels: finalLabels)
        let acc = try accuracy(scores: finalScores, labels: finalLabels)
        let p = iso.predict(finalScores).map { min(max($0, probabilityClip), 1 - probabilityClip) }
        let bce = try binaryCrossEntropy(probabilities: p, labels: finalLabels)
        return ClassifierScores(auc: auc, accuracy: acc,
                                calibratedAUC: try ROC.auc(scores: p, labels: finalLabels),
                                calibratedAccuracy: try accuracy(scores: p, labels: finalLabels),
                                calibratedBCE: bce, jsd: (Glibc.log(2.0) - bce) / Glibc.log(2.0))
    }

    /// Float-output convenience of `evaluate`.
    public static func evaluate(calibrationScores: [Float], calibrationLabels: [Float],
                                finalScores: [Float], finalLabels: [Float]) throws -> ClassifierScores {
        try evaluate(calibrationScores: calibrationScores.map { Double($0) }, calibrationLabels: calibrationLabels,
                     finalScores: finalScores.map { Double($0) }, finalLabels: finalLabels)
    }
}
