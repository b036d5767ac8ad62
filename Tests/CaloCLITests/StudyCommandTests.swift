import CaloCLI
import CaloData
import CaloTestSupport
import Foundation
import Testing

/// `caloflow study-record` and `study-plot` on a real (tiny) trained run: a point is collected
/// from the run, the stage log and a two-sample evaluation, recorded once, read back by
/// study-plot; inconsistent or missing inputs are refused with the cause named.
@Suite("study-record and study-plot", .serialized)
struct StudyCommandTests {
    /// A trained run, a reference, teacher and student samples (copies of the run's generated
    /// file), their evaluation and a stage log.
    final class Point {
        let dir = TemporaryDirectory(prefix: "caloflow-study")
        let pipeline: TrainedPipeline
        var results: String { dir.file("results.jsonl") }
        var report: String { dir.file("report/report.json") }
        var stages: String { dir.file("stages.tsv") }
        let config: String

        init() throws {
            pipeline = try TrainedPipeline.get()
            config = dir.file("config.json")
            try copy(pipeline.configPath, to: config)
            try copy(pipeline.generatedPath, to: dir.file("teacher.h5"))
            try copy(pipeline.generatedPath, to: dir.file("student.h5"))
            let sim = CLIRun(["simulate", "-p", "eplus", "-n", "400", "--seed", "31", "-o", dir.file("reference.h5"), "-q"])
            guard sim.code == 0 else { throw TestFailure(sim.summary) }
            let ev = CLIRun(["evaluate", "-r", dir.file("reference.h5"), "-g", "teacher=" + dir.file("teacher.h5"),
                             "-g", "student=" + dir.file("student.h5"), "--model", pipeline.runPath, "--latent-events", "100",
                             "-o", dir.file("report"), "--epochs", "2", "--patience", "0", "--batch-size", "200",
                             "--classifier", "low,high", "--classifier-runs", "3", "--seed", "7", "-j", "2", "-q"])
            guard ev.code == 0 else { throw TestFailure(ev.summary) }
            try write(Self.stageLog(), to: dir.file("stages.tsv"))
        }

        /// flow1 300 + 60 CPU s, teacher 1000 + 100 (two attempts, the first interrupted), student 800 + 100.
        static func stageLog(studentStatus: Int = 0) -> String {
            """
            start\tflow1\t1.0
            end\tflow1\t0\t300.0\t60.0\t200.0
            start\tteacher\t2.0
            end\tteacher\t130\t400.0\t40.0\t250.0
            start\tteacher\t3.0
            end\tteacher\t0\t600.0\t60.0\t350.0
            start\tstudent\t4.0
            end\tstudent\t\(studentStatus)\t800.0\t100.0\t500.0

            """
        }

        func record(_ extra: [String] = [], label: String = "p1", particle: String = "eplus", config: String? = nil) -> CLIRun {
            CLIRun(["study-record", "--results", results, "-p", particle, "--label", label, "--config", config ?? self.config,
                    "--run", pipeline.runPath, "--report", report, "--stage-times", stages, "--training-data", pipeline.dataPath,
                    "--commit", "abc123", "--command", "scripts/study/run-point.sh eplus c.json p1"] + extra)
        }
    }

