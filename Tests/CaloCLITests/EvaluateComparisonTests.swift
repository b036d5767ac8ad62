import CaloCLI
import CaloData
import CaloTestSupport
import Foundation
import Testing

/// `caloflow evaluate` with several generated files: one report, per-sample numbers equal to
/// single-file evaluations with the same seed, and bad input refused before anything is written.
@Suite("evaluate with several generated samples", .serialized)
struct EvaluateComparisonTests {
    /// Small simulated files: the reference (e+, seed 1), another e+ sample (seed 2), a gamma
    /// sample (seed 3) and a pi+ sample (seed 4), 400 showers each.
    final class Files {
        let dir = TemporaryDirectory(prefix: "caloflow-compare")
        init() throws {
            for (particle, seed, name) in [("eplus", 1, "ref"), ("eplus", 2, "e2"), ("gamma", 3, "gamma"), ("piplus", 4, "pi")] {
                let r = CLIRun(["simulate", "-p", particle, "-n", "400", "--seed", "\(seed)", "-o", dir.file(name + ".h5"), "-q"])
                guard r.code == 0 else { throw TestFailure("simulate failed: \(r.summary)") }
            }
        }
        func file(_ name: String) -> String { dir.file(name) }
    }

    static let quick = ["--epochs", "2", "--patience", "0", "--batch-size", "200", "--classifier", "low,high",
                        "--classifier-runs", "2", "--seed", "7", "-j", "2", "-q"]

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// A report.json value without the wall times, which differ from run to run.
    static func withoutTimes(_ value: Any) -> Any {
        if let d = value as? [String: Any] {
            return d.filter { $0.key != "seconds" }.mapValues(withoutTimes)
        }
        if let a = value as? [Any] { return a.map(withoutTimes) }
        return value
    }

    static func same(_ a: Any?, _ b: Any?) -> Bool {
        guard let a, let b else { return false }
        return NSDictionary(dictionary: ["v": withoutTimes(a)]).isEqual(to: ["v": withoutTimes(b)])
    }

