import Glibc

/// A calorimeter readout geometry as a value: the layers a shower's energies are read out in,
/// how each layer is segmented into voxels, and the order of the voxels in a flattened shower.
///
/// Two kinds of layer segmentation exist:
/// - a Cartesian grid (`CartesianGrid`): the built-in CaloGAN calorimeter (`.calogan`), three
///   layers of 3x96, 12x12 and 12x6 cells, flat index `firstVoxel + ix * ny + iy`;
/// - a polar (r, alpha) binning (`PolarBinning`): the CaloChallenge datasets, read from their
///   binning XML files (`BinningXML`), radial edges in mm and alpha bins uniform over
///   [-pi, pi), flat index `firstVoxel + a * nR + r` (alpha-major, then radius), exactly the
///   order of the CaloChallenge reference code (XMLHandler.py).
///
/// A flattened shower holds `voxelCount` energies (MeV): layer after layer in `layers` order,
/// each layer's voxels at `layers[l].voxelRange`. Layers a binning file lists without voxels
/// (`r_edges="0"`) are kept in `emptyLayerIDs`; they take no place in the flat vector. Layer
/// *index* means the position in `layers` (0..<layerCount); layer *id* is the detector layer
/// number (dataset 1 photons reads out detector layers 0, 1, 2, 3 and 12).
///
/// The named geometries (`CalorimeterGeometry.builtIn`: calogan, ds1-photons, ds1-pions, ds2,
/// ds3) and the resolution of names and binning files are in `CalorimeterGeometry+Catalog.swift`.
public struct CalorimeterGeometry: Sendable, Hashable, CustomStringConvertible {
    /// Identifier used on the command line and in files: "calogan", "ds1-photons", "ds1-pions",
    /// "ds2", "ds3", or the file name of a user's binning file ("my-binning.xml").
    public let name: String
    /// One line for people, e.g. "CaloChallenge dataset 2 (electrons)".
    public let title: String
    /// The layers that carry voxels, in voxel order.
    public let layers: [Layer]
    /// Detector layer ids that a binning file lists without voxels (`r_edges="0"`), ascending.
    public let emptyLayerIDs: [Int]
    /// Whether showers of this geometry carry one overflow energy per layer (energy outside the
    /// readout window): the CaloGAN layout does, the CaloChallenge datasets do not.
    public let hasOverflow: Bool
    /// The particle of the binning file's `<Bin>` (its `name` and `pid` attributes) and any other
    /// `<Bin>` attributes (e.g. etaMin, etaMax), kept as text.
    public let bin: BinLabel
    /// What is known about the dataset this geometry belongs to (nil for a user's binning file).
    public let dataset: DatasetInfo?
    /// Voxels per shower: the sum of the layers' voxel counts.
    public let voxelCount: Int

    /// A geometry from its layers (their `firstVoxel` is assigned here, in order).
    ///
    /// - Throws: `GeometryError.invalid` when there is no layer with voxels, layer ids are
    ///   negative, repeated or not ascending (empty layers included), or a layer's
    ///   segmentation is invalid (see `CartesianGrid.init`, `PolarBinning.init`).
    public init(name: String, title: String, layers: [Layer], emptyLayerIDs: [Int] = [], hasOverflow: Bool = false,
                bin: BinLabel = BinLabel(), dataset: DatasetInfo? = nil) throws {
        guard !layers.isEmpty else { throw GeometryError.invalid(geometry: name, detail: "it has no layer with voxels") }
        let ids = (layers.map(\.id) + emptyLayerIDs).sorted()
        if let bad = ids.first(where: { $0 < 0 }) {
            throw GeometryError.invalid(geometry: name, detail: "layer id \(bad) is negative")
        }
        for k in 1..<max(1, ids.count) where ids[k] == ids[k - 1] {
            throw GeometryError.invalid(geometry: name, detail: "layer id \(ids[k]) appears twice")
        }
        for k in 1..<max(1, layers.count) where layers[k].id <= layers[k - 1].id {
            throw GeometryError.invalid(geometry: name, detail: "layers must be listed by ascending id (\(layers[k - 1].id) before \(layers[k].id))")
        }
        var placed = [Layer]()
        var offset = 0
        for var layer in layers {
            guard layer.voxelCount > 0 else {
                throw GeometryError.invalid(geometry: name, detail: "layer \(layer.id) has no voxels; list it among the empty layers")
            }
            layer.firstVoxel = offset
            offset += layer.voxelCount
            placed.append(layer)
        }
        self.name = name
        self.title = title
        self.layers = placed
        self.emptyLayerIDs = emptyLayerIDs.sorted()
        self.hasOverflow = hasOverflow
        self.bin = bin
        self.dataset = dataset
        self.voxelCount = offset
    }

    // MARK: - Layers and voxels

