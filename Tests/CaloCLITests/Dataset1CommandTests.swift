import Foundation
import Testing
import CaloData
import CaloPipeline
import CaloTensor
import CaloTestSupport

/// CaloFlow on geometries other than CaloGAN through the real program: `train-teacher` ->
/// `distill` -> `generate` -> `info` on a dataset-1 photon file and on a user's binning file,
/// both written by the test (synthetic Gamma-distributed voxel energies in the CaloChallenge
/// flat layout), at tiny scale.
@Suite struct Dataset1CommandTests {
    static let configJSON = """
        {
          "name": "ds1-test",
          "description": "tiny models for the dataset-1 end-to-end tests",
          "flowI": {
            "architecture": {"blocks": 2, "hiddenFeatures": 16, "hiddenLayers": 2},
            "training": {"epochs": 2, "batchSize": 100, "schedule": {"kind": "constant", "rate": 3e-3}}
          },
          "teacher": {
            "architecture": {"blocks": 2, "hiddenFeatures": 16, "hiddenLayers": 2, "dropout": 0.05},
            "training": {"epochs": 1, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}
          },
          "student": {
            "architecture": {"blocks": 2, "hiddenFeatures": 16, "hiddenLayers": 2},
            "training": {"epochs": 1, "batchSize": 100, "schedule": {"kind": "constant", "rate": 1e-3}}
          }
        }
        """

    /// A CaloChallenge-style flat file (`incident_energies` (N, 1) and `showers` (N, D), MeV,
    /// float64, no attributes) of `n` synthetic showers: E_inc 256 MeV x 2^k (k = 4...9),
    /// 50-95 % deposited, Gamma-distributed layer and voxel weights, a third of the voxels zero.
    static func syntheticFlatFile(_ path: String, geometry g: CalorimeterGeometry, events n: Int, seed: UInt64) throws {
        var rng = Xoshiro256(seed: seed, stream: 97)
        var energies = [Double](), showers = [Double](repeating: 0, count: n * g.voxelCount)
        for i in 0..<n {
            let einc = 256.0 * Double(1 << (4 + Int(rng.uniform(0, 6))))
            energies.append(einc)
            let deposited = einc * rng.uniform(0.5, 0.95)
            let layerWeights = (0..<g.layerCount).map { l in rng.gamma(shape: 2 + Double(l % 3)) }
            let layerSum = layerWeights.reduce(0, +)
            for (l, range) in g.layerRanges.enumerated() {
                var w = range.map { _ in rng.uniform() > 0.33 ? rng.gamma(shape: 0.7) : 0 }
                if w.allSatisfy({ $0 == 0 }) { w[0] = 1 }
                let s = w.reduce(0, +)
                for (k, j) in range.enumerated() { showers[i * g.voxelCount + j] = deposited * layerWeights[l] / layerSum * w[k] / s }
            }
        }
        let f = try HDF5File(path: path, mode: .create(overwrite: false))
        try f.createDataset("incident_energies", values: energies, shape: [n, 1])
        try f.createDataset("showers", values: showers, shape: [n, g.voxelCount])
        try f.close()
    }

