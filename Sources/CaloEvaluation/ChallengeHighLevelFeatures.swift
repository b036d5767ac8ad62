import Glibc
import CaloTensor
import CaloData

/// The CaloChallenge's high-level shower features (its `HighLevelFeatures.py`) for any
/// `CalorimeterGeometry`, as a struct of arrays: one value per shower and layer.
///
/// Voxels (MeV) count when they are finite and at least `thresholdMeV` (compared in Float, as
/// the stored energies are Float); others count as 0. Per shower and layer l (index into
/// `geometry.layers`), with e the kept voxel energies and E_l = Σe:
/// - `layerEnergy` E_l (MeV); `totalEnergy` Σ_l E_l (MeV); `totalOverIncident` E_tot / E_inc;
/// - `centreEta`, `centrePhi` (mm): Σ e·η / (E_l + 1e-16), Σ e·φ / (E_l + 1e-16), the challenge's
///   centres of energy, where a voxel's (η, φ) is its cell centre in the layer plane:
///   η = r cos α, φ = r sin α at the bin's middle radius and middle angle for a polar layer
///   (the challenge's convention; `CalorimeterGeometry.PolarBinning.centre`), and for a CaloGAN
///   grid the cell centre along the second array axis (η) and the first (φ), as caloflow's
///   CaloGAN features name them;
/// - `widthEta`, `widthPhi` (mm): sqrt(max(0, Σ e·η² / (E_l + 1e-16) − centre²));
/// - `centreR`, `widthR` (mm): the same moments of the voxel's middle radius (for a grid, the
///   distance of the cell centre from the axis);
/// - `sparsity`: the fraction of the layer's voxels that are kept (energy ≥ threshold).
///
/// The challenge computes centres and widths only for the layers binned in alpha (more than
/// one angular bin): on a layer with one angular bin every cell centre lies on the φ = 0 ray.
/// `transverseLayers` lists those layers (all layers of a grid); the other layers' η/φ centres
/// and widths are still computed here but are not part of `challengeInputs()`.
public struct ChallengeHighLevelFeatures: Sendable {
    /// The geometry of the showers.
    public let geometry: CalorimeterGeometry
    /// Number of showers N.
    public let count: Int
    /// Voxel threshold applied, MeV.
    public let thresholdMeV: Double
    /// Incident energies, MeV, [N].
    public let incidentEnergy: [Double]
    /// Σ of the layer energies, MeV, [N].
    public let totalEnergy: [Double]
    /// [L][N] per layer index: energy (MeV), centres and widths (mm), sparsity.
    public let layerEnergy: [[Double]]
    public let centreEta: [[Double]]
    public let centrePhi: [[Double]]
    public let widthEta: [[Double]]
    public let widthPhi: [[Double]]
    public let centreR: [[Double]]
    public let widthR: [[Double]]
    public let sparsity: [[Double]]
    /// Layer indices with transverse structure: polar layers with more than one alpha bin, and
    /// every grid layer (the challenge's `layersBinnedInAlpha`).
    public let transverseLayers: [Int]

    /// E_tot / E_inc per shower (NaN where E_inc ≤ 0), [N].
    public var totalOverIncident: [Double] { zip(totalEnergy, incidentEnergy).map { $1 > 0 ? $0 / $1 : .nan } }

