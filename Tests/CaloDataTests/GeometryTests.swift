import Foundation
import Testing
import CaloData

/// The geometry value: the named geometries' voxel counts and layer layouts, the voxel order
/// (alpha-major then radius, as the CaloChallenge reference code numbers voxels), cell centres,
/// names, the JSON record, and CaloGAN's statics read from the one definition.
@Suite struct GeometryTests {
    // MARK: - Counts and layouts

    @Test func theNamedGeometriesHaveTheChallengesVoxelCounts() {
        #expect(CalorimeterGeometry.calogan.voxelCount == 504)
        #expect(CalorimeterGeometry.ds1Photons.voxelCount == 368)
        #expect(CalorimeterGeometry.ds1Pions.voxelCount == 533)
        #expect(CalorimeterGeometry.ds2.voxelCount == 6480)
        #expect(CalorimeterGeometry.ds3.voxelCount == 40500)
        #expect(CalorimeterGeometry.builtInNames == ["calogan", "ds1-photons", "ds1-pions", "ds2", "ds3"])
        for g in CalorimeterGeometry.builtIn { #expect(CalorimeterGeometry.builtIn(voxelCount: g.voxelCount) == g) }
        #expect(CalorimeterGeometry.builtIn(voxelCount: 369) == nil)
    }

    @Test func datasetOneLayersAreTheDetectorLayersWithVoxels() {
        let photons = CalorimeterGeometry.ds1Photons
        #expect(photons.layers.map(\.id) == [0, 1, 2, 3, 12])
        #expect(photons.layerSizes == [8, 160, 190, 5, 5])
        #expect(photons.layerOffsets == [0, 8, 168, 358, 363])
        #expect(photons.layers.map { $0.polar!.alphaBins } == [1, 10, 10, 1, 1])
        #expect(photons.layers[4].polar!.radialEdges == [0, 100, 200, 400, 1000, 2000])
        #expect(photons.emptyLayerIDs == Array(4...11) + Array(13...23))

        let pions = CalorimeterGeometry.ds1Pions
        #expect(pions.layers.map(\.id) == [0, 1, 2, 3, 12, 13, 14])
        #expect(pions.layerSizes == [8, 100, 100, 5, 150, 160, 10])
        #expect(pions.layers.map { $0.polar!.alphaBins } == [1, 10, 10, 1, 10, 10, 1])
        #expect(pions.layers[1].polar!.radialEdges == [0, 1, 4, 7, 10, 15, 30, 50, 90, 150, 200])
        #expect(pions.emptyLayerIDs == Array(4...11) + Array(15...23))
        for g in [photons, pions] { #expect(!g.hasOverflow && g.overflowWidth == 0 && g.isPolar) }
    }

    @Test func datasetsTwoAndThreeHaveFortyFiveEqualLayers() {
        for (g, radial, alpha, width) in [(CalorimeterGeometry.ds2, 9, 16, 4.65), (.ds3, 18, 50, 2.325)] {
            #expect(g.layers.map(\.id) == Array(0..<45) && g.emptyLayerIDs.isEmpty)
            #expect(g.layerSizes == [Int](repeating: radial * alpha, count: 45))
            #expect(g.layerOffsets == (0..<45).map { $0 * radial * alpha })
            for l in g.layers {
                let p = l.polar!
                #expect(p.radialBins == radial && p.alphaBins == alpha)
                for (k, edge) in p.radialEdges.enumerated() { #expect(abs(edge - Double(k) * width) < 1e-9) }
                #expect(abs(p.outerRadius - 41.85) < 1e-9)
            }
        }
    }

    @Test func caloGANStaticsAreReadFromTheGeometryValue() {
        let g = CalorimeterGeometry.calogan
        #expect(CaloGANGeometry.geometry == g && g.isCaloGAN && g.hasOverflow && g.overflowWidth == 3)
        #expect(CaloGANGeometry.layerCount == 3 && CaloGANGeometry.voxelCount == 504)
        #expect(CaloGANGeometry.nx == [3, 12, 12] && CaloGANGeometry.ny == [96, 12, 6])
        #expect(CaloGANGeometry.layerSizes == [288, 144, 72] && CaloGANGeometry.layerOffsets == [0, 288, 432])
        #expect(CaloGANGeometry.halfWidth == 240)
        #expect(CaloGANGeometry.cellSizeX == [160, 40, 40] && CaloGANGeometry.cellSizeY == [5, 40, 80])
        #expect(CaloGANGeometry.layerDepthBoundaries == [0, 90, 437, 480])
        #expect(CaloGANGeometry.layerRanges == [0..<288, 288..<432, 432..<504])
        for l in g.layers {
            let grid = l.grid!
            #expect(grid.halfWidthX == 240 && grid.halfWidthY == 240)
        }
    }

    // MARK: - Voxel order and centres

    /// The reference code's construction (XMLHandler.fill_r_a_lists): per layer, for every alpha
    /// bin, for every radial bin, the middle radius and the middle angle of linspace(-pi, pi).
    func referenceCentres(_ g: CalorimeterGeometry) -> [(r: Double, alpha: Double)] {
        var out = [(r: Double, alpha: Double)]()
        for layer in g.layers {
            let p = layer.polar!
            var mids = [Double](), edges = [Double](), alphas = [Double]()
            for k in 0..<p.radialBins {
                let lo: Double = p.radialEdges[k], hi: Double = p.radialEdges[k + 1]
                mids.append(lo + (hi - lo) / 2)
            }
            let n = Double(p.alphaBins)
            for k in 0...p.alphaBins {
                let step: Double = 2 * Double.pi * Double(k) / n
                edges.append(-Double.pi + step)
            }
            for k in 0..<p.alphaBins {
                let lo: Double = edges[k], hi: Double = edges[k + 1]
                alphas.append(lo + (hi - lo) / 2)
            }
            for a in alphas { for r in mids { out.append((r, a)) } }
        }
        return out
    }

    @Test(arguments: ["ds1-photons", "ds1-pions", "ds2", "ds3"])
    func voxelsAreOrderedAlphaMajorThenRadiusAsTheReferenceCode(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let mine = g.cellCentres(), reference = referenceCentres(g)
        #expect(mine.count == g.voxelCount && reference.count == g.voxelCount)
        var worst = 0.0
        for (c, ref) in zip(mine, reference) {
            worst = max(worst, abs(c.r - ref.r), abs(c.alpha - ref.alpha))
            worst = max(worst, abs(c.x - ref.r * cos(ref.alpha)), abs(c.y - ref.r * sin(ref.alpha)))
        }
        #expect(worst < 1e-12)
        // Spot checks through the index formula: voxel = first voxel + a * nR + r.
        for (l, layer) in g.layers.enumerated() {
            let p = layer.polar!
            for (a, r) in [(0, 0), (p.alphaBins - 1, p.radialBins - 1), (p.alphaBins / 2, p.radialBins / 3)] {
                let v = layer.firstVoxel + a * p.radialBins + r
                let at = g.location(ofVoxel: v)
                #expect(at.layer == l && at.first == a && at.second == r)
                #expect(g.layerIndex(ofVoxel: v) == l)
            }
        }
    }

    @Test func aDatasetOneCellCentreWorkedByHand() {
        // Photons, layer 1 (16 radial bins, 10 alpha bins, first voxel 8); alpha bin 3, radial bin 5.
        let g = CalorimeterGeometry.ds1Photons
        let c = g.cellCentre(ofVoxel: 8 + 3 * 16 + 5)
        let alpha = -Double.pi + 3.5 * 2 * Double.pi / 10   // -0.3 pi
        #expect(c.r == 11)   // between the edges 10 and 12 mm
        #expect(abs(c.alpha - alpha) < 1e-15)
        #expect(abs(c.x - 11 * cos(alpha)) < 1e-12 && abs(c.y - 11 * sin(alpha)) < 1e-12)
        // A layer with one alpha bin puts every centre on the x axis (alpha 0).
        let single = g.cellCentre(ofVoxel: 3)
        #expect(single.alpha == 0 && single.x == 40 && single.y == 0)   // edges 30-50 mm
    }

    @Test func caloGANCellsAreRowMajorGridCells() {
        let g = CalorimeterGeometry.calogan
        let at = g.location(ofVoxel: 2 * 96 + 10)
        #expect(at.layer == 0 && at.first == 2 && at.second == 10)
        let c = g.cellCentre(ofVoxel: 2 * 96 + 10)
        #expect(c.x == 160 && c.y == -187.5)
        #expect(g.location(ofVoxel: 288 + 12 * 5 + 7) == CalorimeterGeometry.VoxelLocation(layer: 1, first: 5, second: 7))
        #expect(g.layerIndex(ofVoxel: 503) == 2 && g.layerIndex(ofVoxel: 432) == 2 && g.layerIndex(ofVoxel: 431) == 1)
        #expect(g.cellCentres().count == 504)
    }

    // MARK: - Names

    @Test func namesAcceptTheObviousSpellings() {
        for (spelling, name) in [("ds1-photons", "ds1-photons"), ("DS1_Photons", "ds1-photons"), ("dataset_1_photons", "ds1-photons"),
                                 ("ds1-gamma", "ds1-photons"), ("binning_dataset_1_pions", "ds1-pions"), ("ds1-pion", "ds1-pions"),
                                 ("ds1-piplus", "ds1-pions"), ("dataset-2", "ds2"), ("DS3", "ds3"), ("CaloGAN", "calogan")] {
            #expect(CalorimeterGeometry.named(spelling)?.name == name, "\(spelling)")
        }
        for wrong in ["ds4", "ds1", "photons", "", "calogan2"] { #expect(CalorimeterGeometry.named(wrong) == nil, "\(wrong)") }
        #expect(CalorimeterGeometry.closestName(to: "ds4") == "ds2")
        #expect(CalorimeterGeometry.closestName(to: "ds1-photon") == "ds1-photons")
        #expect(CalorimeterGeometry.closestName(to: "completely-different") == nil)
    }

    @Test func sameVoxelsIgnoresNamesAndLabels() throws {
        let renamed = try CalorimeterGeometry(name: "mine", title: "my copy", layers: CalorimeterGeometry.ds2.layers)
        #expect(renamed.hasSameVoxels(as: .ds2) && renamed != .ds2 && !renamed.isBuiltIn)
        #expect(!CalorimeterGeometry.ds2.hasSameVoxels(as: .ds3) && CalorimeterGeometry.ds2.isBuiltIn)
    }

    // MARK: - Invalid geometries

    @Test func invalidLayerListsAreRefused() throws {
        let p = try CalorimeterGeometry.PolarBinning(radialEdges: [0, 1], alphaBins: 2)
        let layer = { (id: Int) in CalorimeterGeometry.Layer(id: id, segmentation: .polar(p)) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry(name: "x", title: "x", layers: []) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry(name: "x", title: "x", layers: [layer(2), layer(1)]) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry(name: "x", title: "x", layers: [layer(1), layer(1)]) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry(name: "x", title: "x", layers: [layer(1)], emptyLayerIDs: [1]) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry(name: "x", title: "x", layers: [layer(-1)]) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry.PolarBinning(radialEdges: [0, 2, 2], alphaBins: 1) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry.PolarBinning(radialEdges: [-1, 2], alphaBins: 1) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry.PolarBinning(radialEdges: [0, .infinity], alphaBins: 1) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry.PolarBinning(radialEdges: [0, 1], alphaBins: 0) }
        #expect(throws: GeometryError.self) { try CalorimeterGeometry.CartesianGrid(nx: 0, ny: 3, cellSizeX: 1, cellSizeY: 1) }
        let g = try CalorimeterGeometry(name: "x", title: "x", layers: [layer(3), layer(7)], emptyLayerIDs: [5, 0])
        #expect(g.voxelCount == 4 && g.layerOffsets == [0, 2] && g.emptyLayerIDs == [0, 5])
    }

    // MARK: - JSON record

    @Test(arguments: CalorimeterGeometry.builtInNames)
    func theJSONRecordRoundTrips(name: String) throws {
        let g = try #require(CalorimeterGeometry.named(name))
        let json = try g.encodeRecord()
        #expect(try CalorimeterGeometry.decodeRecord(json) == g)
        #expect(json.contains("\"voxels\":\(g.voxelCount)"))
    }

    @Test func recordsThatContradictThemselvesAreRefused() throws {
        let json = try CalorimeterGeometry.ds1Photons.encodeRecord()
        for (bad, what) in [(json.replacingOccurrences(of: "\"voxels\":368", with: "\"voxels\":367"), "total voxels"),
                            (json.replacingOccurrences(of: "\"first_voxel\":8", with: "\"first_voxel\":9"), "first voxel"),
                            (json.replacingOccurrences(of: "\"alpha_bins\":10", with: "\"alpha_bins\":0"), "alpha bins"),
                            (json.replacingOccurrences(of: "\"r_edges_mm\":[0,5,", with: "\"r_edges_mm\":[5,0,"), "edges")] {
            #expect(bad != json, "the replacement for \(what) did not apply")
            #expect(throws: (any Error).self, "\(what)") { try CalorimeterGeometry.decodeRecord(bad) }
        }
    }

    // MARK: - Description

    @Test func summaryNamesLayersBinningAndEmptyLayers() {
        let text = CalorimeterGeometry.ds1Photons.summaryLines.joined(separator: "\n")
        for needle in ["geometry: ds1-photons", "368 voxels", "detector layers without voxels: 4-11, 13-23",
                       "layer 4 (detector layer 12): 5 voxels (363-367)", "r edges [mm] 0,100,200,400,1000,2000",
                       "evaluation threshold: 1 MeV", "16 radial bins 0-200 mm x 10 alpha bins"] {
            #expect(text.contains(needle), "summary lacks '\(needle)':\n\(text)")
        }
        let ds3 = CalorimeterGeometry.ds3.summaryLines
        #expect(ds3.contains { $0.contains("layers 0-44: 900 voxels each (0-40499), 18 radial bins 0-41.85 mm x 50 alpha bins") })
        #expect(ds3.contains { $0.contains("evaluation threshold: 15.15 keV") })
        #expect(CalorimeterGeometry.ds2.summaryLines.contains { $0.contains("evaluation threshold: 0.5 keV") })
        #expect(CalorimeterGeometry.calogan.summaryLines.contains { $0.contains("layer 0: 288 voxels (0-287), 3x96 cells of 160x5 mm, depth 0-90 mm") })
    }
}