    /// Number of layers with voxels.
    public var layerCount: Int { layers.count }
    /// Voxels per layer, in layer order.
    public var layerSizes: [Int] { layers.map(\.voxelCount) }
    /// First flat voxel index of each layer.
    public var layerOffsets: [Int] { layers.map(\.firstVoxel) }
    /// Flat voxel range of each layer; together they partition `0..<voxelCount`.
    public var layerRanges: [Range<Int>] { layers.map(\.voxelRange) }
    /// Overflow values per shower: one per layer when `hasOverflow`, else 0.
    public var overflowWidth: Int { hasOverflow ? layers.count : 0 }
    /// Whether every layer is polar-binned (the CaloChallenge kind of geometry).
    public var isPolar: Bool { layers.allSatisfy { if case .polar = $0.segmentation { return true } else { return false } } }

    /// The index (in `layers`) of the layer holding flat voxel `voxel` (0 ≤ voxel < voxelCount).
    public func layerIndex(ofVoxel voxel: Int) -> Int {
        precondition(voxel >= 0 && voxel < voxelCount, "voxel \(voxel) is outside 0..<\(voxelCount)")
        var lo = 0, hi = layers.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if layers[mid].firstVoxel <= voxel { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Where flat voxel `voxel` sits: its layer index and its bins inside the layer.
    public func location(ofVoxel voxel: Int) -> VoxelLocation {
        let l = layerIndex(ofVoxel: voxel)
        let local = voxel - layers[l].firstVoxel
        switch layers[l].segmentation {
        case .grid(let g): return VoxelLocation(layer: l, first: local / g.ny, second: local % g.ny)
        case .polar(let p): return VoxelLocation(layer: l, first: local / p.radialBins, second: local % p.radialBins)
        }
    }

    /// The centre of flat voxel `voxel` (mm, radians).
    public func cellCentre(ofVoxel voxel: Int) -> CellCentre {
        let at = location(ofVoxel: voxel)
        return layers[at.layer].segmentation.centre(first: at.first, second: at.second)
    }

    /// The centres of all voxels, in flat order (`voxelCount` entries).
    public func cellCentres() -> [CellCentre] { layers.flatMap { $0.segmentation.centres() } }

    /// Whether the two geometries read a shower out into the same voxels in the same order
    /// (same layer ids and segmentations). Names, labels, dataset facts, empty layers and
    /// overflow do not matter: a model trained on one fits showers of the other.
    public func hasSameVoxels(as other: CalorimeterGeometry) -> Bool {
        layers.count == other.layers.count
            && zip(layers, other.layers).allSatisfy { $0.id == $1.id && $0.segmentation == $1.segmentation }
    }

    /// "ds2 (CaloChallenge dataset 2 (electrons), 45 layers, 6480 voxels)".
    public var description: String {
        "\(name) (\(title), \(layerCount) layer\(layerCount == 1 ? "" : "s"), \(voxelCount) voxels)"
    }
}

// MARK: - Layer

extension CalorimeterGeometry {
    /// One readout layer with voxels.
    public struct Layer: Sendable, Hashable {
        /// The detector layer number (the binning file's `id`).
        public let id: Int
        /// How the layer is cut into voxels.
        public let segmentation: Segmentation
        /// Depth of the layer along the shower axis, mm from the calorimeter's front face, when
        /// known (the CaloGAN geometry states it; the CaloChallenge binning files do not).
        public let depth: ClosedRange<Double>?
        /// Flat index of the layer's first voxel (assigned by `CalorimeterGeometry.init`).
        public internal(set) var firstVoxel: Int = 0

        public init(id: Int, segmentation: Segmentation, depth: ClosedRange<Double>? = nil) {
            self.id = id
            self.segmentation = segmentation
            self.depth = depth
        }

        /// Voxels of the layer.
        public var voxelCount: Int { segmentation.voxelCount }
        /// The layer's flat voxel indices.
        public var voxelRange: Range<Int> { firstVoxel..<(firstVoxel + voxelCount) }
        /// The grid, for a Cartesian layer.
        public var grid: CartesianGrid? { if case .grid(let g) = segmentation { return g } else { return nil } }
        /// The (r, alpha) binning, for a polar layer.
        public var polar: PolarBinning? { if case .polar(let p) = segmentation { return p } else { return nil } }
    }

    /// How a layer is cut into voxels.
    public enum Segmentation: Sendable, Hashable, CustomStringConvertible {
        case grid(CartesianGrid)
        case polar(PolarBinning)

        /// Voxels of the layer.
        public var voxelCount: Int {
            switch self {
            case .grid(let g): return g.voxelCount
            case .polar(let p): return p.voxelCount
            }
        }

        /// The centre of the voxel with in-layer bins (first, second): (ix, iy) on a grid,
        /// (alpha bin, radial bin) for a polar binning.
        public func centre(first: Int, second: Int) -> CellCentre {
            switch self {
            case .grid(let g): return g.centre(ix: first, iy: second)
            case .polar(let p): return p.centre(alphaBin: first, radialBin: second)
            }
        }

        /// The centres of the layer's voxels in flat order.
        public func centres() -> [CellCentre] {
            switch self {
            case .grid(let g): return (0..<g.nx).flatMap { ix in (0..<g.ny).map { g.centre(ix: ix, iy: $0) } }
            case .polar(let p): return (0..<p.alphaBins).flatMap { a in (0..<p.radialBins).map { p.centre(alphaBin: a, radialBin: $0) } }
            }
        }

        public var description: String {
            switch self {
            case .grid(let g): return g.description
            case .polar(let p): return p.description
            }
        }
    }

    /// A Cartesian grid of `nx` x `ny` cells centred on the shower axis: the first axis (x,
    /// "phi-like" in CaloGAN's notation) has `nx` cells of `cellSizeX` mm, the second (y,
    /// "eta-like") `ny` cells of `cellSizeY` mm. Flat in-layer index `ix * ny + iy` (row-major
    /// (nx, ny) arrays, as the CaloGAN HDF5 datasets store them).
    public struct CartesianGrid: Sendable, Hashable, CustomStringConvertible {
        public let nx: Int
        public let ny: Int
        /// Cell size along x, mm.
        public let cellSizeX: Double
        /// Cell size along y, mm.
        public let cellSizeY: Double

        /// - Throws: `GeometryError.invalid` unless the counts and sizes are positive and finite.
        public init(nx: Int, ny: Int, cellSizeX: Double, cellSizeY: Double) throws {
            guard nx > 0, ny > 0, cellSizeX > 0, cellSizeY > 0, cellSizeX.isFinite, cellSizeY.isFinite else {
                throw GeometryError.invalid(geometry: "", detail: "a grid needs positive cell counts and sizes, got \(nx)x\(ny) cells of \(cellSizeX)x\(cellSizeY) mm")
            }
            self.nx = nx; self.ny = ny; self.cellSizeX = cellSizeX; self.cellSizeY = cellSizeY
        }

        public var voxelCount: Int { nx * ny }
        /// Half the grid's extent along x, mm (cells span -halfWidthX..halfWidthX).
        public var halfWidthX: Double { Double(nx) * cellSizeX / 2 }
        /// Half the grid's extent along y, mm.
        public var halfWidthY: Double { Double(ny) * cellSizeY / 2 }

        /// Centre of cell (ix, iy), mm; r and alpha of that point.
        public func centre(ix: Int, iy: Int) -> CellCentre {
            CellCentre(x: -halfWidthX + (Double(ix) + 0.5) * cellSizeX, y: -halfWidthY + (Double(iy) + 0.5) * cellSizeY)
        }

        /// "3x96 cells of 160x5 mm".
        public var description: String { "\(nx)x\(ny) cells of \(Self.mm(cellSizeX))x\(Self.mm(cellSizeY)) mm" }

        static func mm(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
    }

    /// A polar binning: radial bins between `radialEdges` (mm, ascending from the shower axis)
    /// times `alphaBins` angular bins, uniform over [-pi, pi). In-layer index
    /// `alphaBin * radialBins + radialBin` (alpha-major, then radius: the CaloChallenge order).
    public struct PolarBinning: Sendable, Hashable, CustomStringConvertible {
        /// Radial bin edges, mm, strictly ascending, the first ≥ 0.
        public let radialEdges: [Double]
        /// Angular bins over [-pi, pi).
        public let alphaBins: Int

        /// - Throws: `GeometryError.invalid` unless there are at least two finite, strictly
        ///   ascending, non-negative edges and at least one alpha bin.
        public init(radialEdges: [Double], alphaBins: Int) throws {
            guard radialEdges.count >= 2 else {
                throw GeometryError.invalid(geometry: "", detail: "a radial binning needs at least two edges, got \(radialEdges.count)")
            }
            guard radialEdges.allSatisfy(\.isFinite), radialEdges[0] >= 0 else {
                throw GeometryError.invalid(geometry: "", detail: "radial edges must be finite and non-negative, got \(radialEdges)")
            }
            for k in 1..<radialEdges.count where !(radialEdges[k] > radialEdges[k - 1]) {
                throw GeometryError.invalid(geometry: "", detail: "radial edges must ascend strictly, but \(radialEdges[k]) follows \(radialEdges[k - 1])")
            }
            guard alphaBins >= 1 else {
                throw GeometryError.invalid(geometry: "", detail: "a layer needs at least one alpha bin, got \(alphaBins)")
            }
            self.radialEdges = radialEdges
            self.alphaBins = alphaBins
        }

        public var radialBins: Int { radialEdges.count - 1 }
        public var voxelCount: Int { radialBins * alphaBins }
        /// Outer radius of the last bin, mm.
        public var outerRadius: Double { radialEdges[radialEdges.count - 1] }
        /// Width of an angular bin, radians.
        public var alphaWidth: Double { 2 * Double.pi / Double(alphaBins) }

        /// Middle of radial bin `r`, mm (the reference code's `r_midvalue`).
        public func radialCentre(_ r: Int) -> Double { radialEdges[r] + (radialEdges[r + 1] - radialEdges[r]) / 2 }
        /// Middle of angular bin `a`, radians in (-pi, pi): -pi + (a + 1/2) * 2pi / alphaBins.
        public func alphaCentre(_ a: Int) -> Double { -Double.pi + (Double(a) + 0.5) * alphaWidth }

        /// The bin centre as the CaloChallenge's HighLevelFeatures takes it: x = r cos(alpha),
        /// y = r sin(alpha) of the middle radius and middle angle (what its code calls eta and phi).
        public func centre(alphaBin a: Int, radialBin r: Int) -> CellCentre {
            let radius = radialCentre(r), angle = alphaCentre(a)
            return CellCentre(x: radius * cos(angle), y: radius * sin(angle), r: radius, alpha: angle)
        }

        /// "16 radial bins 0-200 mm x 10 alpha bins".
        public var description: String {
            let m = CartesianGrid.mm
            return "\(radialBins) radial bin\(radialBins == 1 ? "" : "s") \(m(radialEdges[0]))-\(m(outerRadius)) mm x \(alphaBins) alpha bin\(alphaBins == 1 ? "" : "s")"
        }
    }

    /// The position of one voxel's centre in the layer plane: x, y in mm (origin on the shower
    /// axis), and the same point as radius (mm) and angle alpha (radians, atan2(y, x)).
    /// For a polar bin, r and alpha are the bin's middle radius and angle and x = r cos(alpha),
    /// y = r sin(alpha) (the CaloChallenge's "eta" and "phi" of a voxel).
    public struct CellCentre: Sendable, Hashable {
        public var x: Double
        public var y: Double
        public var r: Double
        public var alpha: Double

        public init(x: Double, y: Double, r: Double, alpha: Double) { self.x = x; self.y = y; self.r = r; self.alpha = alpha }
        /// The point (x, y); r and alpha computed from it.
        public init(x: Double, y: Double) { self.init(x: x, y: y, r: (x * x + y * y).squareRoot(), alpha: atan2(y, x)) }
    }

    /// A voxel's layer index and its bins in the layer: (ix, iy) on a grid, (alpha bin, radial
    /// bin) for a polar binning.
    public struct VoxelLocation: Sendable, Hashable {
        public var layer: Int
        public var first: Int
        public var second: Int

        public init(layer: Int, first: Int, second: Int) { self.layer = layer; self.first = first; self.second = second }
    }

    /// The `<Bin>` element's description of what the binning is for.
    public struct BinLabel: Sendable, Hashable {
        /// PDG particle id (`pid`), e.g. 22 for photons.
        public var pid: Int?
        /// Particle name (`name`), e.g. "photon".
        public var particle: String?
        /// Any other attributes of `<Bin>` (e.g. etaMin, etaMax), as text.
        public var attributes: [String: String]

        public init(pid: Int? = nil, particle: String? = nil, attributes: [String: String] = [:]) {
            self.pid = pid; self.particle = particle; self.attributes = attributes
        }
    }

    /// Facts about the dataset a named geometry belongs to.
    public struct DatasetInfo: Sendable, Hashable, Codable {
        /// e.g. "CaloChallenge dataset 1, photons".
        public var name: String
        /// Particle of the showers, e.g. "gamma", "pi+", "e-"; "e+, gamma, pi+" for CaloGAN.
        public var particle: String
        /// The incident-energy spectrum of the dataset, in words.
        public var energySpectrum: String
        /// Voxel energy threshold (MeV) that the dataset's evaluation applies before comparing
        /// showers: 1 MeV for dataset 1, 0.5 keV for dataset 2, 15.15 keV for dataset 3
        /// (CaloChallenge evaluate.py); 0.01 MeV for CaloGAN (the CaloFlow papers).
        public var thresholdMeV: Double
        /// The binning file of the CaloChallenge repository (code/), when there is one.
        public var binningFile: String?

        public init(name: String, particle: String, energySpectrum: String, thresholdMeV: Double, binningFile: String? = nil) {
            self.name = name; self.particle = particle; self.energySpectrum = energySpectrum
            self.thresholdMeV = thresholdMeV; self.binningFile = binningFile
        }

        enum CodingKeys: String, CodingKey {
            case name, particle
            case energySpectrum = "energy_spectrum", thresholdMeV = "threshold_mev", binningFile = "binning_file"
        }
    }
}
