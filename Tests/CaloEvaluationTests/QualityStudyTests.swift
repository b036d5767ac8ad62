import CaloEvaluation
import Foundation
import Testing

/// The quality-vs-cost study's records: a results file round-trips point by point, bad lines are
/// named by line number, the stage log adds up interrupted attempts, and the table and the front
/// say what the points say.
@Suite("quality study: results file, stage log, table")
struct QualityStudyTests {
    /// A complete point; `teacherHours` and `studentHours` are training CPU hours, `aucs` the
    /// teacher's and the student's mean AUC of every variant.
    static func point(_ label: String, particle: String = "eplus", teacherHours: Double = 0.5, studentHours: Double = 0.75,
                      teacherAUC: Double = 0.9, studentAUC: Double = 0.92) -> QualityStudyPoint {
        func flow(_ hours: Double, _ auc: Double, teacher: Bool) -> QualityStudyPoint.Flow {
            var a: [String: QualityStudyPoint.Score] = [:], j: [String: QualityStudyPoint.Score] = [:]
            for (k, v) in ClassifierVariant.allCases.enumerated() {
                a[v.rawValue] = .init(mean: auc + 0.01 * Double(k), std: 0.004, runs: 3)
                j[v.rawValue] = .init(mean: 0.3, std: 0.01, runs: 3)
            }
            return .init(trainingCpuHours: hours, trainingWallHours: hours / 1.8, validationLogLikelihood: teacher ? 1234.5 : nil,
                         kl: teacher ? nil : 56.7, epochs: 5, bestEpoch: 4, auc: a, jsd: j,
                         generated: "study/\(particle)/\(label)/\(teacher ? "teacher" : "student").h5")
        }
        return QualityStudyPoint(
            particle: particle, label: label, config: "configs/study/\(label).json", configSha256: String(repeating: "ab", count: 32),
            commit: "abc1234", caloflowVersion: "1.0", recordedAt: "2026-12-06T21:00:00Z", threads: 2, cpu: "AMD EPYC", cores: 2,
            seeds: .init(trainingData: 1001, referenceData: 1002, training: 1, generation: 2, evaluation: 3),
            trainingEvents: 100_000, referenceEvents: 20_000, evaluatedEvents: 20_000, classifierRuns: 3,
            stages: ["flow1": .init(cpuSeconds: 600, wallSeconds: 330, attempts: 1),
                     "teacher": .init(cpuSeconds: 1200, wallSeconds: 700, attempts: 2)],
            cpuTimeComplete: true, teacher: flow(teacherHours, teacherAUC, teacher: true),
            student: flow(studentHours, studentAUC, teacher: false), report: "study/\(particle)/\(label)/report/report.json",
            command: "scripts/study/run-point.sh \(particle) configs/study/\(label).json \(label)")
    }

    @Test("points written as lines read back equal, in order; blank lines are skipped")
    func roundTrip() throws {
        let points = [Self.point("a"), Self.point("b", particle: "gamma", teacherHours: 0.01, studentHours: 0.02),
                      Self.point("a", particle: "piplus")]
        let text = try points.map(QualityStudyResults.line).joined(separator: "\n\n") + "\n"
        #expect(!text.contains("\n{\n"), "one point per line")
        let read = try QualityStudyResults(text: text, source: "r.jsonl")
        #expect(read.points == points)
        #expect(read.particles == ["eplus", "gamma", "piplus"])
        #expect(read.point(particle: "piplus", label: "a") == points[2])
        #expect(read.point(particle: "gamma", label: "a") == nil)
        // snake_case keys, the documented layout
        let line = try QualityStudyResults.line(points[0])
        for key in ["\"training_cpu_hours\"", "\"validation_log_likelihood\"", "\"config_sha256\"", "\"cpu_time_complete\"", "\"schema\":1"] {
            #expect(line.contains(key), "\(key) in \(line)")
        }
        #expect(try QualityStudyResults(text: "", source: "r").points.isEmpty)
        #expect(try QualityStudyResults(text: "\n  \n", source: "r").points.isEmpty)
    }

