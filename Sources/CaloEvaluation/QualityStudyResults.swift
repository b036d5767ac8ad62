import Foundation

/// A results file of the quality-vs-cost study: one `QualityStudyPoint` per line (JSON Lines),
/// at most one point per (particle, label). Reading checks every line and names the first bad
/// one; the figure and the Markdown table are built from the points.
public struct QualityStudyResults: Sendable, Equatable {
    public var points: [QualityStudyPoint]

    public init(points: [QualityStudyPoint] = []) { self.points = points }

    /// The particles in display order: e+, gamma, pi+ first, then any other in order of appearance.
    public var particles: [String] {
        var out = ["eplus", "gamma", "piplus"].filter { p in points.contains { $0.particle == p } }
        for p in points where !out.contains(p.particle) { out.append(p.particle) }
        return out
    }

    /// The point of `particle` labelled `label`, if recorded.
    public func point(particle: String, label: String) -> QualityStudyPoint? {
        points.first { $0.particle == particle && $0.label == label }
    }

    // MARK: - Reading and writing

    /// Parses results text; blank lines are skipped. `source` names the file in errors.
    /// - Throws: `EvaluationError` "<source> line <n>: ..." for a line that is not a valid point,
    ///   or for a (particle, label) recorded twice.
    public init(text: String, source: String) throws {
        var points: [QualityStudyPoint] = [], lines: [Int] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let where_ = "\(source) line \(i + 1)"
            let point: QualityStudyPoint
            do {
                point = try JSONDecoder().decode(QualityStudyPoint.self, from: Data(line.utf8))
            } catch let e as DecodingError {
                throw EvaluationError("\(where_): not a study point: \(Self.describe(e))")
            } catch {
                throw EvaluationError("\(where_): not a study point: \(error)")
            }
            do { try point.validate() } catch let e as EvaluationError { throw EvaluationError("\(where_): \(e.message)") }
            if let k = points.firstIndex(where: { $0.particle == point.particle && $0.label == point.label }) {
                throw EvaluationError("\(where_): \(point.particle) point '\(point.label)' is already recorded on line \(lines[k])")
            }
            points.append(point)
            lines.append(i + 1)
        }
        self.points = points
    }

    /// One compact JSON line (sorted keys, no newline) for `point`.
    public static func line(_ point: QualityStudyPoint) throws -> String {
        try point.validate()
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(point), as: UTF8.self)
    }

    /// A short reason for a decoding error: the missing key or the field of the wrong type, with its path.
    public static func describe(_ e: DecodingError) -> String {
        func path(_ c: [any CodingKey]) -> String { c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
        switch e {
        case .keyNotFound(let key, let c): return "missing key '\(path(c.codingPath + [key]))'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            return "'\(path(c.codingPath))' has the wrong type or is null"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not valid JSON" : "'\(path(c.codingPath))': \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    // MARK: - Analysis

    /// The points of a Pareto front for "less CPU, lower AUC": `(x, y)` pairs sorted by x, keeping
    /// a point only when its y is below every y of cheaper points. Returns indices into `points`,
    /// by increasing x; non-finite pairs are ignored.
    public static func front(_ points: [(x: Double, y: Double)]) -> [Int] {
        let order = points.indices.filter { points[$0].x.isFinite && points[$0].y.isFinite }
            .sorted { points[$0].x < points[$1].x || (points[$0].x == points[$1].x && points[$0].y < points[$1].y) }
        var out: [Int] = [], best = Double.infinity
        for k in order where points[k].y < best {
            out.append(k)
            best = points[k].y
        }
        return out
    }

    /// A Markdown table of every point: particle, label, training CPU hours of teacher and
    /// student, the teacher's validation log-likelihood and the student's KL, the AUCs (mean ±
    /// std over the classifier runs) of each variant for teacher and student, and the command
    /// that reproduces the point. Sorted by particle, then student CPU hours.
    public func markdownTable(variants: [ClassifierVariant] = ClassifierVariant.allCases) -> String {
        var header = ["particle", "point", "teacher CPU h", "student CPU h", "teacher val. LL", "student KL"]
        header += variants.map { "teacher AUC \($0.title)" } + variants.map { "student AUC \($0.title)" }
        header += ["classifier runs", "reproduce"]
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---|" }.joined()]
        for particle in particles {
            let rows = points.filter { $0.particle == particle }
                .sorted { ($0.student.trainingCpuHours, $0.label) < ($1.student.trainingCpuHours, $1.label) }
            for p in rows {
                var cells = [particle, p.label + (p.cpuTimeComplete ? "" : " (CPU time incomplete)"),
                             Self.hours(p.teacher.trainingCpuHours), Self.hours(p.student.trainingCpuHours),
                             p.teacher.validationLogLikelihood.map { String(format: "%.1f", $0) } ?? "-",
                             p.student.kl.map { String(format: "%.1f", $0) } ?? "-"]
                cells += variants.map { Self.score(p.teacher.auc[$0.rawValue]) } + variants.map { Self.score(p.student.auc[$0.rawValue]) }
                cells += ["\(p.classifierRuns)", "`\(p.command.replacingOccurrences(of: "|", with: "\\|"))`"]
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func hours(_ h: Double) -> String {
        String(format: h < 0.01 ? "%.4f" : h < 0.1 ? "%.3f" : "%.2f", h)
    }

    static func score(_ s: QualityStudyPoint.Score?) -> String {
        guard let s else { return "-" }
        return s.runs > 1 ? String(format: "%.3f ± %.3f", s.mean, s.std) : String(format: "%.3f", s.mean)
    }
}