    /// Computes every feature in one parallel pass over the showers.
    /// Throws if the threshold is negative or not finite.
    public init(_ batch: ShowerBatch, thresholdMeV: Double) throws {
        guard thresholdMeV >= 0, thresholdMeV.isFinite else {
            throw EvaluationError("ChallengeHighLevelFeatures: threshold must be a finite value >= 0 MeV, got \(thresholdMeV)")
        }
        let g = batch.geometry, n = batch.count, layers = g.layerCount
        let centres = g.cellCentres()
        var eta = [Double](), phi = [Double](), radius = [Double]()
        for layer in g.layers {
            for v in layer.voxelRange {
                let c = centres[v]
                let isGrid = layer.grid != nil
                eta.append(isGrid ? c.y : c.x)
                phi.append(isGrid ? c.x : c.y)
                radius.append(c.r)
            }
        }
        let quantities = 8 // E, cη, cφ, wη, wφ, cr, wr, sparsity
        var flat = [Double](repeating: 0, count: quantities * layers * n)
        let ranges = g.layerRanges, d = g.voxelCount
        let keep = max(Float(thresholdMeV), Float.leastNonzeroMagnitude)
        if n > 0 {
            batch.voxels.withUnsafeBufferPointer { vox in
                flat.withUnsafeMutableBufferPointer { out in
                    eta.withUnsafeBufferPointer { pe in phi.withUnsafeBufferPointer { pp in radius.withUnsafeBufferPointer { pr in
                        let src = UnsafeSendable(vox.baseAddress!), dst = UnsafeSendable(out.baseAddress!)
                        let ce = UnsafeSendable(pe.baseAddress!), cp = UnsafeSendable(pp.baseAddress!), cr = UnsafeSendable(pr.baseAddress!)
                        Parallel.forEachChunk(n, minChunk: max(1, 65_536 / max(1, d))) { chunk in
                            for i in chunk {
                                let row = src.value + i * d
                                for (l, range) in ranges.enumerated() {
                                    var e = 0.0, se = 0.0, see = 0.0, sp = 0.0, spp = 0.0, sr = 0.0, srr = 0.0
                                    var hits = 0
                                    for v in range {
                                        let xf = row[v]
                                        guard xf >= keep, xf.isFinite else { continue }
                                        let x = Double(xf), a = ce.value[v], b = cp.value[v], r = cr.value[v]
                                        e += x; se += x * a; see += x * a * a; sp += x * b; spp += x * b * b
                                        sr += x * r; srr += x * r * r
                                        hits += 1
                                    }
                                    let inv = 1 / (e + 1e-16)
                                    let me = se * inv, mp = sp * inv, mr = sr * inv
                                    @inline(__always) func put(_ q: Int, _ value: Double) { dst.value[(q * layers + l) * n + i] = value }
                                    put(0, e); put(1, me); put(2, mp)
                                    put(3, max(0, see * inv - me * me).squareRoot()); put(4, max(0, spp * inv - mp * mp).squareRoot())
                                    put(5, mr); put(6, max(0, srr * inv - mr * mr).squareRoot())
                                    put(7, Double(hits) / Double(range.count))
                                }
                            }
                        }
                    } } }
                }
            }
        }
        func quantity(_ q: Int) -> [[Double]] { (0..<layers).map { l in Array(flat[((q * layers + l) * n)..<((q * layers + l + 1) * n)]) } }
        let energies = quantity(0)
        layerEnergy = energies
        centreEta = quantity(1); centrePhi = quantity(2); widthEta = quantity(3); widthPhi = quantity(4)
        centreR = quantity(5); widthR = quantity(6); sparsity = quantity(7)
        totalEnergy = (0..<n).map { i in energies.reduce(0) { $0 + $1[i] } }
        incidentEnergy = batch.incidentEnergy.map { Double($0) * 1000 }
        geometry = g
        count = n
        self.thresholdMeV = thresholdMeV
        transverseLayers = g.layers.indices.filter { l in
            switch g.layers[l].segmentation {
            case .grid: return true
            case .polar(let p): return p.alphaBins > 1
            }
        }
    }

    /// The feature vectors the CaloChallenge gives its high-level classifier and FPD/KPD
    /// (evaluate.py `prepare_high_data_for_classifier`), [N, 1 + L + 4T] for L layers and T
    /// `transverseLayers`: log10(E_inc / MeV) ‖ log10(E_l / MeV + 1e-8) for every layer ‖
    /// centre η / 100 mm ‖ centre φ / 100 mm ‖ width η / 100 mm ‖ width φ / 100 mm, each block
    /// over the transverse layers in order. Dataset 1 photons: 1 + 5 + 4·2 = 14 features;
    /// datasets 2 and 3: 1 + 45 + 4·45 = 226.
    public func challengeInputs() throws -> FeatureMatrix {
        var columns = [incidentEnergy.map { log10($0) }]
        columns += layerEnergy.map { $0.map { log10($0 + 1e-8) } }
        for block in [centreEta, centrePhi, widthEta, widthPhi] {
            columns += transverseLayers.map { block[$0].map { $0 / 100 } }
        }
        return try FeatureMatrix(columns: columns)
    }

    /// Names of the `challengeInputs()` columns, e.g. "log10_E_inc", "log10_E_layer_12",
    /// "centre_eta_layer_1" (detector layer ids).
    public var challengeInputNames: [String] {
        let ids = geometry.layers.map(\.id)
        var names = ["log10_E_inc"] + ids.map { "log10_E_layer_\($0)" }
        for q in ["centre_eta", "centre_phi", "width_eta", "width_phi"] {
            names += transverseLayers.map { "\(q)_layer_\(ids[$0])" }
        }
        return names
    }
}
