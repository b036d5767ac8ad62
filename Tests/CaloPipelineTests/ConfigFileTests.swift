import Testing
import Foundation
import CaloPipeline
import CaloTestSupport

/// The shipped configs (configs/*.json) must load, and a config with a typo or an impossible
/// value must fail with a message naming the key.
@Suite("CaloFlowConfig: shipped configs load, bad ones are refused by key")
struct ConfigFileTests {
    /// The repository root: three levels up from this file (Tests/CaloPipelineTests/<file>).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Every configs/*.json of the repository, and the study's configs/study/*.json and
    /// configs/study/smoke/*.json (empty when the folders are absent or empty).
    static var shippedConfigs: [String] {
        ["configs", "configs/study", "configs/study/smoke"].flatMap { sub -> [String] in
            let dir = repositoryRoot.appendingPathComponent(sub).path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return names.filter { $0.hasSuffix(".json") }.sorted().map { dir + "/" + $0 }
        }
    }

    @Test("every configs/*.json (and configs/study/) decodes with CaloFlowConfig.load")
    func shippedConfigsLoad() throws {
        // The root really is the package (so an empty list means "no configs", not "wrong folder").
        #expect(FileManager.default.fileExists(atPath: Self.repositoryRoot.appendingPathComponent("Package.swift").path))
        let files = Self.shippedConfigs
        let dir = Self.repositoryRoot.appendingPathComponent("configs").path
        let anyJSON = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasSuffix(".json") }
        if anyJSON { #expect(!files.isEmpty) }
        for path in files {
            do {
                let config = try CaloFlowConfig.load(path: path)
                #expect(!config.name.isEmpty, "\(path) has an empty name")
                #expect(config.student.architecture.blocks == config.teacher.architecture.blocks)
            } catch {
                Issue.record("\(path) does not load: \(error)")
            }
        }
    }

    static let valid = """
        {
          "name": "t",
          "flowI": {"architecture": {"blocks": 2, "hiddenFeatures": 16, "hiddenLayers": 2},
                    "training": {"epochs": 1, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}},
          "teacher": {"architecture": {"blocks": 2, "hiddenFeatures": 32, "hiddenLayers": 2, "dropout": 0.05},
                      "training": {"epochs": 1, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}},
          "student": {"architecture": {"blocks": 2, "hiddenFeatures": 32, "hiddenLayers": 2},
                      "training": {"epochs": 1, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}}
        }
        """

    func load(_ text: String) throws -> CaloFlowConfig {
        let dir = TemporaryDirectory()
        let path = dir.file("config.json")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try CaloFlowConfig.load(path: path)
    }

    @Test("the template config loads with the documented defaults")
    func validLoads() throws {
        let c = try load(Self.valid)
        #expect(c.teacher.architecture.dropout == 0.05)
        #expect(c.teacher.architecture.bins == 8 && c.teacher.architecture.tailBound == 14)
        #expect(c.preprocessing == Preprocessing())
        #expect(c.flowI.training.validationFraction == 0.2 && c.flowI.training.noise)
        #expect(c.teacher.training.emaDecay == 0 && c.student.training.emaDecay == 0, "no weight average unless asked for")
    }

    @Test("a bad key or value fails, naming the key", arguments: [
        (#""hiddenFeatures": 32, "hiddenLayers": 2, "dropout": 0.05}"#, #""hiddenFeatures": 32, "hiddenLayers": 2, "dropuot": 0.05}"#, "teacher.architecture.dropuot"),
        (#""hiddenFeatures": 32, "hiddenLayers": 2, "dropout": 0.05}"#, #""hiddenFeatures": 32, "hiddenLayers": 2, "dropout": 1.5}"#, "teacher.architecture.dropout"),
        (#""name": "t","#, #""name": "t", "learningRate": 1,"#, "learningRate"),
        (#"{"epochs": 1, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}},"# + "\n  \"teacher\"",
         #"{"epochs": -3, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}},"# + "\n  \"teacher\"", "flowI.training.epochs"),
        (#""hiddenFeatures": 16, "hiddenLayers": 2}"#, #""hiddenFeatures": 0, "hiddenLayers": 2}"#, "flowI.architecture.hiddenFeatures"),
        ("\"dropout\": 0.05},\n              \"training\": {\"epochs\": 1,",
         "\"dropout\": 0.05},\n              \"training\": {\"emaDecay\": 1, \"epochs\": 1,", "teacher.training.emaDecay"),
        ("\"hiddenLayers\": 2},\n              \"training\": {\"epochs\": 1,",
         "\"hiddenLayers\": 2},\n              \"training\": {\"emaDecay\": -0.5, \"epochs\": 1,", "student.training.emaDecay"),
    ])
    func badConfig(_ original: String, _ replacement: String, _ key: String) throws {
        #expect(Self.valid.contains(original), "the test edit applies")
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.valid)
        do {
            _ = try load(text)
            Issue.record("a config with a bad '\(key)' loaded")
        } catch {
            let message = "\(error)"
            #expect(message.contains(key), "\(message)")
            #expect(!message.contains("\n"))
        }
    }
}
