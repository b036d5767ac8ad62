/// The CaloGAN calorimeter readout (Paganini, de Oliveira, Nachman 2017) in the form the
/// CaloGAN-specific code uses: three longitudinal layers of 3x96, 12x12 and 12x6 cells, 504
/// voxels in all, each spanning -240..240 mm in x and y. Every number here is read from the
/// one definition, `CalorimeterGeometry.calogan`.
///
/// Array convention (HDF5 datasets `layer_0` (N,3,96), `layer_1` (N,12,12), `layer_2` (N,12,6)):
/// first axis = x ("phi-like"), second axis = y ("eta-like"); a flattened shower is
/// layer_0 ‖ layer_1 ‖ layer_2 in row-major order, flat index = offset + ix * ny + iy.
public enum CaloGANGeometry {
    /// The geometry value all of the below is read from.
    public static let geometry = CalorimeterGeometry.calogan
    private static let grids = geometry.layers.map { $0.grid! }

    /// Number of longitudinal layers.
    public static let layerCount = geometry.layerCount
    /// Cells along x (first array axis) per layer: 3, 12, 12.
    public static let nx = grids.map(\.nx)
    /// Cells along y (second array axis) per layer: 96, 12, 6.
    public static let ny = grids.map(\.ny)
    /// Voxels per layer: 288, 144, 72.
    public static let layerSizes = geometry.layerSizes
    /// Flat offsets of the layers in a 504-vector: 0, 288, 432.
    public static let layerOffsets = geometry.layerOffsets
    /// Voxels per shower.
    public static let voxelCount = geometry.voxelCount
    /// Half-width of the readout window in mm (cells span -240..240 mm; the same for every layer
    /// and both axes).
    public static let halfWidth = grids[0].halfWidthX
    /// Cell size along x in mm per layer: 160, 40, 40.
    public static let cellSizeX = grids.map(\.cellSizeX)
    /// Cell size along y in mm per layer: 5, 40, 80.
    public static let cellSizeY = grids.map(\.cellSizeY)
    /// Depth boundaries of the layers in mm from the front face (Pb/LAr sampling, 480 mm in all):
    /// layer l spans `layerDepthBoundaries[l] ..< layerDepthBoundaries[l + 1]`.
    public static let layerDepthBoundaries = [geometry.layers[0].depth!.lowerBound] + geometry.layers.map { $0.depth!.upperBound }
    /// HDF5 dataset names of the layers.
    public static let layerNames = ["layer_0", "layer_1", "layer_2"]
    /// Range of flat voxel indices of layer `l`.
    public static func layerRange(_ l: Int) -> Range<Int> { layerOffsets[l]..<(layerOffsets[l] + layerSizes[l]) }
    /// The flat voxel ranges of all layers, in order (they partition `0..<voxelCount`).
    public static let layerRanges: [Range<Int>] = geometry.layerRanges
}

/// Particle species: those of the CaloGAN samples (e+, γ, π+) and the electrons of the
/// CaloChallenge datasets 2 and 3 (e−).
public enum Particle: String, CaseIterable, Sendable, Codable {
    case eplus, gamma, piplus, eminus

    /// Accepts the usual spellings: eplus/e+/positron, gamma/photon, piplus/pi+/pion,
    /// eminus/e-/electron.
    public init?(name: String) {
        switch name.lowercased() {
        case "eplus", "e+", "positron": self = .eplus
        case "eminus", "e-", "electron": self = .eminus
        case "gamma", "photon", "γ": self = .gamma
        case "piplus", "pi+", "pion", "π+": self = .piplus
        default: return nil
        }
    }
}
