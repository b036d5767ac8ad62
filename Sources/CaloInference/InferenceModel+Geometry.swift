import CaloData
import CaloPipeline

/// Which geometries the packed engine (and so libcaloflow) generates: those of CaloFlow's two
/// flows over all voxels, i.e. every geometry the CaloFlow pipeline trains (CaloGAN, 504 voxels;
/// CaloChallenge dataset 1, photons 368 voxels in 5 layers and pions 533 in 7; a binning file
/// of 2 to `maximumVoxels` voxels in at least two layers). Datasets 2 and 3 (6480 / 40,500
/// voxels in 45 layers) are trained with layer-by-layer flows, another model that the engine
/// does not run; their runs are refused by name before any weight is read.
extension InferenceModel {
    /// The most voxels a model of the engine has (Flow II over all voxels; the pipeline's
    /// `TrainingData.maximumVoxels` when this was written).
    public static let maximumVoxels = 2048

    /// Whether the engine generates showers of `geometry` (see the type's notes).
    public static func supports(_ geometry: CalorimeterGeometry) -> Bool {
        geometry.layerCount >= 2 && geometry.voxelCount <= maximumVoxels
    }

    /// Throws `InferenceError.badModel` naming the geometry (name, title, layers, voxels) unless
    /// the engine generates showers of it. `source` names what models it, e.g. a run directory.
    public static func requireSupported(_ geometry: CalorimeterGeometry, source: String) throws {
        guard !supports(geometry) else { return }
        let what = "\(source) models showers of the geometry \(geometry.name) (\(geometry.title), \(geometry.layerCount) "
            + "layer\(geometry.layerCount == 1 ? "" : "s"), \(geometry.voxelCount) voxels)"
        let why = geometry.layerCount < 2
            ? "CaloFlow's Flow I needs at least two layers with voxels"
            : "the library runs CaloFlow's Flow I and student over all voxels, built for at most \(maximumVoxels) voxels "
              + "(CaloGAN 504, CaloChallenge dataset 1 368 / 533); datasets 2 and 3 are trained with layer-by-layer flows, "
              + "which this library does not run ('caloflow generate' samples them)"
        throw InferenceError.badModel("\(what); \(why)")
    }

    /// The geometry recorded in the checkpoint at `path` (its header only, no tensors), or nil
    /// when the header cannot be read (the full load then reports why).
    static func recordedGeometry(path: String) -> CalorimeterGeometry? {
        try? ModelCheckpoint.geometry(path: path)
    }
}
