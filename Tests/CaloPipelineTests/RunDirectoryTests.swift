import Testing
import Foundation
import CaloData
import CaloTensor
import CaloPipeline
import CaloTestSupport

@Suite struct RunDirectoryTests {
    func record(_ stage: String, _ epoch: Int, loss: Double = 1) -> MetricsRecord {
        MetricsRecord(stage: stage, epoch: epoch, step: epoch * 10, trainLoss: loss, validationLogLikelihood: -loss * 2,
                      learningRate: 1e-4, seconds: 2.5, showersPerSecond: 400)
    }

    @Test func layoutConfigInvocationsAndLog() throws {
        let tmp = TemporaryDirectory()
        let run = try RunDirectory.create(at: tmp.file("runs/demo/"))
        #expect(run.path == tmp.file("runs/demo") && FileSystem.isDirectory(run.path))
        #expect(run.checkpointPath(stage: "teacher", .best) == run.path + "/teacher-best.h5")
        #expect(run.checkpointPath(stage: "flow1", .last) == run.path + "/flow1-last.h5")

        let config = "{\n  \"seed\": 7,\n  \"teacher\": {\"blocks\": 8}\n}\n"
        try run.writeConfig(jsonText: config)
        #expect(try String(contentsOfFile: run.configPath, encoding: .utf8) == config, "copied as given")
        #expect(throws: RunDirectoryError.self) { try run.writeConfig(jsonText: "{seed: 7") }

        let first = RunInvocation(command: "train-teacher", commandLine: ["caloflow", "train-teacher", "--seed", "7"], seed: 7,
                                  threads: 2, dataFile: "data/eplus.h5", appVersion: "0.1.0", started: "2026-01-01T00:00:00Z")
        var second = first
        second.command = "distill"; second.resumed = true; second.extra = ["openblas_core": "Haswell"]
        try run.recordInvocation(first)
        try run.recordInvocation(second)
        #expect(try run.invocations() == [first, second])
        let json = try String(contentsOfFile: run.runInfoPath, encoding: .utf8)
        #expect(json.contains("\"command_line\"") && json.contains("\"data_file\" : \"data/eplus.h5\""))

        try run.log("epoch 1 / 10")
        try run.log("two\nlines", timestamp: false)
        let log = try String(contentsOfFile: run.logPath, encoding: .utf8).split(separator: "\n")
        #expect(log.count == 3 && log[0].hasSuffix("Z epoch 1 / 10") && log[1] == "two" && log[2] == "lines")
    }

