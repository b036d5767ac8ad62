import CaloCLI
import Foundation
import Testing
import CaloTestSupport

/// `caloflow evaluate` end to end, in-process: files simulated by `caloflow simulate`.
@Suite("evaluate command", .serialized)
struct EvaluateCommandTests {
    /// A fresh temporary folder with small e+ and pi+ files (and a 50-shower e+ file); removed on deinit.
    final class Workspace {
        let path: String
        init(showers: Int = 200) throws {
            path = try TemporaryDirectory.makeUnique(prefix: "caloflow-evaluate")
            for (particle, n, seed, name) in [("eplus", showers, 1, "e.h5"), ("piplus", showers, 2, "pi.h5"), ("eplus", 50, 3, "tiny.h5")] {
                let r = Self.caloflow(["simulate", "-p", particle, "-n", "\(n)", "--seed", "\(seed)", "-o", path + "/" + name, "-q"])
                guard r.code == 0 else { throw ValidationError("simulate failed: \(r.stderr)") }
            }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        static func caloflow(_ arguments: [String]) -> (code: Int32, stdout: String, stderr: String) {
            let out = StringSink(), err = StringSink()
            let code = CaloflowCLI.program.run(arguments, console: Console(output: out, errorOutput: err))
            return (code, out.text, err.text)
        }
    }

    static let quick = ["--epochs", "3", "--patience", "0", "--batch-size", "250", "-j", "2"]

    @Test("e+ against pi+: exit 0, complete report with every file, AUC above 0.9")
    func electronsVersusPions() throws {
        let w = try Workspace(showers: 600)
        let out = w.path + "/report"
        let r = Workspace.caloflow(["evaluate", "-r", w.path + "/e.h5", "-g", w.path + "/pi.h5", "-o", out,
                                    "--classifier", "low,high"] + Self.quick)
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("report: \(out)/report.html"))
        #expect(r.stdout.contains("DNN-low") && r.stdout.contains("DNN-high"))
        #expect(r.stderr.contains("different particles"), "particle mismatch is a warning")
        #expect(r.stderr.contains("epoch 1/3: train loss"), "per-epoch lines are logged")

        let fm = FileManager.default
        for f in ["report.html", "report.json", "images/average_shower.png", "images/single_showers.png",
                  "images/average_shower_E_1-10GeV.png", "plots/E_tot.svg", "plots/E_inc.svg",
                  "plots/classifier_low_run1_loss.svg"] {
            #expect(fm.fileExists(atPath: out + "/" + f), "missing \(f)")
        }
        let leftovers = try fm.subpathsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
        let png = try Data(contentsOf: URL(fileURLWithPath: out + "/images/average_shower.png"))
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("data:image/png;base64,") && html.contains("<svg"))
        #expect(!html.contains("src=\"images/"), "the HTML is self-contained")

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as! [String: Any]
        for key in ["provenance", "configuration", "classifiers", "features", "distributions", "incidentEnergy",
                    "energyBins", "timings", "complete"] {
            #expect(json[key] != nil, "report.json lacks \(key)")
        }
        #expect(json["complete"] as? Bool == true)
        let classifiers = json["classifiers"] as! [[String: Any]]
        #expect(classifiers.map { $0["variant"] as? String } == ["low", "high"])
        for c in classifiers {
            let auc = (c["auc"] as! [String: Any])["mean"] as! Double
            #expect(auc > 0.9, "AUC \(auc) for \(c["variant"]!)")
            let run = (c["runs"] as! [[String: Any]])[0]
            let epochs = (run["history"] as! [Any]).count
            #expect(epochs == 3 || (epochs < 3 && run["stopReason"] as? String == "validation accuracy 1"))
        }
        #expect((json["features"] as! [Any]).count == 51)
        let prov = json["provenance"] as! [String: Any]
        #expect(prov["eventsUsed"] as? Int == 600 && prov["referenceParticle"] as? String == "eplus")
    }

    @Test("bad input fails with a clear message and writes nothing",
          arguments: [("missing.h5", "e.h5", "missing.h5"), ("tiny.h5", "e.h5", "too few showers")])
    func badInput(_ reference: String, _ generated: String, _ message: String) throws {
        let w = try Workspace()
        let out = w.path + "/report"
        let r = Workspace.caloflow(["evaluate", "-r", w.path + "/" + reference, "-g", w.path + "/" + generated,
                                    "-o", out] + Self.quick)
        #expect(r.code != 0)
        #expect(r.stderr.contains("error:") && r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("usage errors: unknown variant, same file twice, an existing report without --force")
    func usageErrors() throws {
        let w = try Workspace()
        let e = w.path + "/e.h5", pi = w.path + "/pi.h5", out = w.path + "/r"
        let unknown = Workspace.caloflow(["evaluate", "-r", e, "-g", pi, "-o", out, "--classifier", "cnn"])
        #expect(unknown.code == 2 && unknown.stderr.contains("unknown classifier variant 'cnn'"))
        let same = Workspace.caloflow(["evaluate", "-r", e, "-g", e, "-o", out])
        #expect(same.code == 2 && same.stderr.contains("same file"))
        let first = Workspace.caloflow(["evaluate", "-r", e, "-g", pi, "-o", out, "--classifier", "none"] + Self.quick)
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("no classifier trained"))
        let again = Workspace.caloflow(["evaluate", "-r", e, "-g", pi, "-o", out, "--classifier", "none"] + Self.quick)
        #expect(again.code != 0 && again.stderr.contains("--force"))
    }

    @Test("--classifier-network calochallenge trains the challenge's 2 x 2048 network; explicit options override its own; FPD/KPD reported")
    func challengeNetwork() throws {
        let w = try Workspace(showers: 300)
        let e = w.path + "/e.h5", pi = w.path + "/pi.h5", out = w.path + "/r"
        let r = Workspace.caloflow(["evaluate", "-r", e, "-g", pi, "-o", out, "--classifier", "high",
                                    "--classifier-network", "calochallenge", "--epochs", "2", "-j", "2"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("CaloChallenge metrics: FPD x10^3 = "), "\(r.stdout)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as! [String: Any]
        let options = (json["configuration"] as! [String: Any])["classifier"] as! [String: Any]
        #expect(options["hidden"] as? [Int] == [2048, 2048])
        #expect(options["learningRate"] as? Double == 2e-4, "the network's own learning rate")
        #expect(options["patience"] as? Int == 0, "no early stopping, as the challenge trains")
        #expect(options["maxEpochs"] as? Int == 2, "--epochs given explicitly wins")
        let metrics = json["challengeMetrics"] as! [String: Any]
        #expect(metrics["geometry"] as? String == "calogan")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("CaloChallenge FPD / KPD") && html.contains("2048/2048"))

        let bad = Workspace.caloflow(["evaluate", "-r", e, "-g", pi, "-o", w.path + "/bad", "--classifier-network", "resnet"])
        #expect(bad.code == 2 && bad.stderr.contains("--classifier-network") && bad.stderr.contains("calochallenge"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.path + "/bad"))
    }
}
