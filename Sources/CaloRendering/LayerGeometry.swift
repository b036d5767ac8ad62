import CaloData

// MARK: - LayerGeometry

/// The cells of one calorimeter layer, for drawing: a Cartesian grid or a polar (r, alpha) binning.
///
/// Grid: values are row-major `[nx * ny]` with flat index `ix * ny + iy`, as in the CaloGAN HDF5
/// datasets: the first axis (`nx` cells of `cellSizeX` mm) is x, φ-like; the second axis (`ny`
/// cells of `cellSizeY` mm) is y, η-like. Images put y (η) horizontally and x (φ) vertically,
/// index 0 at the bottom-left, as in the CaloGAN notebook's "η Cell ID" / "φ Cell ID" axes.
///
/// Polar (`polar` set, the CaloChallenge layers): values are `[alphaBins * radialBins]` with
/// flat index `a * radialBins + r` (alpha-major, as in the challenge files); `nx` is the number
/// of alpha bins and `ny` the number of radial bins. Images draw a disc, see `LayerImage`.
public struct LayerGeometry: Sendable, Equatable {
    public var nx: Int
    public var ny: Int
    /// Cell size along x (first axis, vertical in images), mm.
    public var cellSizeX: Double
    /// Cell size along y (second axis, horizontal in images), mm.
    public var cellSizeY: Double
    /// Short name shown in titles ("layer 0").
    public var name: String
    /// The (r, alpha) binning of a polar layer; nil for a grid.
    public var polar: CalorimeterGeometry.PolarBinning? = nil

    /// Throws unless both counts and sizes are positive.
    public init(nx: Int, ny: Int, cellSizeX: Double, cellSizeY: Double, name: String) throws {
        guard nx > 0, ny > 0, cellSizeX > 0, cellSizeY > 0 else {
            throw RenderError.invalidInput("layer geometry needs positive cell counts and sizes, got \(nx)x\(ny) cells of \(cellSizeX)x\(cellSizeY) mm")
        }
        self.nx = nx; self.ny = ny; self.cellSizeX = cellSizeX; self.cellSizeY = cellSizeY; self.name = name
    }

    /// Number of cells.
    public var cellCount: Int { nx * ny }
    /// Extent along x (vertical), mm.
    public var extentX: Double { Double(nx) * cellSizeX }
    /// Extent along y (horizontal), mm.
    public var extentY: Double { Double(ny) * cellSizeY }

    /// A polar layer: `binning.alphaBins` × `binning.radialBins` voxels (flat index `a * nR + r`).
    public init(polar binning: CalorimeterGeometry.PolarBinning, name: String) {
        nx = binning.alphaBins; ny = binning.radialBins
        cellSizeX = 1; cellSizeY = 1
        self.name = name
        polar = binning
    }

    /// The drawable layers of `geometry`, in voxel order, named by detector layer id ("layer 12").
    public static func layers(of geometry: CalorimeterGeometry) -> [LayerGeometry] {
        geometry.layers.map { layer in
            switch layer.segmentation {
            case .polar(let p): return LayerGeometry(polar: p, name: "layer \(layer.id)")
            case .grid(let g):
                // A valid CalorimeterGeometry grid has positive counts and sizes.
                return try! LayerGeometry(nx: g.nx, ny: g.ny, cellSizeX: g.cellSizeX, cellSizeY: g.cellSizeY, name: "layer \(layer.id)")
            }
        }
    }

    /// The CaloGAN layers: 3×96 cells of 160×5 mm, 12×12 of 40×40 mm, 12×6 of 40×80 mm
    /// (each layer spans −240…240 mm in both directions).
    public static let caloGAN: [LayerGeometry] = (0..<CaloGANGeometry.layerCount).map { l in
        // Sizes are positive constants, so the throwing initializer cannot fail here.
        try! LayerGeometry(nx: CaloGANGeometry.nx[l], ny: CaloGANGeometry.ny[l],
                           cellSizeX: CaloGANGeometry.cellSizeX[l], cellSizeY: CaloGANGeometry.cellSizeY[l],
                           name: "layer \(l)")
    }
}

// MARK: - LayerAxes

/// How a layer image is proportioned and labelled.
public enum LayerAxes: Sendable, Equatable {
    /// True millimetre proportions (every CaloGAN layer is a 480 × 480 mm square, so the 3×96
    /// layer shows three 160 mm bands of 96 narrow 5 mm strips), axes "y [mm] (η)" and
    /// "x [mm] (φ)" from −240 to 240. The default: cells keep their physical shape.
    case millimetres
    /// Cell indices on the axes ("η cell", "φ cell"), the drawing box square whatever the cell
    /// counts (each cell stretched, like matplotlib `imshow(aspect="auto")`).
    case cellIndex
}
