import CaloTensor
import CaloData

/// The CaloFlow high-level shower observables (method §8) of a batch of showers, as a
/// struct of arrays: 51 named features of N values each, in a fixed order.
///
/// Voxels (MeV) are first clamped to [0, 1e5] MeV (NaN → 0), then voxels below `thresholdMeV`
/// are set to 0 (compared in Float, so a voxel stored as Float(t) survives threshold t).
/// Per layer i (E_i in MeV inside the sums, reported in GeV):
/// - `E_i` (GeV), `E_tot` = ΣE_i (GeV), `E_tot_over_E_inc` (NaN when E_inc <= 0),
///   `f_i` = E_i / E_tot (0 for an empty shower);
/// - `sparsity_i`: fraction of the layer's voxels with energy > 0 after the threshold;
/// - `E_ratio_i` = (E_(1) − E_(2)) / (E_(1) + E_(2) + 1e-16) of the two brightest voxels;
/// - `brightest_n_layer_i` = E_(n) / (E_i + 1e-16), n = 1...5;
/// - `eta_centroid_i`, `phi_centroid_i` (mm): Σ e·x / (E_i + 1e-8) with cell centres from 480 mm
///   split evenly (edges −240…240), η along the second array axis, φ along the first;
/// - `eta_width_i`, `phi_width_i` (mm): the energy-weighted standard deviation
///   sqrt(Σe x²/E_i − (Σe x/E_i)²), 0 for an empty layer. This uses E_i, not E_i + 1e-8, so a
///   single cell has width exactly 0 (the +1e-8 form adds x²·1e-8/E_i); rounding negatives → 0;
/// - `lateral_depth` l_d = E_1 + 2E_2 (MeV), `shower_depth` s_d = l_d / E_tot,
///   `shower_depth_width` σ_sd = sqrt((E_1 + 4E_2)/E_tot − s_d²) (both 0 for an empty shower),
///   `max_depth` d = deepest layer with energy (0 when all are empty);
/// - `eta_centroid_diff_i_j`, `phi_centroid_diff_i_j` = centroid_i − centroid_j for (0,1), (0,2),
///   (1,2) (the reverse direction is the mirror image).
public struct HighLevelFeatures: Sendable {
    /// Default voxel threshold: 0.01 MeV (CaloFlow's plotting and `--threshold` cut).
    public static let defaultThresholdMeV = 0.01
    /// Upper clamp of voxel energies before anything else: 1e5 MeV.
    public static let clampMeV = 1e5

    /// Number of showers N.
    public let count: Int
    /// Threshold applied, MeV.
    public let thresholdMeV: Double
    /// Incident energies, GeV, [N].
    public let incidentEnergy: [Double]
    /// All features, in catalogue order (see `featureNames`).
    public let features: [ShowerFeature]

    /// The feature identifiers in storage order.
    public static var featureNames: [String] { FeatureSlot.catalogue.map(\.name) }

    /// Computes all features in one parallel pass over the voxels.
    /// Throws if the threshold is negative or not finite, or the showers are not CaloGAN showers
    /// (these observables know only its grid; `ChallengeHighLevelFeatures` takes any geometry).
    public init(_ batch: ShowerBatch, thresholdMeV: Double = HighLevelFeatures.defaultThresholdMeV) throws {
        guard thresholdMeV >= 0, thresholdMeV.isFinite else {
            throw EvaluationError("HighLevelFeatures: threshold must be a finite value >= 0 MeV, got \(thresholdMeV)")
        }
        guard batch.geometry.hasSameVoxels(as: .calogan) else {
            throw EvaluationError("HighLevelFeatures: the CaloFlow observables need CaloGAN showers, got \(batch.geometry.name) (\(batch.geometry.voxelCount) voxels)")
        }
        let n = batch.count
        var flat = [Double](repeating: 0, count: FeatureSlot.count * n)
        let einc = batch.incidentEnergy.map { Double($0) }
        if n > 0 { batch.voxels.withUnsafeBufferPointer { vox in
            flat.withUnsafeMutableBufferPointer { out in
                let src = UnsafeSendable(vox.baseAddress!), dst = UnsafeSendable(out.baseAddress!)
                Parallel.forEachChunk(n, minChunk: 4096) { range in
                    let kernel = ShowerKernel(threshold: thresholdMeV)
                    for i in range {
                        kernel.compute(src.value + i * CaloGANGeometry.voxelCount, incidentGeV: einc[i],
                                       into: dst.value, shower: i, stride: n)
                    }
                }
            }
        } }
        var feats = [ShowerFeature]()
        feats.reserveCapacity(FeatureSlot.count)
        for (f, entry) in FeatureSlot.catalogue.enumerated() {
            feats.append(ShowerFeature(name: entry.name, label: entry.label, unit: entry.unit,
                                       binning: entry.binning, values: Array(flat[(f * n)..<((f + 1) * n)])))
        }
        count = n
        self.thresholdMeV = thresholdMeV
        incidentEnergy = einc
        features = feats
    }

