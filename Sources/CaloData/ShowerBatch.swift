import CaloTensor

/// A batch of showers of one geometry in memory: what readers return, writers take and the
/// simulator and the flows produce.
///
/// - `geometry`: the readout the voxels belong to (`CalorimeterGeometry`).
/// - `incidentEnergy`: [N], incident kinetic energy in GeV (a CaloGAN file's `energy`; a flat
///   file's `incident_energies` divided by 1000).
/// - `voxels`: [N, D] voxel energies in MeV, D = `geometry.voxelCount`, in the geometry's flat
///   order (CaloGAN: layer_0 ‖ layer_1 ‖ layer_2, each row-major).
/// - `overflow`: [N, `geometry.overflowWidth`] energy outside the readout window per layer, MeV:
///   three columns for CaloGAN, none for the CaloChallenge geometries.
public struct ShowerBatch: Sendable, Equatable {
    public let geometry: CalorimeterGeometry
    public var incidentEnergy: [Float]
    public var voxels: Matrix
    public var overflow: Matrix

    /// Showers of `geometry`; `overflow` nil means zeros (or no column, for a geometry without
    /// overflow). The shapes must fit the geometry.
    public init(geometry: CalorimeterGeometry, incidentEnergy: [Float], voxels: Matrix, overflow: Matrix? = nil) {
        precondition(voxels.cols == geometry.voxelCount,
                     "ShowerBatch voxels must have \(geometry.voxelCount) columns (\(geometry.name)), got \(voxels.cols)")
        let overflow = overflow ?? Matrix(rows: voxels.rows, cols: geometry.overflowWidth)
        precondition(overflow.cols == geometry.overflowWidth,
                     "ShowerBatch overflow must have \(geometry.overflowWidth) columns (\(geometry.name)), got \(overflow.cols)")
        precondition(voxels.rows == incidentEnergy.count && overflow.rows == incidentEnergy.count,
                     "ShowerBatch event counts differ: energy \(incidentEnergy.count), voxels \(voxels.rows), overflow \(overflow.rows)")
        self.geometry = geometry
        self.incidentEnergy = incidentEnergy
        self.voxels = voxels
        self.overflow = overflow
    }

    /// CaloGAN showers: voxels [N, 504], overflow [N, 3].
    public init(incidentEnergy: [Float], voxels: Matrix, overflow: Matrix) {
        self.init(geometry: .calogan, incidentEnergy: incidentEnergy, voxels: voxels, overflow: overflow)
    }

    /// An all-zero batch of `count` showers of `geometry`.
    public init(count: Int, geometry: CalorimeterGeometry = .calogan) {
        self.init(geometry: geometry, incidentEnergy: [Float](repeating: 0, count: count),
                  voxels: Matrix(rows: count, cols: geometry.voxelCount),
                  overflow: Matrix(rows: count, cols: geometry.overflowWidth))
    }

    /// Number of showers.
    public var count: Int { incidentEnergy.count }

    /// Showers `range` as a new batch.
    public func slice(_ range: Range<Int>) -> ShowerBatch {
        ShowerBatch(geometry: geometry, incidentEnergy: Array(incidentEnergy[range]), voxels: voxels.rows(range),
                    overflow: overflow.rows(range))
    }

    /// Concatenation of batches in order (all of one geometry; an empty list gives an empty
    /// CaloGAN batch).
    public static func concatenate(_ parts: [ShowerBatch]) -> ShowerBatch {
        guard let g = parts.first?.geometry else { return ShowerBatch(count: 0) }
        precondition(parts.allSatisfy { $0.geometry == g }, "ShowerBatch.concatenate: the batches hold showers of different geometries")
        let energies = parts.flatMap { $0.incidentEnergy }
        // vstack cannot count the rows of zero-width matrices (no overflow, no voxels).
        func stack(_ ms: [Matrix], _ cols: Int) -> Matrix { cols == 0 ? Matrix(rows: energies.count, cols: 0) : Matrix.vstack(ms) }
        return ShowerBatch(geometry: g, incidentEnergy: energies, voxels: stack(parts.map { $0.voxels }, g.voxelCount),
                           overflow: stack(parts.map { $0.overflow }, g.overflowWidth))
    }

    /// Per-shower energy of layer `l` (index in `geometry.layers`) in MeV, [N], summed in Double.
    public func layerEnergy(_ l: Int) -> [Double] {
        let r = geometry.layers[l].voxelRange, c = voxels.cols
        return voxels.withUnsafeBufferPointer { p in
            (0..<count).map { i in var s = 0.0; for j in r { s += Double(p[i * c + j]) }; return s }
        }
    }
}