    @Test("three samples: one report with one entry per sample; each equals the single-file evaluation with the same seed")
    func threeSamples() throws {
        let f = try Files()
        let out = f.file("report")
        let r = CLIRun(["evaluate", "-r", f.file("ref.h5"), "-g", "same=" + f.file("e2.h5"),
                        "--generated", f.file("gamma.h5") + ",pions=" + f.file("pi.h5"), "-o", out] + Self.quick)
        #expect(r.code == 0, "\(r.summary)")
        #expect(r.stdout.contains("report: \(out)/report.html"))
        for label in ["same", "gamma", "pions"] { #expect(r.stdout.contains("\n  \(label) "), "summary row of \(label)") }
        #expect(r.stderr.contains("gamma: the files hold different particles"), "\(r.stderr)")

        let report = try Self.json(out + "/report.json")
        #expect(report["complete"] as? Bool == true)
        #expect(report["eventsUsed"] as? Int == 400)
        let samples = try #require(report["samples"] as? [[String: Any]])
        #expect(samples.map { $0["label"] as? String } == ["same", "gamma", "pions"])
        for s in samples {
            let result = try #require(s["result"] as? [String: Any])
            #expect(result["complete"] as? Bool == true)
            let classifiers = try #require(result["classifiers"] as? [[String: Any]])
            #expect(classifiers.map { $0["variant"] as? String } == ["low", "high"])
            for c in classifiers {
                let auc = try #require(c["auc"] as? [String: Any])
                #expect(auc["count"] as? Int == 2 && (auc["standardDeviation"] as? Double ?? -1) >= 0)
            }
        }
        // The pions are told apart, the second e+ sample is not.
        func auc(_ k: Int) -> Double {
            let c = (samples[k]["result"] as! [String: Any])["classifiers"] as! [[String: Any]]
            return (c[0]["auc"] as! [String: Any])["mean"] as! Double
        }
        #expect(auc(2) > 0.9 && auc(0) < 0.7, "AUCs \(auc(0)), \(auc(2))")

        // Single-file evaluations of two of the samples give the same numbers.
        for (k, name) in [(0, "e2.h5"), (2, "pi.h5")] {
            let single = f.file("single-\(k)")
            let s = CLIRun(["evaluate", "-r", f.file("ref.h5"), "-g", f.file(name), "-o", single] + Self.quick)
            #expect(s.code == 0, "\(s.summary)")
            let one = try Self.json(single + "/report.json")
            let result = samples[k]["result"] as! [String: Any]
            for key in ["classifiers", "features", "distributions", "incidentEnergy", "energyBins", "configuration"] {
                #expect(Self.same(one[key], result[key]), "\(name): \(key) differs from the single-file evaluation")
            }
            #expect(one["samples"] == nil, "a single sample keeps the single-sample layout")
        }

        let fm = FileManager.default
        // E_tot is binned on the range of each pair of samples (issue #14), so it has one figure per sample;
        // the layer energies share fixed bins and are overlaid.
        for file in ["report.html", "images/average_shower.png", "images/single_showers.png", "plots/E_0.svg",
                     "plots/E_tot_same.svg", "plots/E_tot_pions.svg",
                     "plots/voxel_energy.svg", "plots/classifier_low_pions_validation.svg", "plots/classifier_high_same_loss.svg"] {
            #expect(fm.fileExists(atPath: out + "/" + file), "missing \(file)")
        }
        #expect(try fm.subpathsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }.isEmpty)
        let svg = try String(contentsOfFile: out + "/plots/E_0.svg", encoding: .utf8)
        #expect(svg.components(separatedBy: "class=\"series generated\"").count - 1 == 3, "one line per sample")
        #expect(svg.contains("pions/ref.") && svg.contains("same/ref."), "one ratio panel per sample")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Headline numbers") && html.contains("separation power pions"))
        #expect(!html.contains("src=\"images/"), "the HTML is self-contained")
    }

    @Test("a trained run as --model: its teacher's log-likelihood and the flow are reported, the latent calibration drawn")
    func withModel() throws {
        let pipeline = try TrainedPipeline.get()
        let f = try Files()
        let out = f.file("report")
        let r = CLIRun(["evaluate", "-r", f.file("ref.h5"), "-g", "teacher=" + pipeline.generatedPath, "-g", "sim=" + f.file("e2.h5"),
                        "--model", "teacher=" + pipeline.runPath, "--latent-events", "200", "-o", out] + Self.quick)
        #expect(r.code == 0, "\(r.summary)")
        let samples = try #require(try Self.json(out + "/report.json")["samples"] as? [[String: Any]])
        #expect(samples[0]["flow"] as? String == "teacher")
        let training = try #require(samples[0]["training"] as? [String: Any])
        #expect(training["teacherValidationLogLikelihood"] is Double && training["teacherEpochs"] as? Int == 1)
        #expect(samples[1]["training"] == nil && samples[1]["flow"] == nil)
        let latent = try #require((samples[0]["result"] as? [String: Any])?["latentCalibration"] as? [String: Any])
        #expect(latent["showers"] as? Int == 200)
        #expect(FileManager.default.fileExists(atPath: out + "/plots/latent_calibration.svg"))
    }

    @Test("bad input: a clear error, the right exit code, and no report folder",
          arguments: [
              // (arguments after -r ref.h5 -o report, exit code, message)
              (["-g", "a=e2.h5", "-g", "a=gamma.h5"], 2, "the label 'a' is given twice"),
              (["-g", "e2.h5", "-g", "sub/e2.h5"], 2, "the label 'e2' is given twice"),
              (["-g", "e2.h5,e2.h5"], 2, "e2.h5 is given twice"),
              (["-g", "e2.h5", "-g", "missing.h5"], 1, "missing.h5"),
              (["-g", "e2.h5", "-g", "ds1.h5"], 1, "ds1.h5"),
              (["-g", "e2.h5", "-g", "nan.h5"], 1, "nan.h5"),
              (["-g", "e2.h5", "-g", "folder"], 1, "is a folder"),
              (["-g", "a=e2.h5", "-g", "b=gamma.h5", "--model", "c=run"], 2, "no generated sample is labelled 'c'"),
              (["-g", "a=e2.h5", "-g", "b=gamma.h5", "--model", "x,y,z"], 2, "3 runs for 2 samples"),
              (["-g", "bad label=e2.h5", "-g", "gamma.h5"], 2, "not a valid label"),
              (["-g", "e2.h5", "-g", "ref.h5"], 2, "the same file"),
              ([], 2, "give at least one generated shower file"),
          ] as [([String], Int32, String)])
    func badInput(_ extra: [String], _ code: Int32, _ message: String) throws {
        let f = try Files()
        try FileManager.default.createDirectory(atPath: f.file("folder"), withIntermediateDirectories: true)
        // A CaloChallenge dataset-1 photon file (368 voxels): another geometry.
        let h = try HDF5File(path: f.file("ds1.h5"), mode: .create(overwrite: false))
        try h.createDataset("incident_energies", values: [Float](repeating: 1000, count: 200), shape: [200, 1])
        try h.createDataset("showers", values: [Float](repeating: 1, count: 200 * 368), shape: [200, 368])
        try h.close()
        // A CaloGAN file whose last shower holds a NaN.
        try writeRawShowerFile(f.file("nan.h5"), n: 400) { Float(1 + $0 % 90) }
        let g = try HDF5File(path: f.file("nan.h5"), mode: .readWrite)
        var cells = [Float](repeating: 0.5, count: 400 * 72)
        cells[399 * 72 + 5] = .nan
        try g.write("layer_2", cells)
        try g.close()

        let args = extra.map { a in
            a.split(separator: ",", omittingEmptySubsequences: false).map { item -> String in
                let s = String(item)
                if s.hasPrefix("-") { return s }
                if let eq = s.firstIndex(of: "="), !s[..<eq].contains("/") {
                    return String(s[...eq]) + f.file(String(s[s.index(after: eq)...]))
                }
                return f.file(s)
            }.joined(separator: ",")
        }
        let out = f.file("report")
        let r = CLIRun(["evaluate", "-r", f.file("ref.h5"), "-o", out] + args + Self.quick)
        #expect(r.code == code, "\(r.summary)")
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains(message), "\(r.summary)")
        #expect(!FileManager.default.fileExists(atPath: out), "no report folder after: \(message)")
    }
}