    /// train-teacher -> distill -> generate for `data` (geometry `g`), with `extra` options for
    /// train-teacher and generate (e.g. --geometry); returns the run and generated file.
    func chain(_ dir: TemporaryDirectory, data: String, geometry g: CalorimeterGeometry, extra: [String] = []) throws -> (run: String, generated: String) {
        let config = dir.file("config.json"), run = dir.file("run"), generated = dir.file("generated.h5")
        try write(Self.configJSON, to: config)
        let train = CLIRun(["train-teacher", "--data", data, "--config", config, "--run", run, "--seed", "5", "-j", "2", "-q"] + extra)
        try #require(train.code == 0, "\(train.summary)")
        let distill = CLIRun(["distill", "--run", run, "--seed", "5", "-j", "2", "-q"])
        try #require(distill.code == 0, "\(distill.summary)")
        let generate = CLIRun(["generate", "--model", run, "-n", "300", "--batch-size", "128", "-o", generated, "--seed", "6",
                               "-j", "2", "-q"] + extra)
        try #require(generate.code == 0, "\(generate.summary)")
        // The showers: the run's geometry, flat layout by default, finite and non-negative.
        let reader = try ShowerFileReader(path: generated)
        #expect(reader.geometry.hasSameVoxels(as: g) && reader.format == .flat && reader.count == 300)
        let showers = try reader.readAll()
        showers.voxels.withUnsafeBufferPointer { p in #expect(p.allSatisfy { $0.isFinite && $0 >= 0 }) }
        #expect(showers.voxels.withUnsafeBufferPointer { p in p.contains { $0 > 0 } })
        let runJSON = try String(contentsOfFile: run + "/run.json", encoding: .utf8)
        #expect(runJSON.contains("\"\(g.name)\""))
        for stage in ["flow1", "teacher", "student"] {
            let info = CLIRun(["info", run + "/\(stage)-best.h5"])
            #expect(info.code == 0 && info.stdout.contains("geometry: \(g.name) ("), "\(info.summary)")
        }
        return (run, generated)
    }

    @Test func dataset1PhotonsTrainDistilGenerate() throws {
        let dir = TemporaryDirectory()
        let data = dir.file("ds1-photons.h5")
        try Self.syntheticFlatFile(data, geometry: .ds1Photons, events: 500, seed: 1)
        let (run, generated) = try chain(dir, data: data, geometry: .ds1Photons)
        // Without an energy option a dataset-1 model draws the dataset's discrete energies in its training range.
        let energies = try ShowerFileReader(path: generated).readIncidentEnergies()
        let allowed = (4...9).map { 0.256 * Double(1 << $0) }
        #expect(energies.allSatisfy { e in allowed.contains { abs($0 - Double(e)) < 1e-4 * $0 } }, "\(Set(energies).sorted())")
        #expect(Set(energies).count > 1)
        let info = CLIRun(["info", generated])
        #expect(info.code == 0 && info.stdout.contains("geometry: ds1-photons (") && info.stdout.contains("368 voxels"), "\(info.summary)")
        // The CaloGAN layout cannot hold these showers: refused before anything is written.
        let calogan = dir.file("calogan.h5")
        let refused = CLIRun(["generate", "--model", run, "-n", "10", "-o", calogan, "--format", "calogan", "-q"])
        #expect(refused.code != 0 && refused.stderr.contains("ds1-photons"), "\(refused.summary)")
        #expect(!FileSystem.exists(calogan))
        // evaluate compares them with other ds1 showers, the teacher's latent codes included.
        let reference = dir.file("reference.h5"), report = dir.file("report")
        try Self.syntheticFlatFile(reference, geometry: .ds1Photons, events: 300, seed: 3)
        let evaluate = CLIRun(["evaluate", "-r", reference, "-g", generated, "-o", report, "--model", run, "--latent-events", "100",
                               "--classifier", "low", "--epochs", "2", "--patience", "0", "--batch-size", "200",
                               "--fpd-batches", "1", "--kpd-batches", "1", "-q"])
        #expect(evaluate.code == 0, "\(evaluate.summary)")
        let reportJSON = (try? String(contentsOfFile: report + "/report.json", encoding: .utf8)) ?? ""
        #expect(reportJSON.contains("ds1-photons") && reportJSON.contains("auc"), "\(reportJSON.prefix(400))")
        // Asking this run for showers of another geometry is refused.
        let other = CLIRun(["generate", "--model", run, "-n", "10", "-o", dir.file("x.h5"), "--geometry", "ds1-pions", "-q"])
        #expect(other.code == 1 && other.stderr.contains("models showers of the geometry ds1-photons"), "\(other.summary)")
    }

    @Test func aUsersBinningFileTrainsDistilsAndGenerates() throws {
        let dir = TemporaryDirectory()
        let xml = dir.file("mine.xml")
        try write("""
            <Bins><Bin pid="22" name="photon">
              <Layer id="0" r_edges="0,2,5,10" n_bin_alpha="2"/>
              <Layer id="1" r_edges="0" n_bin_alpha="1"/>
              <Layer id="2" r_edges="0,5,20,50,100" n_bin_alpha="3"/>
              <Layer id="3" r_edges="0,50,500" n_bin_alpha="1"/>
            </Bin></Bins>
            """, to: xml)
        let g = try CalorimeterGeometry.load(file: xml)
        #expect(g.layerCount == 3 && g.voxelCount == 6 + 12 + 2 && !g.isBuiltIn)
        let data = dir.file("mine.h5")
        try Self.syntheticFlatFile(data, geometry: g, events: 400, seed: 2)
        _ = try chain(dir, data: data, geometry: g, extra: ["--geometry", xml])
    }
}