    static func points(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test("record a point, see it recorded, refuse it twice, draw it")
    func recordAndPlot() throws {
        let p = try Point()
        let check = ["--check"]
        var r = CLIRun(["study-record", "--results", p.results, "-p", "eplus", "--label", "p1", "--config", p.config] + check)
        #expect(r.code == 0 && r.stdout == "absent\n", "\(r.summary)")
        #expect(!FileManager.default.fileExists(atPath: p.results), "--check writes nothing")

        r = p.record()
        #expect(r.code == 0, "\(r.summary)")
        #expect(r.stdout.contains("recorded eplus 'p1'") && r.stdout.contains("teacher: 0.406 CPU hours"), "\(r.stdout)")
        let points = try Self.points(p.results)
        #expect(points.count == 1)
        let point = points[0]
        #expect(point["particle"] as? String == "eplus" && point["label"] as? String == "p1")
        #expect(point["config_sha256"] as? String == SHA256.hex(Array(try Data(contentsOf: URL(fileURLWithPath: p.config)))))
        #expect(point["classifier_runs"] as? Int == 3 && point["cpu_time_complete"] as? Bool == true)
        let teacher = try #require(point["teacher"] as? [String: Any]), student = try #require(point["student"] as? [String: Any])
        // CPU hours: teacher = Flow I (360 s) + teacher (both attempts, 1100 s); the student adds 900 s
        #expect(abs((teacher["training_cpu_hours"] as? Double ?? 0) - 1460.0 / 3600) < 1e-9)
        #expect(abs((student["training_cpu_hours"] as? Double ?? 0) - 2360.0 / 3600) < 1e-9)
        #expect(teacher["validation_log_likelihood"] is Double && teacher["epochs"] as? Int == 1)
        let auc = try #require(teacher["auc"] as? [String: Any])
        #expect(Set(auc.keys) == ["low", "high"])
        let low = try #require(auc["low"] as? [String: Any])
        #expect(low["runs"] as? Int == 3 && (low["std"] as? Double ?? -1) >= 0)
        let seeds = try #require(point["seeds"] as? [String: Any])
        #expect(seeds["training"] as? Int == 5 && seeds["evaluation"] as? Int == 7 && seeds["training_data"] as? Int == 21)
        #expect((point["stages"] as? [String: Any])?["teacher"].flatMap { ($0 as? [String: Any])?["attempts"] as? Int } == 2)

        r = CLIRun(["study-record", "--results", p.results, "-p", "eplus", "--label", "p1", "--config", p.config] + check)
        #expect(r.code == 0 && r.stdout == "recorded\n", "\(r.summary)")
        let before = try Data(contentsOf: URL(fileURLWithPath: p.results))
        r = p.record()
        #expect(r.code != 0 && r.errorLines.first?.contains("already holds the eplus point 'p1'") == true, "\(r.summary)")
        // the same label with another configuration: refused, even with --check
        let other = p.dir.file("other.json")
        try write(String(contentsOfFile: p.config, encoding: .utf8) + "\n", to: other)
        r = CLIRun(["study-record", "--results", p.results, "-p", "eplus", "--label", "p1", "--config", other] + check)
        #expect(r.code != 0 && r.errorLines.first?.contains("with another configuration") == true, "\(r.summary)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: p.results)) == before, "a refused record leaves the file as it was")

        // a second point (another label) appends a line; the plot shows both
        r = p.record(label: "p2")
        #expect(r.code == 0, "\(r.summary)")
        #expect(try Self.points(p.results).map { $0["label"] as? String } == ["p1", "p2"])
        let out = p.dir.file("plots")
        r = CLIRun(["study-plot", p.results, "-o", out])
        #expect(r.code == 0, "\(r.summary)")
        #expect(r.stdout.contains("2 points (eplus 2)"))
        let svg = try String(contentsOfFile: out + "/auc-vs-cpu-hours.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "class=\"marker teacher low\"").count - 1 == 2)
        let table = try String(contentsOfFile: out + "/table.md", encoding: .utf8)
        #expect(table.split(separator: "\n").count == 4 && table.contains("| eplus | p1 | 0.41 | 0.66 |"), "\(table)")
    }

    @Test("record refuses inconsistent inputs and records nothing")
    func recordRefuses() throws {
        let p = try Point()
        func refused(_ r: CLIRun, _ message: String) {
            #expect(r.code != 0 && r.errorLines.count == 1 && r.errorLines[0].contains(message), "\(message): \(r.summary)")
            #expect(!FileManager.default.fileExists(atPath: p.results), "nothing recorded after: \(message)")
        }
        refused(p.record(particle: "gamma"), "holds eplus showers, not gamma")
        refused(p.record(particle: "muon"), "unknown particle 'muon'")
        refused(p.record(label: "a b"), "not a valid label")
        refused(p.record(config: p.dir.file("missing.json")), "no such file")
        refused(CLIRun(["study-record", "--results", p.results, "-p", "eplus", "--label", "x", "--config", p.config]),
                "needs --run, --report, --stage-times, --training-data")
        refused(p.record(["--teacher-sample", "flowA"]), "no sample labelled 'flowA'")
        refused(p.record(["--training-data", p.dir.file("reference.h5")]), "is not the file the run was trained on")
        try write(Point.stageLog(studentStatus: 143), to: p.stages)
        refused(p.record(), "the last 'student' attempt ended with status 143")
        try write("start\tflow1\t1\nend\tflow1\t0\t1\t1\t1\n", to: p.stages)
        refused(p.record(), "no finished 'teacher' stage")
        try write("garbage\n", to: p.stages)
        refused(p.record(), "stages.tsv line 1")
        try write(Point.stageLog(), to: p.stages)
        // a single-sample report is not a study report
        try write("{\"complete\": true}", to: p.report)
        refused(p.record(), "is not the report of a multi-sample evaluation")
    }