    // MARK: - Access

    /// The feature called `name`, or nil.
    public subscript(name: String) -> ShowerFeature? {
        FeatureSlot.catalogue.firstIndex { $0.name == name }.map { features[$0] }
    }

    /// Values of storage slot `slot` (module-internal fast path for the classifier inputs).
    func values(_ slot: Int) -> [Double] { features[slot].values }

    /// Layer energies E_l in GeV, [N].
    public func layerEnergy(_ l: Int) -> [Double] { features[FeatureSlot.layerEnergy + l].values }
    /// Total deposited energy in GeV, [N].
    public var totalEnergy: [Double] { features[FeatureSlot.totalEnergy].values }
}

// MARK: - Per-shower kernel

/// Computes every feature of one shower from its 504 voxels without allocating.
struct ShowerKernel {
    /// Smallest kept voxel energy as Float: the threshold, or the smallest positive Float when
    /// the threshold is 0, so one comparison drops zeros, negatives, NaN and sub-threshold cells.
    /// Compared in Float as the reference code does on float32 arrays (Float(0.01) survives a
    /// 0.01 MeV threshold).
    let keepFrom: Float
    /// Cell centres in mm, flat: η of layers 0, 1, 2 (96 + 12 + 6) then φ (3 + 12 + 12).
    let centres: [Double]
    static let etaOffsets = prefixSums(CaloGANGeometry.ny, from: 0)
    static let phiOffsets = prefixSums(CaloGANGeometry.nx, from: CaloGANGeometry.ny.reduce(0, +))
    static let nx = CaloGANGeometry.nx, ny = CaloGANGeometry.ny, layerOffsets = CaloGANGeometry.layerOffsets

    /// start, start + a[0], start + a[0] + a[1], … (one value per element of `a`).
    private static func prefixSums(_ a: [Int], from start: Int) -> [Int] {
        var s = start
        return a.map { n in defer { s += n }; return s }
    }

    init(threshold: Double) {
        keepFrom = max(Float(threshold), Float.leastNonzeroMagnitude)
        func centres(_ cells: Int) -> [Double] {
            let w = 2 * CaloGANGeometry.halfWidth / Double(cells)
            return (0..<cells).map { -CaloGANGeometry.halfWidth + (Double($0) + 0.5) * w }
        }
        self.centres = CaloGANGeometry.ny.flatMap(centres) + CaloGANGeometry.nx.flatMap(centres)
    }

    /// Writes the 51 features of the shower at `v` into `out[slot * stride + shower]`.
    func compute(_ v: UnsafePointer<Float>, incidentGeV: Double,
                 into out: UnsafeMutablePointer<Double>, shower: Int, stride: Int) {
        centres.withUnsafeBufferPointer { c in
            compute(v, centres: c.baseAddress!, incidentGeV: incidentGeV, into: out, shower: shower, stride: stride)
        }
    }