    @Test func startingOverExistingCheckpointsNeedsResume() throws {
        let tmp = TemporaryDirectory()
        let run = try RunDirectory.create(at: tmp.file("r"))
        try run.checkCanStart(resume: false)
        #expect(!run.hasCheckpoints)

        try sampleCheckpoint().0.write(to: run.checkpointPath(stage: "teacher", .last))
        #expect(run.existingCheckpoints() == ["teacher-last.h5"])
        #expect { try run.checkCanStart(resume: false) } throws: { e in
            guard case RunDirectoryError.checkpointsExist(_, let files) = e else { return false }
            return files == ["teacher-last.h5"] && "\(e)".contains("--resume")
        }
        try run.checkCanStart(resume: true)
        try run.checkCanStart(resume: false, stages: ["student"])
        #expect(try run.resumeCheckpoint(stage: "teacher") == run.checkpointPath(stage: "teacher", .last))
        #expect { try run.resumeCheckpoint(stage: "student") } throws: { e in
            guard case RunDirectoryError.nothingToResume = e else { return false }; return true
        }
    }

    @Test func metricsAppendAndReadBack() throws {
        let tmp = TemporaryDirectory()
        let run = try RunDirectory.create(at: tmp.file("r"))
        #expect(try run.readMetrics().records.isEmpty)
        var records = [record("teacher", 1, loss: 3.5), record("teacher", 2, loss: 3.25)]
        records[1].validationLoss = 0.5
        records[1].extra = ["max_gradient_norm": 12.5]
        records.append(MetricsRecord(stage: "teacher", epoch: 3, trainLoss: .nan, learningRate: 1e-4, seconds: 1, showersPerSecond: 0))
        for r in records { try run.appendMetrics(r) }
        let text = try String(contentsOfFile: run.metricsPath, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 3 && text.hasSuffix("\n"))
        #expect(text.hasPrefix(#"{"epoch":1,"learning_rate":0.0001,"#), "compact, key-sorted lines")
        let back = try run.readMetrics()
        #expect(!back.droppedIncompleteLine)
        #expect(Array(back.records.prefix(2)) == Array(records.prefix(2)))
        #expect(back.records[2].trainLoss.isNaN)
    }

    @Test func truncatedLastLineIsToleratedAndCutBeforeTheNextAppend() throws {
        let tmp = TemporaryDirectory()
        let run = try RunDirectory.create(at: tmp.file("r"))
        try run.appendMetrics(record("teacher", 1))
        try run.appendMetrics(record("teacher", 2))
        let full = try #require(fileBytes(run.metricsPath))
        try full.prefix(full.count - 20).write(to: URL(fileURLWithPath: run.metricsPath))

        let partial = try run.readMetrics()
        #expect(partial.records == [record("teacher", 1)] && partial.droppedIncompleteLine)
        #expect(run.contents().problems.contains { $0.contains("incomplete") })

        try run.appendMetrics(record("teacher", 2, loss: 0.5))
        let repaired = try run.readMetrics()
        #expect(repaired.records == [record("teacher", 1), record("teacher", 2, loss: 0.5)] && !repaired.droppedIncompleteLine)
    }

    @Test func corruptMiddleLineIsAnError() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("metrics.jsonl")
        try MetricsLog.append(record("flow1", 1), to: path)
        let good = try String(contentsOfFile: path, encoding: .utf8)
        try (good + "{\"epoch\": \n" + good).write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try MetricsLog.read(from: path) } throws: { e in
            guard case RunDirectoryError.corruptMetrics(_, let line, _) = e else { return false }
            return line == 2
        }
    }

    @Test func resumeTruncationKeepsOtherStages() throws {
        let tmp = TemporaryDirectory()
        let path = tmp.file("metrics.jsonl")
        let all = [record("teacher", 1), record("teacher", 2), record("student", 1), record("student", 2), record("student", 3)]
        try MetricsLog.rewrite(all, to: path)
        try MetricsLog.truncate(path, stage: "student", afterEpoch: 1)
        #expect(try MetricsLog.read(from: path).records == Array(all.prefix(3)))
    }

    @Test func contentsListsWhatTheRunHolds() throws {
        let tmp = TemporaryDirectory()
        let run = try RunDirectory.create(at: tmp.file("r"))
        try run.writeConfig(jsonText: "{}")
        try run.recordInvocation(RunInvocation(command: "train-teacher", commandLine: ["caloflow"], seed: 3, threads: 2,
                                               appVersion: "0.1.0", started: "2026-01-01T00:00:00Z"))
        try sampleCheckpoint().0.write(to: run.checkpointPath(stage: "teacher", .last))
        try "not hdf5".write(toFile: run.checkpointPath(stage: "teacher", .best), atomically: true, encoding: .utf8)
        try run.appendMetrics(record("teacher", 1))
        try run.appendMetrics(record("teacher", 2, loss: 0.25))
        try "png".write(toFile: run.file("loss.svg"), atomically: true, encoding: .utf8)

        let c = run.contents()
        #expect(c.exists && c.hasConfig && c.invocations.count == 1 && c.metricsCount == 2)
        #expect(c.latestMetrics["teacher"]?.epoch == 2)
        #expect(c.checkpoints.map(\.file) == ["teacher-best.h5", "teacher-last.h5"])
        #expect(c.checkpoints[0].header == nil && c.checkpoints[0].problem?.contains("not an HDF5 file") == true)
        #expect(c.checkpoints[1].header?.epoch == 2 && c.checkpoints[1].bytes > 0)
        #expect(c.otherFiles == ["loss.svg"])
        let text = c.description
        #expect(text.contains("teacher-last.h5") && text.contains("resumable") && text.contains("train-teacher"))
        #expect(!RunDirectory(path: tmp.file("missing")).contents().exists)
    }
}
