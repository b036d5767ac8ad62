import CaloCLI
import CaloPipeline
import CaloTestSupport
import Foundation
import Testing

/// `train-teacher` under a config's `timeLimit.trainTeacher`, which covers Flow I and the teacher
/// together: training them one `--stage` at a time must not give each stage the whole limit.
@Suite("train-teacher time limits", .serialized)
struct TimeLimitCommandTests {
    @Test func stagesRunSeparatelyShareTheConfigLimit() throws {
        let pipeline = try TrainedPipeline.get()
        let dir = TemporaryDirectory(prefix: "caloflow-time-limit")
        let limit = 4.0
        var config = try #require(try JSONSerialization.jsonObject(with: Data(TrainedPipeline.configJSON.utf8)) as? [String: Any])
        config["timeLimit"] = ["trainTeacher": "\(Int(limit))s"]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir.file("config.json")))
        var budgets = [String: Double]()
        for stage in ["flow1", "teacher"] {
            let r = CLIRun(["train-teacher", "--data", pipeline.dataPath, "--config", dir.file("config.json"), "--run", dir.file("run"),
                            "--stage", stage, "--seed", "3", "-j", "2", "-q"])
            #expect(r.code == 0, "\(r.summary)")
            let plan = try #require(try RunDirectory(path: dir.file("run")).plannedSchedule(stage: stage))
            budgets[stage] = plan.budgetSeconds
        }
        let flow1 = try #require(budgets["flow1"]), teacher = try #require(budgets["teacher"])
        // Each got a positive part of the limit, and together no more than the limit (the time each
        // stage's step measurement took comes off its part).
        #expect(flow1 > 0 && teacher > 0)
        #expect(flow1 + teacher <= limit, "flow1 \(flow1) s + teacher \(teacher) s > the \(limit) s limit")
        let log = try String(contentsOfFile: dir.file("run/log.txt"), encoding: .utf8)
        #expect(log.contains("covers Flow I and the teacher together"))
    }
}
