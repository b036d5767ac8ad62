import Foundation
import Testing
import CaloData
import CaloPipeline
import CaloTestSupport

/// iCaloFlow through the real program on dataset 2: `simulate --geometry ds2` -> `train-teacher`
/// -> `distill` -> `generate` -> `info` -> `evaluate`, at tiny scale (the models of
/// `Dataset1CommandTests.configJSON`; every shower gives 45 layer examples).
@Suite struct LayerFlowCommandTests {
    @Test func dataset2SimulateTrainDistilGenerateEvaluate() throws {
        let dir = TemporaryDirectory()
        let data = dir.file("ds2.h5"), reference = dir.file("reference.h5")
        for (path, n, seed) in [(data, "120", "1"), (reference, "150", "2")] {
            let simulate = CLIRun(["simulate", "--geometry", "ds2", "-n", n, "--seed", seed, "-o", path, "-q"])
            try #require(simulate.code == 0, "\(simulate.summary)")
        }
        let (run, generated) = try Dataset1CommandTests().chain(dir, data: data, geometry: .ds2)
        let log = (try? String(contentsOfFile: run + "/log.txt", encoding: .utf8)) ?? ""
        #expect(log.contains("layer flow") && log.contains("45 layers of 144 voxels"), "\(log.suffix(1500))")
        // Without an energy option a dataset-2 model draws log-uniform energies over its training range.
        let reader = try ShowerFileReader(path: generated)
        #expect(reader.metadata.extra["energy_spectrum"]?.hasPrefix("log-uniform") == true, "\(reader.metadata.extra)")
        // Two parts and a merge give the same showers as one process (each shower has its own stream).
        var parts = [String]()
        for i in 0..<2 {
            let part = dir.file("part\(i).h5")
            let r = CLIRun(["generate", "--model", run, "-n", "300", "--batch-size", "128", "-o", part, "--seed", "6", "-j", "1",
                            "--part", "\(i)/2", "-q"])
            try #require(r.code == 0, "\(r.summary)")
            parts.append(part)
        }
        let merged = dir.file("merged.h5")
        let merge = CLIRun(["merge", "-o", merged, "-q"] + parts)
        try #require(merge.code == 0, "\(merge.summary)")
        let whole = try ShowerFileReader(path: generated).readAll(), joined = try ShowerFileReader(path: merged).readAll()
        #expect(joined.voxels.storage == whole.voxels.storage && joined.incidentEnergy == whole.incidentEnergy)
        let evaluate = CLIRun(["evaluate", "-r", reference, "-g", generated, "-o", dir.file("report"), "-n", "150",
                               "--classifier", "low", "--epochs", "2", "--patience", "0", "--batch-size", "100",
                               "--fpd-batches", "1", "--kpd-batches", "1", "-q"])
        #expect(evaluate.code == 0, "\(evaluate.summary)")
        let reportJSON = (try? String(contentsOfFile: dir.file("report") + "/report.json", encoding: .utf8)) ?? ""
        #expect(reportJSON.contains("\"ds2\"") && reportJSON.contains("auc"), "\(reportJSON.prefix(400))")
        // A dataset-2 run refuses to generate showers of dataset 3.
        let other = CLIRun(["generate", "--model", run, "-n", "10", "-o", dir.file("x.h5"), "--geometry", "ds3", "-q"])
        #expect(other.code == 1 && other.stderr.contains("models showers of the geometry ds2"), "\(other.summary)")
        #expect(!FileSystem.exists(dir.file("x.h5")))
    }
}
