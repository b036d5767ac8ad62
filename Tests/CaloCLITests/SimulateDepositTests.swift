import Testing
import Foundation
import CaloCLI
import CaloData
import CaloTestSupport

/// `simulate --deposit`: argon (active) deposits by default, lead + argon with `total`; the file
/// says which, `info` shows it with the mean deposit over E_inc, and `evaluate` warns when a
/// reference and a generated file hold different kinds.
@Suite struct SimulateDepositTests {
    static func response(_ path: String) throws -> Double {
        let b = try ShowerFileReader(path: path).readAll()
        return (0..<b.count).map { i in Double(b.voxels.row(i).reduce(0, +)) / (1000 * Double(b.incidentEnergy[i])) }
            .reduce(0, +) / Double(b.count)
    }

    @Test func activeByDefaultTotalOnRequest() throws {
        let dir = TemporaryDirectory()
        let active = dir.file("active.h5"), total = dir.file("total.h5")
        let a = CLIRun(["simulate", "-p", "eplus", "-n", "200", "--seed", "3", "-o", active, "-q"])
        let t = CLIRun(["simulate", "-p", "eplus", "-n", "200", "--seed", "3", "-o", total, "--deposit", "total", "-q"])
        #expect(a.code == 0 && t.code == 0, "\(a.summary)\n\(t.summary)")
        let ma = try ShowerFileReader(path: active).metadata, mt = try ShowerFileReader(path: total).metadata
        #expect(ma.extra[ShowerFileLayout.AttributeName.deposit] == "active")
        #expect(mt.extra[ShowerFileLayout.AttributeName.deposit] == "total")
        #expect(ma.extra[ShowerFileLayout.AttributeName.depositNote]?.contains("liquid-argon") == true)
        let ra = try Self.response(active), rt = try Self.response(total)
        #expect(ra > 0.17 && ra < 0.2, "active response \(ra)")
        #expect(rt > 0.98 && rt < 1.0, "total response \(rt)")

        let info = CLIRun(["info", active])
        #expect(info.code == 0)
        #expect(info.stdout.contains("deposit: active"))
        #expect(info.stdout.contains("active (liquid-argon) deposit in the cells / E_inc: mean 0.1"), "\(info.stdout)")
        #expect(info.stdout.contains("layer shares of the cell energy [%]:"))
        let infoTotal = CLIRun(["info", total])
        #expect(infoTotal.stdout.contains("total (lead + argon) deposit in the cells / E_inc: mean 0.99"), "\(infoTotal.stdout)")

        let help = CLIRun(["help", "simulate"])
        #expect(help.stdout.contains("--deposit") && help.stdout.contains("Mendeley"))
    }

    @Test func unknownDepositKindIsRefused() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("x.h5")
        let r = CLIRun(["simulate", "-n", "10", "-o", out, "--deposit", "visible"])
        #expect(r.code != 0)
        #expect(r.errorLines.contains { $0.contains("--deposit") && $0.contains("active") && $0.contains("total") }, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func evaluateWarnsWhenDepositKindsDiffer() throws {
        let dir = TemporaryDirectory()
        let active = dir.file("active.h5"), total = dir.file("total.h5")
        #expect(CLIRun(["simulate", "-n", "200", "--seed", "1", "-o", active, "-q"]).code == 0)
        #expect(CLIRun(["simulate", "-n", "200", "--seed", "2", "-o", total, "--deposit", "total", "-q"]).code == 0)
        let r = CLIRun(["evaluate", "-r", active, "-g", total, "-o", dir.file("report"), "--classifier", "none"])
        #expect(r.code == 0, "\(r.summary)")
        #expect(r.stderr.contains("'active' deposits") && r.stderr.contains("'total' deposits"), "\(r.stderr)")
    }
}

extension SimulateDepositTests {
    /// `train-teacher` records the training file's deposit kind and `generate` writes it.
    @Test func generatedFilesInheritTheDepositKind() throws {
        let fixture = try TrainedPipeline.get()
        let m = try ShowerFileReader(path: fixture.generatedPath).metadata
        #expect(m.extra[ShowerFileLayout.AttributeName.deposit] == "active")
    }
}
