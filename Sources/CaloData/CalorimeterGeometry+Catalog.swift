import Foundation

/// The named geometries and how a `--geometry` value becomes a geometry.
///
/// | name | geometry | voxels |
/// |---|---|---|
/// | calogan | CaloGAN: 3 Cartesian layers, 3x96, 12x12, 12x6 cells | 504 |
/// | ds1-photons | CaloChallenge dataset 1, photons: detector layers 0, 1, 2, 3, 12 | 368 |
/// | ds1-pions | CaloChallenge dataset 1, pions: detector layers 0, 1, 2, 3, 12, 13, 14 | 533 |
/// | ds2 | CaloChallenge dataset 2: 45 layers of 9 radial x 16 alpha bins | 6480 |
/// | ds3 | CaloChallenge dataset 3: 45 layers of 18 radial x 50 alpha bins | 40500 |
///
/// The four CaloChallenge geometries are parsed from the binning files shipped in
/// datasets/binning/, whose text is also compiled into the program (`EmbeddedBinnings`), so the
/// names work without the repository. The voxel counts differ, so a flat shower file's voxel
/// count names its geometry.
extension CalorimeterGeometry {
    /// The built-in CaloGAN calorimeter (Paganini, de Oliveira, Nachman 2017): three
    /// longitudinal lead/liquid-argon layers read out as 3x96 cells of 160x5 mm, 12x12 of
    /// 40x40 mm and 12x6 of 40x80 mm, each spanning -240..240 mm in x and y, at depths 0-90,
    /// 90-437 and 437-480 mm; 504 voxels plus one overflow energy per layer.
    public static let calogan: CalorimeterGeometry = {
        let cells: [(nx: Int, ny: Int, dx: Double, dy: Double)] = [(3, 96, 160, 5), (12, 12, 40, 40), (12, 6, 40, 80)]
        let depth: [Double] = [0, 90, 437, 480]
        let layers = cells.enumerated().map { l, c in
            Layer(id: l, segmentation: .grid(try! CartesianGrid(nx: c.nx, ny: c.ny, cellSizeX: c.dx, cellSizeY: c.dy)),
                  depth: depth[l]...depth[l + 1])
        }
        let data = DatasetInfo(name: "CaloGAN Geant4 samples (doi:10.17632/pvn3xc3wy5.1)", particle: "e+, gamma, pi+",
                               energySpectrum: "uniform 1-100 GeV", thresholdMeV: 0.01)
        return try! CalorimeterGeometry(name: "calogan", title: "CaloGAN calorimeter", layers: layers, hasOverflow: true,
                                        dataset: data)
    }()

    /// CaloChallenge dataset 1, photons: 368 voxels in detector layers 0, 1, 2, 3 and 12.
    public static let ds1Photons = embedded(
        "ds1-photons", file: "binning_dataset_1_photons.xml", title: "CaloChallenge dataset 1 (photons)",
        DatasetInfo(name: "CaloChallenge 2022 dataset 1, photons (ATLAS open simulation, |eta| 0.20-0.25)", particle: "gamma",
                    energySpectrum: "15 discrete energies 256 MeV x 2^k, k = 0-14 (256 MeV to 4.19 TeV); about 121k showers",
                    thresholdMeV: 1, binningFile: "binning_dataset_1_photons.xml"))
    /// CaloChallenge dataset 1, charged pions: 533 voxels in detector layers 0, 1, 2, 3, 12, 13 and 14.
    public static let ds1Pions = embedded(
        "ds1-pions", file: "binning_dataset_1_pions.xml", title: "CaloChallenge dataset 1 (pions)",
        DatasetInfo(name: "CaloChallenge 2022 dataset 1, charged pions (ATLAS open simulation, |eta| 0.20-0.25)", particle: "pi+",
                    energySpectrum: "15 discrete energies 256 MeV x 2^k, k = 0-14 (256 MeV to 4.19 TeV); about 121k showers",
                    thresholdMeV: 1, binningFile: "binning_dataset_1_pions.xml"))
    /// CaloChallenge dataset 2: 45 layers of 9 radial bins of 4.65 mm x 16 alpha bins, 6480 voxels.
    public static let ds2 = embedded(
        "ds2", file: "binning_dataset_2.xml", title: "CaloChallenge dataset 2 (electrons)",
        DatasetInfo(name: "CaloChallenge 2022 dataset 2 (Geant4 silicon-tungsten sampling calorimeter)", particle: "e-",
                    energySpectrum: "log-uniform 1 GeV - 1 TeV; 2 x 100k showers", thresholdMeV: 0.0005,
                    binningFile: "binning_dataset_2.xml"))
    /// CaloChallenge dataset 3: 45 layers of 18 radial bins of 2.325 mm x 50 alpha bins, 40,500 voxels.
    public static let ds3 = embedded(
        "ds3", file: "binning_dataset_3.xml", title: "CaloChallenge dataset 3 (electrons)",
        DatasetInfo(name: "CaloChallenge 2022 dataset 3 (Geant4 silicon-tungsten sampling calorimeter)", particle: "e-",
                    energySpectrum: "log-uniform 1 GeV - 1 TeV; 4 x 50k showers", thresholdMeV: 0.01515,
                    binningFile: "binning_dataset_3.xml"))

    /// Every named geometry, CaloGAN first.
    public static let builtIn: [CalorimeterGeometry] = [calogan, ds1Photons, ds1Pions, ds2, ds3]
    /// Their names, for help texts and messages.
    public static let builtInNames: [String] = builtIn.map(\.name)

