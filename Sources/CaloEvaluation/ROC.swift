/// A receiver operating characteristic curve and the area under it.
///
/// Points run from (0, 0) (threshold +inf: nothing called positive) to (1, 1); one point per
/// distinct score, so tied scores form a single (possibly diagonal) step. A sample is called
/// positive at threshold t when score >= t.
public struct ROCCurve: Sendable, Equatable, Codable {
    /// False-positive rate per point, non-decreasing, [points].
    public let falsePositiveRate: [Double]
    /// True-positive rate per point, non-decreasing, [points].
    public let truePositiveRate: [Double]
    /// Score threshold per point; the first is +inf.
    public let thresholds: [Double]
    /// Trapezoid area under the curve = P(score of a random positive > score of a random
    /// negative) + ½ P(equal) (the Mann–Whitney statistic).
    public let auc: Double
}

/// Exact ROC curves and AUC with ties handled (sklearn `roc_curve` / `roc_auc_score` semantics,
/// without dropping collinear points).
public enum ROC {
    /// The ROC curve of `scores` against binary `labels` (1 = positive, 0 = negative).
    ///
    /// Throws if the lengths differ, a label is not 0 or 1, a score is NaN, or one class is absent.
    public static func curve(scores: [Double], labels: [Float]) throws -> ROCCurve {
        let isPositive = try validate(scores: scores, labels: labels, "ROC")
        let n = scores.count
        let order = (0..<n).sorted { scores[$0] > scores[$1] }
        let positives = isPositive.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = n - positives
        var fpr = [0.0], tpr = [0.0], thr = [Double.infinity]
        var tp = 0, fp = 0
        var area2 = 0.0 // twice the area, in units of (1 negative) x (1 positive)
        var i = 0
        while i < n {
            let s = scores[order[i]]
            let tp0 = tp, fp0 = fp
            while i < n, scores[order[i]] == s {
                if isPositive[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            area2 += Double(fp - fp0) * Double(tp + tp0)
            fpr.append(Double(fp) / Double(negatives))
            tpr.append(Double(tp) / Double(positives))
            thr.append(s)
        }
        let auc = area2 / (2 * Double(positives) * Double(negatives))
        return ROCCurve(falsePositiveRate: fpr, truePositiveRate: tpr, thresholds: thr, auc: auc)
    }

    /// Float-score convenience (classifier outputs are Float matrices).
    public static func curve(scores: [Float], labels: [Float]) throws -> ROCCurve {
        try curve(scores: scores.map { Double($0) }, labels: labels)
    }

    /// Area under the ROC curve of `scores` against `labels`; see `curve`.
    public static func auc(scores: [Double], labels: [Float]) throws -> Double {
        try curve(scores: scores, labels: labels).auc
    }

    /// Float-score convenience.
    public static func auc(scores: [Float], labels: [Float]) throws -> Double {
        try curve(scores: scores, labels: labels).auc
    }

    // MARK: - Validation shared by the classifier metrics

    /// Checks scores/labels and returns the labels as Bool. `what` names the caller in messages.
    static func validate(scores: [Double], labels: [Float], _ what: String, needBothClasses: Bool = true) throws -> [Bool] {
        guard scores.count == labels.count else {
            throw EvaluationError("\(what): scores has \(scores.count) entries, labels has \(labels.count)")
        }
        guard !scores.isEmpty else { throw EvaluationError("\(what): no samples") }
        if let k = scores.firstIndex(where: { $0.isNaN }) {
            throw EvaluationError("\(what): score \(k) is NaN")
        }
        var out = [Bool](repeating: false, count: labels.count)
        var positives = 0
        for (k, l) in labels.enumerated() {
            guard l == 0 || l == 1 else { throw EvaluationError("\(what): label \(k) is \(l), expected 0 or 1") }
            out[k] = l == 1
            if l == 1 { positives += 1 }
        }
        if needBothClasses, positives == 0 || positives == labels.count {
            throw EvaluationError("\(what): needs both classes, got \(positives) positives of \(labels.count)")
        }
        return out
    }
}
