import CaloTensor

/// The CaloGAN calorimeter readout (Paganini, de Oliveira, Nachman 2017): three longitudinal
/// layers of 3x96, 12x12 and 12x6 cells, 504 voxels in all, each spanning -240..240 mm in x and y.
///
/// Array convention (HDF5 datasets `layer_0` (N,3,96), `layer_1` (N,12,12), `layer_2` (N,12,6)):
/// first axis = x ("phi-like"), second axis = y ("eta-like"); a flattened shower is
/// layer_0 ‖ layer_1 ‖ layer_2 in row-major order, flat index = offset + ix * ny + iy.
public enum CaloGANGeometry {
    /// Number of longitudinal layers.
    public static let layerCount = 3
    /// Cells along x (first array axis) per layer.
    public static let nx = [3, 12, 12]
    /// Cells along y (second array axis) per layer.
    public static let ny = [96, 12, 6]
    /// Voxels per layer: 288, 144, 72.
    public static let layerSizes = [288, 144, 72]
    /// Flat offsets of the layers in a 504-vector: 0, 288, 432.
    public static let layerOffsets = [0, 288, 432]
    /// Voxels per shower.
    public static let voxelCount = 504
    /// Half-width of the readout window in mm (cells span -240..240 mm).
    public static let halfWidth = 240.0
    /// Cell size along x in mm per layer: 160, 40, 40.
    public static let cellSizeX = [160.0, 40.0, 40.0]
    /// Cell size along y in mm per layer: 5, 40, 80.
    public static let cellSizeY = [5.0, 40.0, 80.0]
    /// Depth boundaries of the layers in mm from the front face (Pb/LAr sampling, 480 mm in all):
    /// layer l spans `layerDepthBoundaries[l] ..< layerDepthBoundaries[l + 1]`.
    public static let layerDepthBoundaries = [0.0, 90.0, 437.0, 480.0]
    /// HDF5 dataset names of the layers.
    public static let layerNames = ["layer_0", "layer_1", "layer_2"]
    /// Range of flat voxel indices of layer `l`.
    public static func layerRange(_ l: Int) -> Range<Int> { layerOffsets[l]..<(layerOffsets[l] + layerSizes[l]) }
    /// The flat voxel ranges of all layers, in order (they partition `0..<voxelCount`).
    public static let layerRanges: [Range<Int>] = (0..<layerCount).map(layerRange)
}

/// Particle species of the CaloGAN samples.
public enum Particle: String, CaseIterable, Sendable, Codable {
    case eplus, gamma, piplus

    /// Accepts the usual spellings: eplus/e+/positron, gamma/photon, piplus/pi+/pion.
    public init?(name: String) {
        switch name.lowercased() {
        case "eplus", "e+", "positron": self = .eplus
        case "gamma", "photon", "γ": self = .gamma
        case "piplus", "pi+", "pion", "π+": self = .piplus
        default: return nil
        }
    }
}

/// A batch of showers in CaloGAN units, the in-memory form of the HDF5 layout.
///
/// - `incidentEnergy`: [N], incident kinetic energy in GeV (`energy` dataset, shape (N,1)).
/// - `voxels`: [N, 504] cell energies in MeV, flattened layer_0 ‖ layer_1 ‖ layer_2.
/// - `overflow`: [N, 3] energy outside the readout window per layer, MeV.
public struct ShowerBatch: Sendable, Equatable {
    public var incidentEnergy: [Float]
    public var voxels: Matrix
    public var overflow: Matrix

    public init(incidentEnergy: [Float], voxels: Matrix, overflow: Matrix) {
        precondition(voxels.cols == CaloGANGeometry.voxelCount, "ShowerBatch voxels must have \(CaloGANGeometry.voxelCount) columns, got \(voxels.cols)")
        precondition(overflow.cols == CaloGANGeometry.layerCount, "ShowerBatch overflow must have \(CaloGANGeometry.layerCount) columns, got \(overflow.cols)")
        precondition(voxels.rows == incidentEnergy.count && overflow.rows == incidentEnergy.count,
                     "ShowerBatch event counts differ: energy \(incidentEnergy.count), voxels \(voxels.rows), overflow \(overflow.rows)")
        self.incidentEnergy = incidentEnergy
        self.voxels = voxels
        self.overflow = overflow
    }

    /// An all-zero batch of `count` showers.
    public init(count: Int) {
        self.init(incidentEnergy: [Float](repeating: 0, count: count),
                  voxels: Matrix(rows: count, cols: CaloGANGeometry.voxelCount),
                  overflow: Matrix(rows: count, cols: CaloGANGeometry.layerCount))
    }

    /// Number of showers.
    public var count: Int { incidentEnergy.count }

    /// Showers `range` as a new batch.
    public func slice(_ range: Range<Int>) -> ShowerBatch {
        ShowerBatch(incidentEnergy: Array(incidentEnergy[range]), voxels: voxels.rows(range), overflow: overflow.rows(range))
    }

    /// Concatenation of batches in order.
    public static func concatenate(_ parts: [ShowerBatch]) -> ShowerBatch {
        ShowerBatch(incidentEnergy: parts.flatMap { $0.incidentEnergy },
                    voxels: Matrix.vstack(parts.map { $0.voxels }),
                    overflow: Matrix.vstack(parts.map { $0.overflow }))
    }

    /// Per-shower energy of layer `l` in MeV, [N], summed in Double.
    public func layerEnergy(_ l: Int) -> [Double] {
        let r = CaloGANGeometry.layerRange(l), c = voxels.cols
        return voxels.withUnsafeBufferPointer { p in
            (0..<count).map { i in var s = 0.0; for j in r { s += Double(p[i * c + j]) }; return s }
        }
    }
}