    @Test("a bad line is named by its number and reason",
          arguments: [
              ("{not json", "line 2: not a study point: not valid JSON"),
              ("{\"schema\": 1}", "line 2: not a study point: missing key"),
              ("DUP", "line 2: eplus point 'a' is already recorded on line 1"),
              ("NEG", "line 2: teacher.training_cpu_hours must be a positive number"),
              ("AUC", "line 2: student.auc.low must have a mean in [0, 1]"),
              ("ORDER", "line 2: student.training_cpu_hours (0.1) is below the teacher's (0.5)"),
              ("SCHEMA", "line 2: schema 2 is not supported"),
          ] as [(String, String)])
    func badLines(_ second: String, _ message: String) throws {
        let first = try QualityStudyResults.line(Self.point("a"))
        var bad = Self.point("b")
        var line = second
        switch second {
        case "DUP": line = first
        case "NEG": bad.teacher.trainingCpuHours = -1
        case "AUC": bad.student.auc["low"] = .init(mean: 1.2, std: 0, runs: 3)
        case "ORDER": bad.student.trainingCpuHours = 0.1
        case "SCHEMA": bad.schema = 2
        default: break
        }
        if line == second && second.allSatisfy(\.isUppercase) {
            // encode without validation: the reader must catch what the writer refuses
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            line = String(decoding: try e.encode(bad), as: UTF8.self)
        }
        do {
            _ = try QualityStudyResults(text: first + "\n" + line + "\n", source: "r.jsonl")
            Issue.record("accepted a bad line: \(message)")
        } catch let e as EvaluationError {
            #expect(e.message.hasPrefix("r.jsonl line 2") && e.message.contains(message.dropFirst("line 2".count)), "\(e.message)")
        }
    }

    @Test("the writer refuses a point the reader would refuse")
    func writerValidates() {
        var p = Self.point("a")
        p.student.trainingCpuHours = .nan
        #expect(throws: EvaluationError.self) { try QualityStudyResults.line(p) }
    }

    @Test("stage log: attempts add up, the last status counts, a start without end makes the CPU time incomplete")
    func stageLog() throws {
        let text = """
            # comment
            start\tflow1\t100.0
            end\tflow1\t0\t50.5\t1.5\t30.0
            start\tteacher\t200.0
            end\tteacher\t143\t100.0\t2.0\t60.0
            start\tteacher\t300.0
            end\tteacher\t0\t200.0\t3.0\t110.0

            """
        let log = try QualityStudyStageTimes(text: text, source: "s.tsv")
        #expect(log.complete)
        #expect(log.stages["flow1"]?.cpuSeconds == 52 && log.stages["flow1"]?.wallSeconds == 30)
        let t = try #require(log.stages["teacher"])
        #expect(t.attempts == 2 && t.lastStatus == 0 && t.cpuSeconds == 305 && t.wallSeconds == 170)

        let killed = try QualityStudyStageTimes(text: text + "start\tstudent\t400\n", source: "s.tsv")
        #expect(!killed.complete)
        #expect(killed.stages["student"]?.attempts == 0 && killed.stages["student"]?.unrecordedAttempts == 1)

        for bad in ["start\tflow1", "end\tflow1\t0\t1\t1", "end\tflow1\t0\t-1\t1\t1", "stop\tflow1\t1", "end flow1 0 1 1 1"] {
            #expect(throws: EvaluationError.self, "\(bad)") { try QualityStudyStageTimes(text: "start\tx\t1\n" + bad, source: "s.tsv") }
        }
        do { _ = try QualityStudyStageTimes(text: "start\tx\t1\nend\tx\tzero\t1\t1\t1\n", source: "s.tsv") } catch let e as EvaluationError {
            #expect(e.message.hasPrefix("s.tsv line 2: "), "\(e.message)")
        }
    }

    @Test("front: the lowest AUC reached within a CPU time, by increasing time")
    func front() {
        let pts: [(x: Double, y: Double)] = [(4, 0.7), (1, 0.9), (2, 0.95), (3, 0.8), (.nan, 0.1), (5, 0.75), (1, 0.85)]
        #expect(QualityStudyResults.front(pts) == [6, 3, 0])
        #expect(QualityStudyResults.front([]).isEmpty)
    }

    @Test("markdown table: one row per point, by particle then student CPU time, with mean ± std and the command")
    func table() {
        var cheap = Self.point("cheap", teacherHours: 0.02, studentHours: 0.05)
        cheap.command = "run | pipe"
        cheap.cpuTimeComplete = false
        let r = QualityStudyResults(points: [Self.point("dear"), Self.point("g", particle: "gamma"), cheap])
        let lines = r.markdownTable().split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("| particle | point | teacher CPU h | student CPU h"))
        #expect(lines[0].contains("teacher AUC DNN-low") && lines[0].contains("student AUC DNN-high"), "\(lines[0])")
        #expect(lines[2].hasPrefix("| eplus | cheap (CPU time incomplete) | 0.020 | 0.050 |"), "\(lines[2])")
        #expect(lines[2].contains("`run \\| pipe`"))
        #expect(lines[3].hasPrefix("| eplus | dear | 0.50 | 0.75 | 1234.5 | 56.7 | 0.900 ± 0.004"), "\(lines[3])")
        #expect(lines[4].hasPrefix("| gamma | g |"))
        let columns = lines.map { $0.components(separatedBy: "|").count - $0.components(separatedBy: "\\|").count }
        #expect(Set(columns).count == 1, "every row has the header's columns: \(columns)")
    }
}
