import Foundation

/// The JSON record of a geometry, as run.json, checkpoints (`geometry` attribute) and shower
/// files of non-named geometries (`geometry_binning` attribute) store it: the full binning,
/// readable without caloflow.
///
///     {"name": "ds1-photons", "title": "...", "voxels": 368, "overflow": false,
///      "layers": [{"id": 0, "first_voxel": 0, "voxels": 8,
///                  "r_edges_mm": [0, 5, 10, ...], "alpha_bins": 1}, ...],      polar layers
///      (CaloGAN: {"id": 0, ..., "grid": {"nx": 3, "ny": 96, "cell_size_x_mm": 160,
///                 "cell_size_y_mm": 5}, "depth_mm": [0, 90]})                     grid layers
///      "empty_layers": [4, 5, ...], "bin": {"pid": 22, "particle": "photon"}, "dataset": {...}}
///
/// `voxels` and `first_voxel` follow from the layers; decoding recomputes them and refuses a
/// record whose stored values disagree (a damaged or hand-edited record).
extension CalorimeterGeometry: Codable {
    enum CodingKeys: String, CodingKey {
        case name, title, voxels, overflow, layers, bin, dataset
        case emptyLayers = "empty_layers"
    }

    struct LayerRecord: Codable {
        var id: Int
        var firstVoxel: Int?
        var voxels: Int?
        var radialEdges: [Double]?
        var alphaBins: Int?
        var grid: GridRecord?
        var depth: [Double]?

        enum CodingKeys: String, CodingKey {
            case id, voxels, grid
            case firstVoxel = "first_voxel", radialEdges = "r_edges_mm", alphaBins = "alpha_bins", depth = "depth_mm"
        }
    }

    struct GridRecord: Codable {
        var nx: Int
        var ny: Int
        var cellSizeX: Double
        var cellSizeY: Double

        enum CodingKeys: String, CodingKey {
            case nx, ny
            case cellSizeX = "cell_size_x_mm", cellSizeY = "cell_size_y_mm"
        }
    }

    struct BinRecord: Codable {
        var pid: Int?
        var particle: String?
        var attributes: [String: String]?
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(title, forKey: .title)
        try c.encode(voxelCount, forKey: .voxels)
        try c.encode(hasOverflow, forKey: .overflow)
        let records = layers.map { l -> LayerRecord in
            var r = LayerRecord(id: l.id, firstVoxel: l.firstVoxel, voxels: l.voxelCount)
            switch l.segmentation {
            case .grid(let g): r.grid = GridRecord(nx: g.nx, ny: g.ny, cellSizeX: g.cellSizeX, cellSizeY: g.cellSizeY)
            case .polar(let p): r.radialEdges = p.radialEdges; r.alphaBins = p.alphaBins
            }
            r.depth = l.depth.map { [$0.lowerBound, $0.upperBound] }
            return r
        }
        try c.encode(records, forKey: .layers)
        if !emptyLayerIDs.isEmpty { try c.encode(emptyLayerIDs, forKey: .emptyLayers) }
        if bin != BinLabel() {
            try c.encode(BinRecord(pid: bin.pid, particle: bin.particle, attributes: bin.attributes.isEmpty ? nil : bin.attributes),
                         forKey: .bin)
        }
        try c.encodeIfPresent(dataset, forKey: .dataset)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .name)
        func bad(_ detail: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "geometry \(name): \(detail)"))
        }
        var layers = [Layer]()
        for r in try c.decode([LayerRecord].self, forKey: .layers) {
            let segmentation: Segmentation
            do {
                switch (r.grid, r.radialEdges, r.alphaBins) {
                case (let g?, nil, nil):
                    segmentation = .grid(try CartesianGrid(nx: g.nx, ny: g.ny, cellSizeX: g.cellSizeX, cellSizeY: g.cellSizeY))
                case (nil, let edges?, let alpha?):
                    segmentation = .polar(try PolarBinning(radialEdges: edges, alphaBins: alpha))
                default:
                    throw bad("layer \(r.id) needs either a grid or r_edges_mm and alpha_bins")
                }
            } catch let e as GeometryError { throw bad("layer \(r.id): \(e)") }
            var depth: ClosedRange<Double>?
            if let d = r.depth {
                guard d.count == 2, d[0].isFinite, d[1].isFinite, d[0] <= d[1] else { throw bad("layer \(r.id): depth_mm must be [front, back]") }
                depth = d[0]...d[1]
            }
            layers.append(Layer(id: r.id, segmentation: segmentation, depth: depth))
        }
        let bin = try c.decodeIfPresent(BinRecord.self, forKey: .bin)
        do {
            try self.init(name: name, title: try c.decodeIfPresent(String.self, forKey: .title) ?? name, layers: layers,
                          emptyLayerIDs: try c.decodeIfPresent([Int].self, forKey: .emptyLayers) ?? [],
                          hasOverflow: try c.decodeIfPresent(Bool.self, forKey: .overflow) ?? false,
                          bin: BinLabel(pid: bin?.pid, particle: bin?.particle, attributes: bin?.attributes ?? [:]),
                          dataset: try c.decodeIfPresent(DatasetInfo.self, forKey: .dataset))
        } catch let e as GeometryError { throw bad(e.description) }
        if let v = try c.decodeIfPresent(Int.self, forKey: .voxels), v != voxelCount {
            throw bad("it states \(v) voxels, its layers hold \(voxelCount)")
        }
        let stored = try c.decode([LayerRecord].self, forKey: .layers)
        for (l, r) in zip(self.layers, stored) {
            if let v = r.voxels, v != l.voxelCount { throw bad("layer \(l.id) states \(v) voxels, its binning holds \(l.voxelCount)") }
            if let f = r.firstVoxel, f != l.firstVoxel { throw bad("layer \(l.id) states first voxel \(f), the layers before it give \(l.firstVoxel)") }
        }
    }
}

extension CalorimeterGeometry {
    /// The JSON record (keys sorted, one line).
    public func encodeRecord() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A geometry from its JSON record. - Throws: the decoder's error, naming what is wrong.
    public static func decodeRecord(_ json: String) throws -> CalorimeterGeometry {
        try JSONDecoder().decode(CalorimeterGeometry.self, from: Data(json.utf8))
    }
}
