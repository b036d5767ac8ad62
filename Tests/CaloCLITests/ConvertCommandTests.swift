import Testing
import Foundation
import CaloCLI
import CaloData
import CaloTensor
import CaloTestSupport

/// `caloflow convert` through the real program: CaloGAN → flat → CaloGAN keeps every voxel and
/// the metadata, and bad requests fail without touching anything.
@Suite struct ConvertCommandTests {
    static func sample(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.file("calogan.h5")
        let r = CLIRun(["simulate", "-p", "piplus", "-n", "300", "--seed", "4", "-o", path, "-q"])
        #expect(r.code == 0, "\(r.summary)")
        return path
    }

    @Test func caloganToFlatAndBackKeepsTheShowers() throws {
        let dir = TemporaryDirectory()
        let source = try Self.sample(dir)
        let flat = dir.file("flat.h5"), back = dir.file("back.h5")

        let toFlat = CLIRun(["convert", "-i", source, "-o", flat])
        #expect(toFlat.code == 0, "\(toFlat.summary)")
        #expect(toFlat.stdout.contains("wrote 300 showers") && toFlat.stdout.contains("flat"))
        #expect(toFlat.stderr.contains("dropped the overflow"), "pions leak energy out of the cells: \(toFlat.stderr)")
        let flatReader = try ShowerFileReader(path: flat)
        #expect(flatReader.format == .flat)
        #expect(flatReader.metadata.particle == "piplus" && flatReader.metadata.seed == 4)
        #expect(flatReader.metadata.extra["converted_from"]?.contains("calogan layout, 300 showers") == true)

        let toCaloGAN = CLIRun(["convert", "-i", flat, "-o", back])
        #expect(toCaloGAN.code == 0, "\(toCaloGAN.summary)")
        let original = try ShowerFileReader(path: source).readAll()
        let restored = try ShowerFileReader(path: back)
        #expect(restored.format == .calogan)
        let b = try restored.readAll()
        #expect(b.voxels == original.voxels)
        #expect(b.overflow.storage.allSatisfy { $0 == 0 })
        for i in 0..<300 {
            let e = Double(original.incidentEnergy[i])
            #expect(abs(Double(b.incidentEnergy[i]) - e) <= 1e-6 * e)
        }
        // info reads the flat file directly.
        let info = CLIRun(["info", flat])
        #expect(info.code == 0 && info.stdout.contains("flat layout") && info.stdout.contains("showers"), "\(info.summary)")
    }

    @Test func refusesToOverwriteOrConvertInPlace() throws {
        let dir = TemporaryDirectory()
        let source = try Self.sample(dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: source))
        let inPlace = CLIRun(["convert", "-i", source, "-o", source, "--force"])
        #expect(inPlace.code != 0 && inPlace.stderr.contains("same file"), "\(inPlace.summary)")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: dir.file("taken.h5")))
        let taken = CLIRun(["convert", "-i", source, "-o", dir.file("taken.h5")])
        #expect(taken.code != 0 && taken.stderr.contains("--force"), "\(taken.summary)")
        #expect(try String(contentsOfFile: dir.file("taken.h5"), encoding: .utf8) == "keep me")
        let badFlag = CLIRun(["convert", "-i", source, "-o", dir.file("x.h5"), "--to", "root"])
        #expect(badFlag.code != 0 && badFlag.stderr.contains("--to"), "\(badFlag.summary)")
        let missing = CLIRun(["convert", "-i", dir.file("nope.h5"), "-o", dir.file("y.h5")])
        #expect(missing.code != 0 && missing.stderr.contains("nope.h5"), "\(missing.summary)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: source)) == before)
        #expect(dir.contents.sorted() == ["calogan.h5", "taken.h5"])
    }

    @Test func generateWritesTheFlatLayoutWithTheSameShowers() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        func generate(_ extra: [String], _ name: String) -> CLIRun {
            CLIRun(["generate", "--model", fixture.runPath, "--flow", "teacher", "-n", "60", "-o", dir.file(name),
                    "--seed", "8", "-j", "2", "-q"] + extra)
        }
        let calogan = generate([], "calogan.h5"), flat = generate(["--format", "flat", "--gzip-level", "1"], "flat.h5")
        #expect(calogan.code == 0 && flat.code == 0, "\(calogan.summary)\n\(flat.summary)")
        let a = try ShowerFileReader(path: dir.file("calogan.h5")), b = try ShowerFileReader(path: dir.file("flat.h5"))
        #expect(a.format == .calogan && b.format == .flat)
        #expect(b.datasets["showers"]?.gzipLevel == 1)
        let x = try a.readAll(), y = try b.readAll()
        #expect(x.voxels == y.voxels)
        for i in 0..<60 { #expect(abs(x.incidentEnergy[i] - y.incidentEnergy[i]) <= 1e-6 * x.incidentEnergy[i]) }
        let bad = generate(["--gzip-level", "0"], "bad.h5")
        #expect(bad.code == 2 && bad.stderr.contains("--gzip-level"), "\(bad.summary)")
    }
}