    private func compute(_ v: UnsafePointer<Float>, centres: UnsafePointer<Double>, incidentGeV: Double,
                         into out: UnsafeMutablePointer<Double>, shower: Int, stride: Int) {
        @inline(__always) func put(_ slot: Int, _ x: Double) { out[slot * stride + shower] = x }
        let keep = keepFrom, clamp = Float(HighLevelFeatures.clampMeV)
        let keepBits = Int64(keep.bitPattern), clampBits = Int64(clamp.bitPattern)
        let infBits = Int64(Float.infinity.bitPattern)
        var layerE = (0.0, 0.0, 0.0), etaC = (0.0, 0.0, 0.0), phiC = (0.0, 0.0, 0.0)
        for l in 0..<3 {
            let nx = Self.nx[l], ny = Self.ny[l]
            let base = v + Self.layerOffsets[l]
            let eta = centres + Self.etaOffsets[l], phi = centres + Self.phiOffsets[l]
            var e = 0.0, se = 0.0, see = 0.0, sp = 0.0, spp = 0.0
            var hits = 0
            // Sums: branch-free, since which cells are hit is unpredictable.
            for ix in 0..<nx {
                var rowE = 0.0, rowEta = 0.0, rowEta2 = 0.0
                let row = base + ix * ny
                for iy in 0..<ny {
                    // Integer compares on the bit pattern (ordered like the values for floats
                    // >= 0): selects on Float compile to branches, which mispredict on sparse cells.
                    let b = Int64(Int32(bitPattern: row[iy].bitPattern))
                    let mask = ~(((b &- keepBits) | (infBits &- b)) >> 63) // all ones iff keepBits <= b <= +inf
                    let x = Double(Float(bitPattern: UInt32(truncatingIfNeeded: min(b, clampBits) & mask)))
                    hits &+= Int(mask & 1)
                    let y = eta[iy]
                    rowE += x; rowEta += x * y; rowEta2 += x * y * y
                }
                let p = phi[ix]
                e += rowE; se += rowEta; see += rowEta2
                sp += rowE * p; spp += rowE * p * p
            }
            // Five brightest cells, descending: after the first few cells a new entry is rare.
            var t1: Float = 0, t2: Float = 0, t3: Float = 0, t4: Float = 0, t5: Float = 0
            for k in 0..<(nx * ny) {
                let xf = base[k]
                guard xf > t5, xf >= keep else { continue }
                let x = min(xf, clamp)
                if x > t1 { (t1, t2, t3, t4, t5) = (x, t1, t2, t3, t4) }
                else if x > t2 { (t2, t3, t4, t5) = (x, t2, t3, t4) }
                else if x > t3 { (t3, t4, t5) = (x, t3, t4) }
                else if x > t4 { (t4, t5) = (x, t4) }
                else { t5 = x }
            }
            let ce = se / (e + 1e-8), cp = sp / (e + 1e-8)
            var we = 0.0, wp = 0.0
            if e > 0 {
                let me = se / e, mp = sp / e
                we = max(0, see / e - me * me).squareRoot()
                wp = max(0, spp / e - mp * mp).squareRoot()
            }
            put(FeatureSlot.layerEnergy + l, e / 1e3)
            put(FeatureSlot.sparsity + l, Double(hits) / Double(nx * ny))
            let b1 = Double(t1), b2 = Double(t2)
            put(FeatureSlot.energyRatio + l, (b1 - b2) / (b1 + b2 + 1e-16))
            let b = FeatureSlot.brightest + 5 * l, d = e + 1e-16
            put(b, b1 / d); put(b + 1, b2 / d); put(b + 2, Double(t3) / d); put(b + 3, Double(t4) / d); put(b + 4, Double(t5) / d)
            put(FeatureSlot.etaCentroid + l, ce)
            put(FeatureSlot.phiCentroid + l, cp)
            put(FeatureSlot.etaWidth + l, we)
            put(FeatureSlot.phiWidth + l, wp)
            switch l {
            case 0: layerE.0 = e; etaC.0 = ce; phiC.0 = cp
            case 1: layerE.1 = e; etaC.1 = ce; phiC.1 = cp
            default: layerE.2 = e; etaC.2 = ce; phiC.2 = cp
            }
        }
        let tot = layerE.0 + layerE.1 + layerE.2
        put(FeatureSlot.totalEnergy, tot / 1e3)
        put(FeatureSlot.totalOverIncident, incidentGeV > 0 ? tot / 1e3 / incidentGeV : .nan)
        let inv = tot > 0 ? 1 / tot : 0
        put(FeatureSlot.fraction, layerE.0 * inv)
        put(FeatureSlot.fraction + 1, layerE.1 * inv)
        put(FeatureSlot.fraction + 2, layerE.2 * inv)
        let ld = layerE.1 + 2 * layerE.2
        let sd = ld * inv
        put(FeatureSlot.lateralDepth, ld)
        put(FeatureSlot.showerDepth, sd)
        put(FeatureSlot.showerDepthWidth, max(0, (layerE.1 + 4 * layerE.2) * inv - sd * sd).squareRoot())
        put(FeatureSlot.maxDepth, layerE.2 != 0 ? 2 : (layerE.1 != 0 ? 1 : 0))
        put(FeatureSlot.etaCentroidDiff, etaC.0 - etaC.1)
        put(FeatureSlot.etaCentroidDiff + 1, etaC.0 - etaC.2)
        put(FeatureSlot.etaCentroidDiff + 2, etaC.1 - etaC.2)
        put(FeatureSlot.phiCentroidDiff, phiC.0 - phiC.1)
        put(FeatureSlot.phiCentroidDiff + 1, phiC.0 - phiC.2)
        put(FeatureSlot.phiCentroidDiff + 2, phiC.1 - phiC.2)
    }
}
