import Testing
import Foundation
import CaloCLI
import CaloData
import CaloTensor
import CaloTestSupport

/// The commands on showers of every geometry, through the real program: `info` and `convert`
/// read CaloChallenge-style flat files (as the challenge ships them: float64, no geometry
/// attribute) of each geometry and a user's binning; the commands that model showers refuse
/// other geometries by name without leaving anything behind; a model is refused with showers of
/// another geometry; the run directory records its geometry.
@Suite struct GeometryCommandTests {
    /// A flat file as another tool writes it: `incident_energies` (N, 1) and `showers` (N, D) in
    /// MeV, float64, no attributes. Shower i holds i + 1 MeV in every voxel of layer 0 and 2 MeV
    /// in the last voxel of the last layer; E_inc = 10 GeV (i + 1).
    static func foreignFile(_ path: String, geometry g: CalorimeterGeometry, events n: Int) throws {
        var showers = [Double](repeating: 0, count: n * g.voxelCount)
        for i in 0..<n {
            for j in g.layers[0].voxelRange { showers[i * g.voxelCount + j] = Double(i + 1) }
            showers[i * g.voxelCount + g.voxelCount - 1] += 2
        }
        let f = try HDF5File(path: path, mode: .create(overwrite: false))
        try f.createDataset("incident_energies", values: (0..<n).map { 10_000 * Double($0 + 1) }, shape: [n, 1])
        try f.createDataset("showers", values: showers, shape: [n, g.voxelCount])
        try f.close()
    }

    // MARK: - info and convert, every geometry

    @Test(arguments: ["calogan", "ds1-photons", "ds1-pions", "ds2", "ds3"])
    func infoAndConvertHandleEveryGeometry(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let dir = TemporaryDirectory()
        let source = dir.file("\(name)-challenge.h5"), converted = dir.file("\(name)-caloflow.h5")
        let n = 6
        try Self.foreignFile(source, geometry: g, events: n)

        let info = CLIRun(["info", source])
        #expect(info.code == 0, "\(info.summary)")
        #expect(info.stdout.contains("geometry: \(name) (") && info.stdout.contains("\(g.voxelCount) voxels"), "\(info.stdout)")
        // One line per layer with its energy sum: layer 0 holds (i + 1) MeV per voxel, mean 3.5 x voxels.
        let layerLines = info.stdout.split(separator: "\n").filter { $0.hasPrefix("layer ") && $0.contains("energy [MeV]") }
        #expect(layerLines.count == g.layerCount, "\(info.stdout)")
        let layer0Mean = 3.5 * Double(g.layers[0].voxelCount)
        #expect(layerLines.first?.contains("mean \(String(format: "%.4g", layer0Mean)),") == true, "\(layerLines.first ?? "")")
        #expect(info.stdout.contains("E_inc [GeV]: min 10, max 60"), "\(info.stdout)")

        let convert = CLIRun(["convert", "-i", source, "-o", converted])
        #expect(convert.code == 0, "\(convert.summary)")
        #expect(convert.stdout.contains("wrote \(n) showers of \(name) (\(g.voxelCount) voxels)"), "\(convert.stdout)")
        let original = try ShowerFileReader(path: source).readAll()
        let reader = try ShowerFileReader(path: converted)
        // CaloGAN showers go to the other layout, every other geometry is re-written flat.
        #expect(reader.format == (g.isCaloGAN ? .calogan : .flat))
        #expect(reader.geometry == g && reader.metadata.geometry == name)
        let back = try reader.readAll()
        #expect(back.voxels == original.voxels && back.incidentEnergy == original.incidentEnergy)

        let again = CLIRun(["info", converted])
        #expect(again.code == 0 && again.stdout.contains("geometry: \(name) ("), "\(again.summary)")
    }

