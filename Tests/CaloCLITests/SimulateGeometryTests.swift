import Testing
import Foundation
import CaloCLI
import CaloData
import CaloTestSupport

/// `simulate --geometry`: CaloChallenge dataset 1, 2 and 3 showers in the flat layout, readable by
/// `info`; clear refusals for geometries and particles the simulator does not have.
@Suite struct SimulateGeometryTests {
    @Test func ds2ShowersAreWrittenInTheFlatLayoutAndInfoReadsThem() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("ds2.h5")
        let r = CLIRun(["simulate", "--geometry", "ds2", "-n", "30", "--seed", "5", "-o", out, "-q"])
        #expect(r.code == 0, "\(r.summary)")
        let reader = try ShowerFileReader(path: out)
        #expect(reader.format == .flat)
        #expect(reader.geometry.name == "ds2" && reader.geometry.voxelCount == 6480)
        #expect(reader.metadata.particle == "eminus")
        #expect(reader.metadata.extra["readout_threshold_mev"] == "0.0005")
        #expect(reader.metadata.extra["simulated_stack"]?.contains("1.4 mm W + 0.3 mm Si") == true)
        let batch = try reader.readAll()
        #expect(batch.incidentEnergy.allSatisfy { $0 >= 1 && $0 <= 1000 })
        #expect(batch.voxels.storage.allSatisfy { $0 == 0 || $0 >= 0.0005 })
        let info = CLIRun(["info", out])
        #expect(info.code == 0, "\(info.summary)")
        #expect(info.stdout.contains("ds2") && info.stdout.contains("active-layer deposit in the cells / E_inc: mean 0.02"), "\(info.stdout)")
    }

    @Test(arguments: [("ds1-photons", "gamma", 368), ("ds1-pions", "piplus", 533)])
    func ds1ShowersAreWrittenInTheFlatLayoutAndInfoReadsThem(name: String, particle: String, voxels: Int) throws {
        let dir = TemporaryDirectory()
        let out = dir.file("\(name).h5")
        let r = CLIRun(["simulate", "--geometry", name, "-n", "24", "--seed", "5", "-o", out, "-q"])
        #expect(r.code == 0, "\(r.summary)")
        let reader = try ShowerFileReader(path: out)
        #expect(reader.format == .flat)
        #expect(reader.geometry.name == name && reader.geometry.voxelCount == voxels)
        #expect(reader.metadata.particle == particle)
        #expect(reader.metadata.extra["simulated_stack"]?.contains("1.7 mm Pb + 4.5 mm LAr") == true)
        #expect(reader.metadata.extra["energy_spectrum"]?.contains("one of 15 energies") == true)
        let batch = try reader.readAll()
        let allowed = Set((0..<15).map { Float(0.256 * Double(1 << $0)) })
        #expect(batch.incidentEnergy.allSatisfy { allowed.contains($0) }, "\(batch.incidentEnergy)")
        #expect(batch.voxels.storage.allSatisfy { $0.isFinite && $0 >= 0 })
        // Same seed, same file contents.
        let again = dir.file("again.h5")
        #expect(CLIRun(["simulate", "--geometry", name, "-n", "24", "--seed", "5", "-o", again, "-q"]).code == 0)
        #expect(try ShowerFileReader(path: again).readAll() == batch)
        let info = CLIRun(["info", out])
        #expect(info.code == 0 && info.stdout.contains(name)
                && info.stdout.contains("deposit calibrated to the EM scale in the cells / E_inc"), "\(info.summary)")
        // --energy picks one of the energies (or any other) as for the other geometries.
        let fixed = dir.file("fixed.h5")
        #expect(CLIRun(["simulate", "--geometry", name, "-n", "4", "--energy", "65.536", "-o", fixed, "-q"]).code == 0)
        #expect(try ShowerFileReader(path: fixed).readAll().incidentEnergy.allSatisfy { $0 == Float(65.536) })
    }

    @Test func unavailableGeometriesAndParticlesAreRefused() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("x.h5")
        let ds1 = CLIRun(["simulate", "--geometry", "ds1-photons", "--particle", "piplus", "-n", "10", "-o", out])
        #expect(ds1.code == 2)
        #expect(ds1.errorLines.contains { $0.contains("--particle") && $0.contains("piplus") && $0.contains("ds1-photons") && $0.contains("gamma") },
                "\(ds1.stderr)")
        let electrons = CLIRun(["simulate", "--geometry", "ds1-pions", "--particle", "eminus", "-n", "10", "-o", out])
        #expect(electrons.code == 2)
        #expect(electrons.errorLines.contains { $0.contains("eminus") && $0.contains("ds1-pions") && $0.contains("piplus") }, "\(electrons.stderr)")
        let unknown = CLIRun(["simulate", "--geometry", "ds4", "-n", "10", "-o", out])
        #expect(unknown.code == 2)
        #expect(unknown.errorLines.contains { $0.contains("unknown geometry 'ds4'") }, "\(unknown.stderr)")
        let pion = CLIRun(["simulate", "--geometry", "ds3", "--particle", "piplus", "-n", "10", "-o", out])
        #expect(pion.code == 2)
        #expect(pion.errorLines.contains { $0.contains("piplus") && $0.contains("ds3") && $0.contains("eminus") }, "\(pion.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
