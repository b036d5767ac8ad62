import Foundation
import Testing
import CaloData
import CaloTestSupport

/// The CaloChallenge binning files: the shipped ones (datasets/binning/) parse to the named
/// geometries and equal the copies compiled into the program; files in the challenge's own
/// formatting parse; malformed files are refused with the line and the attribute at fault; names
/// and files resolve as `--geometry` resolves them.
@Suite struct BinningXMLTests {
    static let shipped = ["ds1-photons": "binning_dataset_1_photons.xml", "ds1-pions": "binning_dataset_1_pions.xml",
                          "ds2": "binning_dataset_2.xml", "ds3": "binning_dataset_3.xml"]

    /// The repository's datasets/binning/, found from this file's path.
    static func binningDirectory(filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("datasets/binning").path
    }

    // MARK: - Shipped and embedded files

    @Test(arguments: shipped.keys.sorted())
    func theShippedFileEqualsTheEmbeddedCopyAndParsesToTheNamedGeometry(name: String) throws {
        let file = Self.shipped[name]!
        let path = Self.binningDirectory() + "/" + file
        let onDisk = try #require(FileManager.default.contents(atPath: path), "missing \(path)")
        let embedded = try #require(CalorimeterGeometry.embeddedBinning(file))
        #expect(Data(embedded.utf8) == onDisk,
                "\(file): the copy compiled into caloflow differs from datasets/binning/; run python3 scripts/embed-binnings.py")
        let parsed = try BinningXML.parse(String(decoding: onDisk, as: UTF8.self), source: path, name: name)
        let named = try #require(CalorimeterGeometry.named(name))
        #expect(parsed.hasSameVoxels(as: named) && parsed.emptyLayerIDs == named.emptyLayerIDs && parsed.bin == named.bin)
        #expect(try CalorimeterGeometry.load(file: path) == named)
    }

    @Test func particleLabelsComeFromTheBinElement() {
        #expect(CalorimeterGeometry.ds1Photons.bin.pid == 22 && CalorimeterGeometry.ds1Photons.bin.particle == "photon")
        #expect(CalorimeterGeometry.ds1Pions.bin.pid == 211 && CalorimeterGeometry.ds1Pions.bin.particle == "pion")
        #expect(CalorimeterGeometry.ds2.bin.pid == 11 && CalorimeterGeometry.ds3.bin.particle == "electron")
        #expect(CalorimeterGeometry.ds1Photons.dataset?.thresholdMeV == 1)
        #expect(CalorimeterGeometry.ds2.dataset?.thresholdMeV == 0.0005 && CalorimeterGeometry.ds3.dataset?.thresholdMeV == 0.01515)
    }

    /// The challenge's own files have no XML declaration, extra attributes on <Bin> (etaMin,
    /// etaMax), a space before "/>" and trailing spaces; such a file reads the same.
    @Test func aFileInTheChallengesFormattingParses() throws {
        var lines = ["<Bins>", "   <Bin pid=\"22\" etaMin=\"0\" etaMax=\"130\" name=\"photon\">"]
        let used: [Int: (String, Int)] = [0: ("0,5,10,30,50,100,200,400,600", 1),
                                          1: ("0,2,4,6,8,10,12,15,20,30,40,50,70,90,120,150,200", 10),
                                          2: ("0,2,5,10,15,20,25,30,40,50,60,80,100,130,160,200,250,300,350,400", 10),
                                          3: ("0,50,100,200,400,600", 1), 12: ("0,100,200,400,1000,2000", 1)]
        for id in 0..<24 {
            let (edges, alpha) = used[id] ?? ("0", 1)
            lines.append("      <Layer id=\"\(id)\" r_edges=\"\(edges)\" n_bin_alpha=\"\(alpha)\" /> ")
        }
        lines += ["   </Bin>", "</Bins>", ""]
        let g = try BinningXML.parse(lines.joined(separator: "\n"), source: "photons.xml", name: "photons.xml")
        #expect(g.hasSameVoxels(as: .ds1Photons) && g.emptyLayerIDs == CalorimeterGeometry.ds1Photons.emptyLayerIDs)
        #expect(g.bin.attributes == ["etaMin": "0", "etaMax": "130"] && g.voxelCount == 368)
    }

    // MARK: - Malformed files

    static func file(_ layers: String, bin: String = "<Bin pid=\"11\" name=\"electron\">") -> String {
        "<?xml version=\"1.0\"?>\n<Bins>\n  \(bin)\n\(layers)\n  </Bin>\n</Bins>\n"
    }
    static let good = "    <Layer id=\"0\" r_edges=\"0,1,2\" n_bin_alpha=\"4\"/>"

    /// (file text, line of the problem, words the message must hold).
    static let malformed: [(String, Int, [String])] = [
        ("", 1, ["no XML element"]),
        ("<Bins>\n  <Bin>\n", 2, ["never closed"]),
        ("<Bins><Bin></Bins>", 1, ["</Bins> closes <Bin>"]),
        ("<Binz/>", 1, ["<Binz>", "starts with <Bins>"]),
        ("<Bins>\n<Bin/>\n<Bin/>\n</Bins>", 3, ["2 <Bin> elements"]),
        ("<Bins>hello<Bin/></Bins>", 1, ["unexpected text 'hello"]),
        ("<!DOCTYPE x>\n<Bins/>", 1, ["DOCTYPE"]),
        (file("    <Layer id=\"0\" r_edges=\"0,1,2\" n_bins_alpha=\"4\"/>"), 4, ["<Layer id=\"0\">", "unknown attribute n_bins_alpha"]),
        (file("    <Layer id=\"0\" r_edges=\"0,1,2\"/>"), 4, ["attribute n_bin_alpha is missing"]),
        (file("    <Layer r_edges=\"0,1,2\" n_bin_alpha=\"4\"/>"), 4, ["<Layer>", "attribute id is missing"]),
        (file(good + "\n    <Layer id=\"1\" r_edges=\"0,1,x\" n_bin_alpha=\"4\"/>"), 5, ["<Layer id=\"1\">", "r_edges", "entry 3, 'x', is not a number"]),
        (file("    <Layer id=\"0\" r_edges=\"0,,2\" n_bin_alpha=\"4\"/>"), 4, ["r_edges", "entry 2", "is empty"]),
        (file("    <Layer id=\"0\" r_edges=\"0,2,1\" n_bin_alpha=\"4\"/>"), 4, ["r_edges", "ascend strictly", "1.0 follows 2.0"]),
        (file("    <Layer id=\"0\" r_edges=\"0,1,2\" n_bin_alpha=\"0\"/>"), 4, ["n_bin_alpha", "'0' is not a positive integer"]),
        (file("    <Layer id=\"0\" r_edges=\"0,1,2\" n_bin_alpha=\"2.5\"/>"), 4, ["n_bin_alpha", "'2.5'"]),
        (file("    <Layer id=\"-1\" r_edges=\"0,1,2\" n_bin_alpha=\"4\"/>"), 4, ["id", "'-1' is not a non-negative integer"]),
        (file(good + "\n" + good), 5, ["repeats the layer id of line 4"]),
        (file("    <Layer id=\"3\" r_edges=\"0,1\" n_bin_alpha=\"1\"/>\n" + good), 5, ["follows layer 3", "ascending id"]),
        (file("    <Layer id=\"0\" r_edges=\"0\" n_bin_alpha=\"1\"/>"), 3, ["no layer has voxels"]),
        (file(""), 3, ["holds no <Layer>"]),
        (file("    <Layer id=\"0\" r_edges=\"0,1\" n_bin_alpha=\"1\"><Bin/></Layer>"), 4, ["may not hold elements"]),
        (file("    <Layer id=\"0\" r_edges=\"0,1\" n_bin_alpha=\"1\" id=\"1\"/>"), 4, ["attribute id is given twice"]),
        (file("    <Layer id=\"0\" r_edges=\"0,1\" n_bin_alpha=1/>"), 4, ["must be in quotes"]),
        (file(good, bin: "<Bin pid=\"electron\">"), 3, ["pid", "not an integer"]),
        (file("    <Shell id=\"0\"/>"), 4, ["only hold <Layer>", "<Shell>"]),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedFilesAreRefusedWithTheLineAndTheAttribute(index: Int) {
        let (text, line, words) = Self.malformed[index]
        do {
            let g = try BinningXML.parse(text, source: "bad.xml", name: "bad.xml")
            Issue.record("case \(index) parsed to \(g)")
        } catch let error as GeometryError {
            guard case .malformedBinning(let source, let at, _) = error else { Issue.record("case \(index): \(error)"); return }
            #expect(source == "bad.xml" && at == line, "case \(index): line \(at), expected \(line): \(error)")
            let message = error.description
            #expect(message.hasPrefix("bad.xml line \(line): "), "case \(index): \(message)")
            for w in words { #expect(message.contains(w), "case \(index): '\(message)' lacks '\(w)'") }
        } catch {
            Issue.record("case \(index): unexpected error \(error)")
        }
    }

    @Test func entitiesCommentsAndCRLFLineEndingsAreRead() throws {
        let text = "<?xml version='1.0'?>\r\n<!-- a\r\ncomment -->\r\n<Bins>\r\n <Bin name='e&amp;m &#x3b3;' pid='11'>\r\n"
            + "  <Layer id='5' r_edges=' 0, 1.5 ,3 ' n_bin_alpha='2'/>\r\n </Bin>\r\n</Bins>\r\n"
        let g = try BinningXML.parse(text, source: "crlf.xml", name: "crlf.xml")
        #expect(g.bin.particle == "e&m γ" && g.layers.count == 1 && g.layers[0].id == 5)
        #expect(g.layers[0].polar!.radialEdges == [0, 1.5, 3] && g.voxelCount == 4)
        let broken = text.replacingOccurrences(of: "n_bin_alpha='2'", with: "n_bin_alpha='x'")
        #expect(throws: GeometryError.malformedBinning(source: "crlf.xml", line: 6,
                                                      detail: "<Layer id=\"5\">: attribute n_bin_alpha: 'x' is not a positive integer")) {
            try BinningXML.parse(broken, source: "crlf.xml", name: "crlf.xml")
        }
    }

    // MARK: - Resolving names and files

    @Test func aUsersBinningFileIsNamedByItsFileName() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("my-binning.xml")
        try Self.file(Self.good + "\n    <Layer id=\"2\" r_edges=\"0\" n_bin_alpha=\"1\"/>\n    <Layer id=\"4\" r_edges=\"0,10\" n_bin_alpha=\"1\"/>")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let g = try CalorimeterGeometry.resolve(path)
        #expect(g.name == "my-binning.xml" && g.voxelCount == 9 && g.layerOffsets == [0, 8] && g.emptyLayerIDs == [2])
        #expect(g.dataset == nil && !g.isBuiltIn)
        // A file with the voxels of a named geometry is that geometry.
        let copy = dir.file("copy-of-ds2.xml")
        try CalorimeterGeometry.embeddedBinning("binning_dataset_2.xml")!.write(toFile: copy, atomically: true, encoding: .utf8)
        #expect(try CalorimeterGeometry.resolve(copy) == .ds2)
        #expect(throws: GeometryError.unreadableFile(path: dir.file("none.xml"), detail: "no such file")) {
            try CalorimeterGeometry.resolve(dir.file("none.xml"))
        }
    }

    @Test func namesResolveAndAShippedFileThatNoLongerMatchesIsRefused() throws {
        #expect(try CalorimeterGeometry.resolve("ds1-photons") == .ds1Photons)
        #expect(try CalorimeterGeometry.resolve("calogan") == .calogan)
        #expect(throws: GeometryError.unknownName("ds4", suggestion: "ds2")) { try CalorimeterGeometry.resolve("ds4") }
        #expect(GeometryError.unknownName("ds4", suggestion: "ds2").description.contains("calogan, ds1-photons, ds1-pions, ds2, ds3"))

        // The repository's shipped files are found and agree.
        #expect(CalorimeterGeometry.shippedBinningFile("binning_dataset_2.xml", in: [Self.binningDirectory()]) != nil)
        #expect(try CalorimeterGeometry.resolve("ds2", searchDirectories: [Self.binningDirectory()]) == .ds2)
        // An installed executable without the files uses the embedded copies.
        let empty = TemporaryDirectory()
        #expect(try CalorimeterGeometry.resolve("ds3", searchDirectories: [empty.path]) == .ds3)
        // An edited shipped file is not silently taken for the name.
        let edited = TemporaryDirectory()
        let text = CalorimeterGeometry.embeddedBinning("binning_dataset_2.xml")!
            .replacingOccurrences(of: "<Layer id=\"44\" r_edges=\"0,4.65", with: "<Layer id=\"44\" r_edges=\"0,4.6")
        try text.write(toFile: edited.file("binning_dataset_2.xml"), atomically: true, encoding: .utf8)
        #expect(throws: GeometryError.shippedFileDiffers(path: edited.file("binning_dataset_2.xml"), name: "ds2")) {
            try CalorimeterGeometry.resolve("ds2", searchDirectories: [edited.path])
        }
    }
}