    @Test func infoDescribesGeometriesByNameAndBinningFile() throws {
        let byName = CLIRun(["info", "ds3"])
        #expect(byName.code == 0, "\(byName.summary)")
        #expect(byName.stdout.contains("40500 voxels") && byName.stdout.contains("layers 0-44: 900 voxels each"), "\(byName.stdout)")
        let dir = TemporaryDirectory()
        let xml = dir.file("two-layers.xml")
        try write("""
            <Bins><Bin pid="11" name="electron">
              <Layer id="0" r_edges="0,1,3,6" n_bin_alpha="4"/>
              <Layer id="1" r_edges="0" n_bin_alpha="1"/>
              <Layer id="2" r_edges="0,5,50" n_bin_alpha="1"/>
            </Bin></Bins>
            """, to: xml)
        let byFile = CLIRun(["info", xml])
        #expect(byFile.code == 0, "\(byFile.summary)")
        #expect(byFile.stdout.contains("two-layers.xml") && byFile.stdout.contains("14 voxels")
                && byFile.stdout.contains("detector layers without voxels: 1"), "\(byFile.stdout)")
    }

    @Test func aUsersBinningIsGivenOnceAndTravelsWithTheFile() throws {
        let dir = TemporaryDirectory()
        let xml = dir.file("mine.xml")
        try write("""
            <Bins><Bin pid="11" name="electron">
              <Layer id="0" r_edges="0,1,3,6" n_bin_alpha="4"/>
              <Layer id="1" r_edges="0,5,50" n_bin_alpha="1"/>
            </Bin></Bins>
            """, to: xml)
        let g = try CalorimeterGeometry.load(file: xml)
        #expect(g.voxelCount == 14 && !g.isBuiltIn)
        let source = dir.file("mine.h5"), converted = dir.file("mine-caloflow.h5")
        try Self.foreignFile(source, geometry: g, events: 4)

        let unknown = CLIRun(["info", source])
        #expect(unknown.code == 1 && unknown.stderr.contains("14 voxels") && unknown.stderr.contains("--geometry"), "\(unknown.summary)")
        let given = CLIRun(["info", source, "--geometry", xml])
        #expect(given.code == 0 && given.stdout.contains("geometry: mine.xml"), "\(given.summary)")
        let convert = CLIRun(["convert", "-i", source, "-o", converted, "--geometry", xml])
        #expect(convert.code == 0, "\(convert.summary)")
        // The converted file carries its binning: no --geometry needed any more.
        let recorded = CLIRun(["info", converted])
        #expect(recorded.code == 0 && recorded.stdout.contains("geometry: mine.xml") && recorded.stdout.contains("layer 1 energy"),
                "\(recorded.summary)")
        #expect(try ShowerFileReader(path: converted).geometry.hasSameVoxels(as: g))
    }

    // MARK: - Refusals

    @Test func badGeometryArgumentsAreRefusedWithTheReason() throws {
        let dir = TemporaryDirectory()
        let ds2 = dir.file("ds2.h5")
        try Self.foreignFile(ds2, geometry: .ds2, events: 3)

        let typo = CLIRun(["info", ds2, "--geometry", "dss2"])
        #expect(typo.code == 2 && typo.stderr.contains("unknown geometry 'dss2'") && typo.stderr.contains("did you mean 'ds2'"),
                "\(typo.summary)")
        let wrongCount = CLIRun(["info", ds2, "--geometry", "ds3"])
        #expect(wrongCount.code == 1 && wrongCount.stderr.contains("6480 voxels") && wrongCount.stderr.contains("ds3 has 40500"),
                "\(wrongCount.summary)")
        let missing = CLIRun(["info", ds2, "--geometry", dir.file("nowhere.xml")])
        #expect(missing.code == 1 && missing.stderr.contains("nowhere.xml") && missing.stderr.contains("no such file"), "\(missing.summary)")
        let bad = dir.file("bad.xml")
        try write("<Bins>\n  <Bin pid=\"22\">\n    <Layer id=\"0\" r_edges=\"0,5,x\" n_bin_alpha=\"1\"/>\n  </Bin>\n</Bins>\n", to: bad)
        let malformed = CLIRun(["convert", "-i", ds2, "-o", dir.file("out.h5"), "--geometry", bad])
        #expect(malformed.code == 1 && malformed.stderr.contains("bad.xml line 3") && malformed.stderr.contains("r_edges"),
                "\(malformed.summary)")
        #expect(!FileSystem.exists(dir.file("out.h5")))
        let toCaloGAN = CLIRun(["convert", "-i", ds2, "-o", dir.file("out.h5"), "--to", "calogan"])
        #expect(toCaloGAN.code != 0 && toCaloGAN.stderr.contains("ds2 (6480 voxels)") && toCaloGAN.stderr.contains("--to flat"),
                "\(toCaloGAN.summary)")
        #expect(!FileSystem.exists(dir.file("out.h5")))
    }

    @Test func trainingRefusesAFineGeometryWithUnequalLayersAndTouchesNothing() throws {
        // Datasets 2 and 3 train layer by layer (LayerFlowCommandTests); a binning file with more
        // voxels than one Flow II takes and layers of different sizes fits neither model.
        let dir = TemporaryDirectory()
        let xml = dir.file("uneven.xml")
        try write(TestBinnings.unevenFine, to: xml)
        let g = try CalorimeterGeometry.load(file: xml)
        let data = dir.file("uneven.h5"), run = dir.file("run")
        try Self.foreignFile(data, geometry: g, events: 12)
        try write(TrainedPipeline.configJSON, to: dir.file("config.json"))
        let r = CLIRun(["train-teacher", "--data", data, "--config", dir.file("config.json"), "--run", run, "--geometry", xml, "-q"])
        #expect(r.code == 1, "\(r.summary)")
        #expect(r.stderr.contains("2404 voxels") && r.stderr.contains("1200, 1200, 4") && r.stderr.contains("iCaloFlow"), "\(r.summary)")
        #expect(!FileSystem.exists(run))
    }

    @Test func evaluateRefusesMixedFiles() throws {
        let dir = TemporaryDirectory()
        let a = dir.file("a.h5"), caloGAN = dir.file("calogan.h5")
        try Self.foreignFile(a, geometry: .ds1Pions, events: 12)
        try Self.foreignFile(caloGAN, geometry: .calogan, events: 12)
        let mixed = CLIRun(["evaluate", "-r", a, "-g", caloGAN, "-o", dir.file("report")])
        #expect(mixed.code != 0 && mixed.stderr.contains("ds1-pions (533 voxels)") && mixed.stderr.contains("calogan (504 voxels)"),
                "\(mixed.summary)")
        #expect(!FileSystem.exists(dir.file("report")))
    }

    // MARK: - Models and runs know their geometry

    @Test func aModelIsRefusedWithShowersOfAnotherGeometry() throws {
        let fixture = try TrainedPipeline.get()
        let dir = TemporaryDirectory()
        let ds2 = dir.file("ds2.h5"), ds2b = dir.file("ds2-b.h5")
        try Self.foreignFile(ds2, geometry: .ds2, events: 12)
        try Self.foreignFile(ds2b, geometry: .ds2, events: 12)

        // generate: the run models CaloGAN showers; asking for ds2 is refused before anything is written.
        let out = dir.file("gen.h5")
        let generate = CLIRun(["generate", "--model", fixture.runPath, "-n", "10", "-o", out, "--geometry", "ds2", "-q"])
        #expect(generate.code == 1, "\(generate.summary)")
        #expect(generate.stderr.contains("models showers of the geometry calogan") && generate.stderr.contains("geometry ds2")
                && generate.stderr.contains("a model only fits showers of its own geometry"), "\(generate.summary)")
        #expect(!FileSystem.exists(out))

        // evaluate --model: the checkpoint does not fit the reference showers.
        let evaluate = CLIRun(["evaluate", "-r", ds2, "-g", ds2b, "-o", dir.file("report"), "--model", fixture.runPath])
        #expect(evaluate.code != 0 && evaluate.stderr.contains("teacher-best.h5 models showers of the geometry calogan")
                && evaluate.stderr.contains("6480 voxels"), "\(evaluate.summary)")

        // The run directory and its checkpoints record the geometry; info prints it.
        let runJSON = try String(contentsOfFile: fixture.runPath + "/run.json", encoding: .utf8)
        #expect(runJSON.contains("\"geometry\"") && runJSON.contains("\"calogan\""))
        let info = CLIRun(["info", fixture.runPath])
        #expect(info.code == 0 && info.stdout.contains("geometry: calogan (CaloGAN calorimeter, 3 layers, 504 voxels)"), "\(info.summary)")
        let checkpoint = CLIRun(["info", fixture.runPath + "/teacher-best.h5"])
        #expect(checkpoint.code == 0 && checkpoint.stdout.contains("geometry: calogan (CaloGAN calorimeter"), "\(checkpoint.summary)")
    }
}