    @Test("study-record --same-teacher-as: a point reuses a teacher only from a configuration that trains the same one")
    func sameTeacher() throws {
        let dir = TemporaryDirectory(prefix: "caloflow-study-teacher")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let basePath = root.appendingPathComponent("configs/study/t128-e15-d8.json").path
        let base = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: basePath))) as? [String: Any])
        func variant(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
            var c = base
            c["name"] = name
            edit(&c)
            let path = dir.file(name + ".json")
            try JSONSerialization.data(withJSONObject: c).write(to: URL(fileURLWithPath: path))
            return path
        }
        func set(_ c: inout [String: Any], _ section: String, _ part: String, _ key: String, _ value: Any) {
            var s = c[section] as! [String: Any], p = s[part] as! [String: Any]
            p[key] = value
            s[part] = p
            c[section] = s
        }
        let shorter = try variant("d2") { set(&$0, "student", "training", "epochs", 2) }
        let wider = try variant("t256") { set(&$0, "teacher", "architecture", "hiddenFeatures", 256) }
        let flowI = try variant("f64") { set(&$0, "flowI", "training", "epochs", 64) }
        let noisier = try variant("noise") { c in
            var p = c["preprocessing"] as! [String: Any]
            p["noiseLevel"] = 1e-7
            c["preprocessing"] = p
        }
        let limited = try variant("limited") { $0["timeLimit"] = ["trainTeacher": "1h", "distill": "30m"] }
        let distillLimited = try variant("distill-limited") { $0["timeLimit"] = ["distill": "30m"] }
        func check(_ config: String, _ other: String) -> CLIRun {
            CLIRun(["study-record", "--results", dir.file("results.jsonl"), "-p", "eplus", "--label", "x", "--config", config,
                    "--check", "--same-teacher-as", other])
        }
        for (config, other) in [(shorter, basePath), (basePath, shorter), (distillLimited, basePath)] {
            let r = check(config, other)
            #expect(r.code == 0 && r.stdout == "absent\n", "\(config) vs \(other): \(r.summary)")
        }
        for (config, message) in [(wider, "differ in teacher"), (flowI, "differ in flowI"), (noisier, "differ in preprocessing"),
                                  (limited, "limits train-teacher's time"), (dir.file("missing.json"), "missing.json")] {
            let r = check(config, basePath)
            #expect(r.code != 0 && r.errorLines.count == 1 && r.errorLines[0].contains(message), "\(message): \(r.summary)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("results.jsonl")))
    }

    @Test("study-plot: missing, empty or malformed results are named; nothing is written",
          arguments: [("missing", "no such file"), ("empty", "holds no study point"), ("bad", "line 2: not a study point")])
    func plotRefuses(_ kind: String, _ message: String) throws {
        let dir = TemporaryDirectory(prefix: "caloflow-study-plot")
        let results = dir.file("results.jsonl")
        switch kind {
        case "empty": try write("\n", to: results)
        case "bad": try write("\n{\"particle\": \"eplus\"}\n", to: results)
        default: break
        }
        let r = CLIRun(["study-plot", results, "-o", dir.file("plots")])
        #expect(r.code != 0 && r.errorLines.count == 1 && r.errorLines[0].contains(message), "\(r.summary)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("plots")))
    }
}
