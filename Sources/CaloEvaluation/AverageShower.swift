import CaloTensor
import CaloData

/// Mean voxel energies of a set of showers, for the average layer images (log colour scale)
/// and their versions in bins of incident energy; plus the spectrum of single-voxel energies.
public enum AverageShower {
    /// Mean energy per voxel in MeV, [D] for showers of D voxels, over all showers (after clamping to [0, 1e5] MeV and
    /// the threshold, as the high-level features). Empty batch → all zeros.
    public static func mean(_ batch: ShowerBatch, thresholdMeV: Double = HighLevelFeatures.defaultThresholdMeV) -> [Double] {
        mean(batch, rows: 0..<batch.count, thresholdMeV: thresholdMeV)
    }

    /// Mean images in bins of incident energy: one [D] mean per bin of `binning` (GeV) and
    /// the number of showers in it; bins without showers give zeros.
    public static func meanByIncidentEnergy(_ batch: ShowerBatch, binning: Binning,
                                            thresholdMeV: Double = HighLevelFeatures.defaultThresholdMeV) -> [(count: Int, mean: [Double])] {
        var members = [[Int]](repeating: [], count: binning.count)
        for (i, e) in batch.incidentEnergy.enumerated() {
            if let k = binning.index(of: Double(e)) { members[k].append(i) }
        }
        return members.map { rows in
            (rows.count, mean(batch.voxels, rowIndices: rows, thresholdMeV: thresholdMeV))
        }
    }

    /// Histogram of all single-voxel energies (MeV) above the threshold, e.g. log bins 1e-2…1e4.
    public static func voxelSpectrum(_ batch: ShowerBatch, binning: Binning,
                                     thresholdMeV: Double = HighLevelFeatures.defaultThresholdMeV) -> Histogram {
        var h = Histogram(binning: binning)
        let t = Float(thresholdMeV), c = Float(HighLevelFeatures.clampMeV)
        batch.voxels.withUnsafeBufferPointer { p in
            for v in p where v > 0 && v >= t { h.fill(Double(min(v, c))) }
        }
        return h
    }

    // MARK: - Helpers

    private static func mean(_ batch: ShowerBatch, rows: Range<Int>, thresholdMeV: Double) -> [Double] {
        mean(batch.voxels, rowIndices: Array(rows), thresholdMeV: thresholdMeV)
    }

    private static func mean(_ voxels: Matrix, rowIndices: [Int], thresholdMeV: Double) -> [Double] {
        let n = voxels.cols
        var sum = [Double](repeating: 0, count: n)
        guard !rowIndices.isEmpty else { return sum }
        let t = Float(thresholdMeV), c = Float(HighLevelFeatures.clampMeV)
        voxels.withUnsafeBufferPointer { p in
            for r in rowIndices {
                let row = p.baseAddress! + r * n
                for j in 0..<n {
                    let v = row[j]
                    if v > 0 && v >= t { sum[j] += Double(min(v, c)) }
                }
            }
        }
        let inv = 1 / Double(rowIndices.count)
        return sum.map { $0 * inv }
    }
}
