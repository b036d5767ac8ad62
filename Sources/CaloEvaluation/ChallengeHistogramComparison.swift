import CaloData

/// One high-level feature histogrammed for a reference and a generated sample on the
/// CaloChallenge's bins, with the separation power (triangular discrimination,
/// `Histogram.separationPower`) that its evaluate.py (`hist-chi` mode) reports.
///
/// The challenge's bins (evaluate.py `plot_*`):
/// - `E_tot_over_E_inc`: 100 equal bins on [0.5, 1.5];
/// - `E_layer_<id>` (MeV): 20 equal bins between the reference's smallest and largest value
///   (numpy's automatic range, [v − 0.5, v + 0.5] when all are v);
/// - `centre_eta_layer_<id>`, `centre_phi_layer_<id>` (mm): 100 equal bins on [−c, c], c = 30 mm
///   for datasets 2 and 3, 500 mm for dataset 1's layers 12 and 13, 100 mm otherwise;
/// - `width_eta_layer_<id>`, `width_phi_layer_<id>` (mm): 100 equal bins on [0, w], w = 30 mm for
///   datasets 2 and 3, 400 mm for dataset 1's layers 12 and 13, 100 mm otherwise;
/// centres and widths for the layers binned in alpha only (`transverseLayers`), as the challenge.
///
/// caloflow adds (`isChallengeHistogram == false`): `sparsity_layer_<id>`, one bin per possible
/// fraction k/n for layers of up to 50 voxels (else 50 equal bins on [0, 1]), and
/// `centre_r_layer_<id>`, `width_r_layer_<id>` (mm), 100 equal bins on [0, outer radius]. On the
/// CaloGAN grid the centre and width ranges are ±120 mm and 0–100 mm (caloflow's CaloGAN ranges).
///
/// Values outside the bins do not enter the normalisation (numpy's `density=True`).
public struct ChallengeHistogramComparison: Sendable, Equatable {
    /// Identifier, e.g. "centre_eta_layer_12" (detector layer id).
    public let name: String
    /// Unit of the values: "MeV", "mm" or "".
    public let unit: String
    /// Whether the CaloChallenge's evaluate.py reports this histogram (false: caloflow's addition).
    public let isChallengeHistogram: Bool
    public let reference: Histogram
    public let generated: Histogram
    /// Separation power, nil when either sample has no value inside the bins.
    public let separationPower: Double?
    /// Means of the finite values of each sample (in range or not), NaN when there is none.
    public let referenceMean: Double
    public let generatedMean: Double

    /// Every histogram of the two feature sets, in the order above (challenge histograms first).
    /// Throws if the geometries have different voxels or the thresholds differ.
    public static func compareAll(reference: ChallengeHighLevelFeatures,
                                  generated: ChallengeHighLevelFeatures) throws -> [ChallengeHistogramComparison] {
        guard reference.geometry.hasSameVoxels(as: generated.geometry) else {
            throw EvaluationError("histograms: reference showers are \(reference.geometry.name), generated \(generated.geometry.name)")
        }
        guard reference.thresholdMeV == generated.thresholdMeV else {
            throw EvaluationError("histograms: reference threshold \(reference.thresholdMeV) MeV differs from generated \(generated.thresholdMeV) MeV")
        }
        let g = reference.geometry
        let fine = g.name == "ds2" || g.name == "ds3"
        var out = [ChallengeHistogramComparison]()
        func add(_ name: String, _ unit: String, _ challenge: Bool, _ bins: Binning, _ r: [Double], _ q: [Double]) {
            let hr = Histogram(r, binning: bins), hg = Histogram(q, binning: bins)
            out.append(ChallengeHistogramComparison(name: name, unit: unit, isChallengeHistogram: challenge, reference: hr,
                                                    generated: hg, separationPower: try? Histogram.separationPower(hr, hg),
                                                    referenceMean: finiteMean(r), generatedMean: finiteMean(q)))
        }
        add("E_tot_over_E_inc", "", true, Binning(unchecked: .linear, 0.5, 1.5, 100),
            reference.totalOverIncident, generated.totalOverIncident)
        for (l, layer) in g.layers.enumerated() {
            add("E_layer_\(layer.id)", "MeV", true, referenceRange(reference.layerEnergy[l], count: 20),
                reference.layerEnergy[l], generated.layerEnergy[l])
        }
        func limits(_ l: Int) -> (centre: Double, width: Double) {
            if fine { return (30, 30) }
            if g.layers[l].grid != nil { return (120, 100) }
            return [12, 13].contains(g.layers[l].id) ? (500, 400) : (100, 100)
        }
        let blocks: [(String, KeyPath<ChallengeHighLevelFeatures, [[Double]]>, Bool)] = [
            ("centre_eta", \.centreEta, true), ("centre_phi", \.centrePhi, true),
            ("width_eta", \.widthEta, false), ("width_phi", \.widthPhi, false),
        ]
        for (prefix, path, isCentre) in blocks {
            for l in reference.transverseLayers {
                let lim = limits(l)
                let bins = isCentre ? Binning(unchecked: .linear, -lim.centre, lim.centre, 100) : Binning(unchecked: .linear, 0, lim.width, 100)
                add("\(prefix)_layer_\(g.layers[l].id)", "mm", true, bins, reference[keyPath: path][l], generated[keyPath: path][l])
            }
        }
        for (l, layer) in g.layers.enumerated() {
            let n = layer.voxelCount
            let bins = n <= 50 ? Binning(unchecked: .linear, -0.5 / Double(n), 1 + 0.5 / Double(n), n + 1)
                               : Binning(unchecked: .linear, 0, 1, 50)
            add("sparsity_layer_\(layer.id)", "", false, bins, reference.sparsity[l], generated.sparsity[l])
        }
        for (l, layer) in g.layers.enumerated() {
            let outer: Double
            switch layer.segmentation {
            case .polar(let p): outer = p.outerRadius
            case .grid(let grid): outer = (grid.halfWidthX * grid.halfWidthX + grid.halfWidthY * grid.halfWidthY).squareRoot()
            }
            let bins = Binning(unchecked: .linear, 0, outer, 100)
            add("centre_r_layer_\(layer.id)", "mm", false, bins, reference.centreR[l], generated.centreR[l])
            add("width_r_layer_\(layer.id)", "mm", false, bins, reference.widthR[l], generated.widthR[l])
        }
        return out
    }

    /// Mean of the finite values, NaN when there is none.
    static func finiteMean(_ values: [Double]) -> Double {
        var s = 0.0, n = 0
        for v in values where v.isFinite { s += v; n += 1 }
        return n > 0 ? s / Double(n) : .nan
    }

    /// `count` equal bins from the smallest to the largest finite value (numpy's automatic
    /// range); [v − 0.5, v + 0.5] when all values are v or there is none.
    static func referenceRange(_ values: [Double], count: Int) -> Binning {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return Binning(unchecked: .linear, -0.5, 0.5, count) }
        return hi > lo ? Binning(unchecked: .linear, lo, hi, count) : Binning(unchecked: .linear, lo - 0.5, hi + 0.5, count)
    }
}
