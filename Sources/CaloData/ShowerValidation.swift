/// Content checks shared by the reader and the writer: every value finite and non-negative, and
/// every incident energy positive (log E_inc enters the models and the evaluation).
public enum ShowerValidation {
    /// Incident energies (GeV) the app models and generates: 1 MeV to 10 TeV, beyond CaloGAN's
    /// 1-100 GeV and the CaloChallenge's 1 GeV-4 TeV. Training data outside it is refused (a model
    /// conditioned on 3e38 GeV cannot be sampled), and the generation options use the same bounds.
    public static let supportedIncidentEnergyGeV: ClosedRange<Double> = 0.001...10_000

    /// Throws `CaloDataError.invalidValue` for the first NaN, infinite or negative value of `batch`,
    /// or a zero incident energy
    /// (checked in layout order: energy, then voxels (reported as layer_0/1/2), then overflow).
    /// `firstEvent` is the file index of the batch's first shower, so messages name file events;
    /// `format` names the datasets as the file has them (a flat file's voxel index is its column).
    public static func validate(_ batch: ShowerBatch, path: String, firstEvent: Int = 0,
                                format: ShowerFileFormat = .calogan) throws {
        try validateEnergies(batch.incidentEnergy, path: path, firstEvent: firstEvent, format: format)
        if let bad = firstInvalid(batch.voxels.storage, rowLength: batch.geometry.voxelCount) {
            if format == .flat || !batch.geometry.isCaloGAN {
                throw error(path, ShowerFileFormat.flatShowers, firstEvent + bad.row, bad.column, bad.value)
            }
            let layer = (0..<CaloGANGeometry.layerCount).last { CaloGANGeometry.layerOffsets[$0] <= bad.column } ?? 0
            throw error(path, CaloGANGeometry.layerNames[layer], firstEvent + bad.row,
                        bad.column - CaloGANGeometry.layerOffsets[layer], bad.value)
        }
        if batch.geometry.overflowWidth > 0, let bad = firstInvalid(batch.overflow.storage, rowLength: batch.geometry.overflowWidth) {
            throw error(path, "overflow", firstEvent + bad.row, bad.column, bad.value)
        }
    }

    /// The incident-energy checks of `validate`: finite and positive.
    static func validateEnergies(_ energies: [Float], path: String, firstEvent: Int, format: ShowerFileFormat) throws {
        if let bad = firstInvalid(energies, rowLength: 1) {
            throw error(path, format.energyDataset, firstEvent + bad.row, bad.column, bad.value)
        }
        if let zero = energies.firstIndex(of: 0) {
            throw CaloDataError.invalidValue(path: path, dataset: format.energyDataset, event: firstEvent + zero,
                                             index: 0, value: 0, problem: .zero)
        }
    }

    /// The first element that is not in [0, +inf), as (row, column, value); nil if all are fine.
    /// One branch-light pass: `v >= 0 && v <= max` is false for NaN, negatives and infinities.
    static func firstInvalid(_ values: [Float], rowLength: Int) -> (row: Int, column: Int, value: Float)? {
        values.withUnsafeBufferPointer { p in
            let limit = Float.greatestFiniteMagnitude
            var i = 0
            let n = p.count
            // Blocks of 64 with a reduction the compiler vectorises; only a failing block is searched.
            while i + 64 <= n {
                var bad: Int32 = 0
                for j in i..<(i + 64) { let v = p[j]; bad |= (v >= 0) && (v <= limit) ? 0 : 1 }
                if bad != 0 { break }
                i += 64
            }
            while i < n {
                let v = p[i]
                if !(v >= 0 && v <= limit) { return (i / rowLength, i % rowLength, v) }
                i += 1
            }
            return nil
        }
    }

    private static func error(_ path: String, _ dataset: String, _ event: Int, _ index: Int, _ v: Float) -> CaloDataError {
        let problem: CaloDataError.ValueProblem = v.isNaN ? .nan : (v.isInfinite ? .infinite : .negative)
        return .invalidValue(path: path, dataset: dataset, event: event, index: index, value: v, problem: problem)
    }
}
