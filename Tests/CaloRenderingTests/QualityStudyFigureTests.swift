import CaloEvaluation
import CaloRendering
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The study figure: valid SVG, one panel per particle, one marker per point, flow and variant,
/// the Pareto lines, and a clear error for nothing to draw.
@Suite("quality study figure")
struct QualityStudyFigureTests {
    static func point(_ label: String, _ particle: String, teacher: (Double, Double), student: (Double, Double),
                      variants: [ClassifierVariant] = ClassifierVariant.allCases) -> QualityStudyPoint {
        func flow(_ v: (Double, Double)) -> QualityStudyPoint.Flow {
            var auc: [String: QualityStudyPoint.Score] = [:]
            for (k, variant) in variants.enumerated() { auc[variant.rawValue] = .init(mean: v.1 + 0.02 * Double(k), std: 0.01, runs: 3) }
            return .init(trainingCpuHours: v.0, trainingWallHours: v.0 / 2, auc: auc, jsd: [:], generated: "\(label).h5")
        }
        return QualityStudyPoint(
            particle: particle, label: label, config: "\(label).json", configSha256: "00", commit: "c", caloflowVersion: "v",
            recordedAt: "t", threads: 2, cpu: "cpu", cores: 2,
            seeds: .init(trainingData: 1, referenceData: 2, training: 3, generation: 4, evaluation: 5),
            trainingEvents: 1000, referenceEvents: 1000, evaluatedEvents: 1000, classifierRuns: 3, stages: [:],
            cpuTimeComplete: true, teacher: flow(teacher), student: flow(student), report: "r.json", command: "cmd")
    }

    static func classes(_ svg: String) throws -> [String] {
        let xml = try #require(XMLCollector.parse(svg), "the SVG is well-formed XML")
        return xml.elements.compactMap { $0.attributes["class"] }
    }

    @Test("two particles: a panel each, teacher circles and student triangles per variant, front lines")
    func twoParticles() throws {
        let results = QualityStudyResults(points: [
            Self.point("a", "eplus", teacher: (0.1, 0.95), student: (0.15, 0.97)),
            Self.point("b", "eplus", teacher: (1.0, 0.80), student: (1.3, 0.82)),
            Self.point("c", "eplus", teacher: (2.0, 0.85), student: (2.5, 0.84)),
            Self.point("a", "piplus", teacher: (0.2, 0.70), student: (0.3, 0.72)),
        ])
        let svg = try QualityStudyFigure(results: results).svg()
        let classes = try Self.classes(svg)
        #expect(svg.contains("e+ (3 points)") && svg.contains("π+ (1 point)"))
        #expect(!svg.contains("γ"), "no panel for a particle without points")
        #expect(classes.filter { $0 == "marker teacher low" }.count == 4)
        #expect(classes.filter { $0 == "marker student high" }.count == 4)
        #expect(classes.filter { $0.hasPrefix("marker ") }.count == 4 * 2 * 3)
        // e+ fronts: teachers a → b (c is dearer and worse), students a → b → c; pi+ has one point: no line
        #expect(classes.filter { $0 == "front teacher low" }.count == 1)
        #expect(classes.filter { $0 == "front student low" }.count == 1)
        #expect(svg.contains("training CPU time [core-hours]") && svg.contains("classifier AUC"))
    }

    @Test("only the chosen variants are drawn")
    func chosenVariants() throws {
        let results = QualityStudyResults(points: [Self.point("a", "gamma", teacher: (0.1, 0.9), student: (0.2, 0.9))])
        let classes = try Self.classes(try QualityStudyFigure(results: results, variants: [.high]).svg())
        #expect(classes.filter { $0.hasPrefix("marker ") } == ["marker teacher high", "marker student high"])
    }

    @Test("nothing to draw: no point, no variant, or no AUC of the chosen variants")
    func nothingToDraw() {
        #expect(throws: RenderError.self) { try QualityStudyFigure(results: QualityStudyResults()).svg() }
        let one = QualityStudyResults(points: [Self.point("a", "eplus", teacher: (0.1, 0.9), student: (0.2, 0.9), variants: [.low])])
        #expect(throws: RenderError.self) { try QualityStudyFigure(results: one, variants: []).svg() }
        #expect(throws: RenderError.self) { try QualityStudyFigure(results: one, variants: [.high]).svg() }
    }
}
