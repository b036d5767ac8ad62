import Glibc
import CaloTensor
import CaloData

/// Options of the DNN-low input (CaloFlow classifier flags `--threshold`, `--normalize`, `--use_logit`).
public struct LowLevelInputOptions: Sendable, Equatable, Codable {
    /// Set voxels below 1e-7 × 100 GeV (= 0.01 MeV) to 0 before anything else.
    public var threshold: Bool
    /// Divide each voxel by its layer energy (+1e-16): the papers' "normalized" variant.
    public var normalize: Bool
    /// Map voxels v → logit(α + (1 − 2α) v) / 10 with α = 1e-6.
    public var useLogit: Bool

    public init(threshold: Bool = false, normalize: Bool = false, useLogit: Bool = false) {
        self.threshold = threshold
        self.normalize = normalize
        self.useLogit = useLogit
    }
}

/// Input matrices of the CaloFlow DNN classifiers (method §6.1).
public enum ClassifierInputs {
    /// Width of the DNN-low input for CaloGAN showers: the 504 voxels, log E_inc and one log
    /// energy per layer (508).
    public static let lowLevelWidth = lowLevelWidth(.calogan)
    /// Width of the DNN-high input for CaloGAN showers.
    public static let highLevelWidth = 41

    /// Width of the DNN-low input for showers of `geometry`: D voxels + 1 + L layers.
    public static func lowLevelWidth(_ geometry: CalorimeterGeometry) -> Int { geometry.voxelCount + 1 + geometry.layerCount }

    // MARK: - DNN-low

    /// DNN-low inputs [N, D + 1 + L] for showers of D voxels in L layers (CaloGAN: [N, 508]):
    /// the voxels in units of 100 GeV (MeV / 1e5), then log10(10 · E_inc / 100 GeV), then
    /// log10(E_l / 100 GeV + 1e-8) + 2 for every layer l in voxel order. Layer energies are summed
    /// (in Double) after the optional threshold and before the optional normalization; the logit,
    /// if asked for, applies to the (normalized) voxels. The same recipe for every geometry (the
    /// CaloFlow classifier's), so numbers of different geometries mean the same thing.
    /// Throws if an incident energy is not a positive finite number.
    public static func lowLevel(_ batch: ShowerBatch, options: LowLevelInputOptions = LowLevelInputOptions()) throws -> Matrix {
        try checkIncident(batch.incidentEnergy.map { Double($0) })
        let g = batch.geometry
        let n = batch.count, nv = g.voxelCount, w = lowLevelWidth(g), ranges = g.layerRanges
        var out = Matrix(rows: n, cols: w)
        let einc = batch.incidentEnergy
        guard n > 0 else { return out }
        batch.voxels.withUnsafeBufferPointer { vox in
            out.withUnsafeMutableBufferPointer { dst in
                let s = UnsafeSendable(vox.baseAddress!), d = UnsafeSendable(dst.baseAddress!)
                Parallel.forEachChunk(n, minChunk: 2048) { range in
                    for r in range {
                        lowLevelRow(s.value + r * nv, layers: ranges, incidentGeV: Double(einc[r]), options: options,
                                    into: d.value + r * w)
                    }
                }
            }
        }
        return out
    }

    private static func lowLevelRow(_ v: UnsafePointer<Float>, layers: [Range<Int>], incidentGeV: Double,
                                    options: LowLevelInputOptions, into o: UnsafeMutablePointer<Float>) {
        let cut = 1e-7, alpha = 1e-6
        let nv = layers.last!.upperBound
        o[nv] = Float(Glibc.log10(10 * incidentGeV / 100))
        for (l, r) in layers.enumerated() {
            var e = 0.0
            if options.threshold {
                for j in r {
                    let x = Double(v[j]) * 1e-5
                    let kept = x < cut ? 0 : x
                    o[j] = Float(kept)
                    e += kept
                }
            } else {
                for j in r {
                    let x = Double(v[j]) * 1e-5
                    o[j] = Float(x)
                    e += x
                }
            }
            if options.normalize || options.useLogit {
                let inv = 1 / (e + 1e-16)
                for j in r {
                    var x = Double(o[j])
                    if options.normalize { x *= inv }
                    if options.useLogit {
                        let u = alpha + (1 - 2 * alpha) * x
                        x = Glibc.log(u / (1 - u)) / 10
                    }
                    o[j] = Float(x)
                }
            }
            o[nv + 1 + l] = Float(Glibc.log10(e + 1e-8) + 2)
        }
    }