    /// Whether this is the CaloGAN readout (504 voxels in CaloGAN's three grids).
    public var isCaloGAN: Bool { hasSameVoxels(as: .calogan) }
    /// Whether this is one of the named geometries (same name and voxels).
    public var isBuiltIn: Bool { Self.builtIn.contains { $0.name == name && $0.hasSameVoxels(as: self) } }

    // MARK: - Lookup

    /// The named geometry `name`, accepting the obvious spellings: case, '-', '_' and spaces do
    /// not matter, "dataset" may stand for "ds" and "binning" may lead ("ds1-photons",
    /// "dataset_1_photons", "binning_dataset_1_photons", "ds1-gamma"; "ds1-pions", "ds1-pion",
    /// "ds1-piplus"; "ds2", "dataset-2"). Nil for anything else. Pure: reads no file.
    public static func named(_ name: String) -> CalorimeterGeometry? {
        var key = name.lowercased().filter { !"-_ .".contains($0) }
        if key.hasSuffix("xml") { key.removeLast(3) }
        if key.hasPrefix("binning") { key.removeFirst(7) }
        if key.hasPrefix("dataset") { key = "ds" + key.dropFirst(7) }
        switch key {
        case "calogan": return calogan
        case "ds1photons", "ds1photon", "ds1gamma", "ds1gammas": return ds1Photons
        case "ds1pions", "ds1pion", "ds1piplus", "ds1pi+", "ds1chargedpions": return ds1Pions
        case "ds2": return ds2
        case "ds3": return ds3
        default: return nil
        }
    }

    /// The named geometry with `voxelCount` voxels per shower, if any (the five counts differ:
    /// 504, 368, 533, 6480, 40500).
    public static func builtIn(voxelCount: Int) -> CalorimeterGeometry? { builtIn.first { $0.voxelCount == voxelCount } }

    /// The geometry a `--geometry` value names: a binning file when `spec` ends in ".xml" or
    /// contains a "/", otherwise a named geometry (`named`). For a named CaloChallenge geometry,
    /// the shipped file in datasets/binning/ is read when it can be found (`shippedBinningFile`)
    /// and must still describe the built-in binning.
    ///
    /// - Throws: `GeometryError.unknownName` (with a suggestion), `.unreadableFile`,
    ///   `.malformedBinning`, `.shippedFileDiffers`.
    ///
    /// - Parameter searchDirectories: where to look for the shipped files (default
    ///   `binningSearchDirectories()`).
    public static func resolve(_ spec: String, searchDirectories: [String]? = nil) throws -> CalorimeterGeometry {
        if spec.hasSuffix(".xml") || spec.hasSuffix(".XML") || spec.contains("/") { return try load(file: spec) }
        guard let g = named(spec) else {
            throw GeometryError.unknownName(spec, suggestion: closestName(to: spec))
        }
        if let file = g.dataset?.binningFile, let path = shippedBinningFile(file, in: searchDirectories ?? binningSearchDirectories()) {
            let onDisk = try BinningXML.parse(try readText(path), source: path, name: g.name)
            guard onDisk.hasSameVoxels(as: g) else { throw GeometryError.shippedFileDiffers(path: path, name: g.name) }
        }
        return g
    }

    /// The geometry of a CaloChallenge-style binning file. A file with the voxels of a named
    /// geometry gives that geometry (with its name and dataset facts); any other is named by its
    /// file name ("my-binning.xml").
    public static func load(file path: String) throws -> CalorimeterGeometry {
        let text = try readText(path)
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        let parsed = try BinningXML.parse(text, source: path, name: fileName)
        return builtIn.first { $0.hasSameVoxels(as: parsed) } ?? parsed
    }

    // MARK: - The shipped files

    /// Where the shipped binning files are looked for: datasets/binning/ under the working
    /// directory, then under the executable's directory and its parents (a build inside the
    /// repository: .build/<triple>/release/caloflow), then <prefix>/share/caloflow/binning/ of an
    /// installed executable at <prefix>/bin.
    public static func binningSearchDirectories() -> [String] {
        var dirs = ["datasets/binning"]
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            dirs.append(dir.appendingPathComponent("../share/caloflow/binning").standardized.path)
            for _ in 0..<5 {
                dirs.append(dir.appendingPathComponent("datasets/binning").path)
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return dirs
    }

    /// The first existing `<dir>/<file>` of `directories`.
    public static func shippedBinningFile(_ file: String, in directories: [String] = binningSearchDirectories()) -> String? {
        directories.lazy.map { $0 + "/" + file }.first { FileSystem.exists($0) }
    }

    /// The text of the shipped binning file `file` as compiled into the program.
    public static func embeddedBinning(_ file: String) -> String? { EmbeddedBinnings.files[file] }

    // MARK: - Internals

    private static func embedded(_ name: String, file: String, title: String, _ data: DatasetInfo) -> CalorimeterGeometry {
        do {
            return try BinningXML.parse(EmbeddedBinnings.files[file]!, source: file, name: name, title: title, dataset: data)
        } catch {
            fatalError("the built-in binning \(file) does not parse: \(error)")
        }
    }

    static func readText(_ path: String) throws -> String {
        guard FileSystem.exists(path) else { throw GeometryError.unreadableFile(path: path, detail: "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GeometryError.unreadableFile(path: path, detail: FileSystem.isDirectory(path) ? "it is a directory" : "not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GeometryError.unreadableFile(path: path, detail: "not UTF-8 text")
        }
        return text
    }

    /// The named geometry closest to a mistyped name (within 3 edits), for "did you mean".
    public static func closestName(to input: String) -> String? {
        let a = Array(input.lowercased())
        var best: (String, Int)?
        for name in builtInNames {
            let d = editDistance(a, Array(name))
            if d <= 3, best == nil || d < best!.1 { best = (name, d) }
        }
        return best?.0
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where b.count > 0 {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