    private static func checkIncident(_ e: [Double]) throws {
        if let k = e.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw EvaluationError("classifier inputs: incident energy of shower \(k) is \(e[k]) GeV, must be positive")
        }
    }

    // MARK: - DNN-high

    /// DNN-high inputs [N, 41] from high-level features (thresholded as they were computed):
    /// log10 of E_0, E_1, E_2 (GeV, +1e-8), E_tot (GeV; floored at 1e-8 so an empty shower stays
    /// finite), f_0, f_1, f_2 (+1e-8), l_d (MeV, +1e-8), σ_φ,0..2 (mm, +1e-8); then s_d, σ_sd,
    /// 10 × (1st…5th brightest fraction) per layer (layer-major, 15), E_ratio ×3, sparsity ×3,
    /// ⟨φ⟩_i / 100 ×3, ⟨η⟩_i / 100 ×3 (mm), and log10(10 · E_inc / 100 GeV).
    /// Throws if an incident energy is not a positive finite number.
    public static func highLevel(_ f: HighLevelFeatures) throws -> Matrix {
        try checkIncident(f.incidentEnergy)
        typealias S = FeatureSlot
        var cols = [(slot: Int, map: (Double) -> Double)]()
        let lg: (Double) -> Double = { Glibc.log10($0 + 1e-8) }
        for l in 0..<3 { cols.append((S.layerEnergy + l, lg)) }
        cols.append((S.totalEnergy, { Glibc.log10(max($0, 1e-8)) }))
        for l in 0..<3 { cols.append((S.fraction + l, lg)) }
        cols.append((S.lateralDepth, lg))
        for l in 0..<3 { cols.append((S.phiWidth + l, lg)) }
        cols.append((S.showerDepth, { $0 }))
        cols.append((S.showerDepthWidth, { $0 }))
        for k in 0..<15 { cols.append((S.brightest + k, { 10 * $0 })) }
        for l in 0..<3 { cols.append((S.energyRatio + l, { $0 })) }
        for l in 0..<3 { cols.append((S.sparsity + l, { $0 })) }
        for l in 0..<3 { cols.append((S.phiCentroid + l, { $0 / 100 })) }
        for l in 0..<3 { cols.append((S.etaCentroid + l, { $0 / 100 })) }
        precondition(cols.count == highLevelWidth - 1)

        let n = f.count, w = highLevelWidth
        var out = Matrix(rows: n, cols: w)
        out.withUnsafeMutableBufferPointer { o in
            for (c, col) in cols.enumerated() {
                let values = f.values(col.slot)
                for r in 0..<n { o[r * w + c] = Float(col.map(values[r])) }
            }
            for r in 0..<n { o[r * w + w - 1] = Float(Glibc.log10(10 * f.incidentEnergy[r] / 100)) }
        }
        return out
    }

    /// DNN-high inputs for showers of a CaloChallenge geometry: the challenge's own high-level
    /// classifier input (`ChallengeHighLevelFeatures.challengeInputs()`: log10 E_inc, log10 of
    /// every layer energy, centres and widths in η and φ / 100 mm of the layers binned in alpha),
    /// [N, 1 + L + 4T]. Throws if an incident energy is not a positive finite number.
    public static func highLevel(_ f: ChallengeHighLevelFeatures) throws -> Matrix {
        try checkIncident(f.incidentEnergy)
        let features = try f.challengeInputs()
        var out = Matrix(rows: features.rows, cols: features.cols)
        out.withUnsafeMutableBufferPointer { o in
            for k in 0..<o.count { o[k] = Float(features.values[k]) }
        }
        return out
    }

    /// Column names of `highLevel`, [41].
    public static let highLevelNames: [String] = {
        var s = (0..<3).map { "log10_E_\($0)" } + ["log10_E_tot"] + (0..<3).map { "log10_f_\($0)" }
        s += ["log10_lateral_depth"] + (0..<3).map { "log10_phi_width_\($0)" } + ["shower_depth", "shower_depth_width"]
        for l in 0..<3 { for n in 1...5 { s.append("10x_brightest_\(n)_layer_\(l)") } }
        s += (0..<3).map { "E_ratio_\($0)" } + (0..<3).map { "sparsity_\($0)" }
        s += (0..<3).map { "phi_centroid_\($0)/100" } + (0..<3).map { "eta_centroid_\($0)/100" }
        return s + ["log10_10E_inc"]
    }()
}
