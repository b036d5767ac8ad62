import Glibc
import CaloTensor
import CaloData

/// CaloFlow's preprocessing and its inverse (Krause & Shih, arXiv:2106.05285, section 2 of
/// ../shared/reference/caloflow-method.md), in one place so training and generation cannot drift.
///
/// Internal energy unit: 100 GeV (voxels and overflow: MeV / 1e5; incident energy: GeV / 1e2).
///
/// - Flow I inputs `t` [N, L] (L layers of the geometry; CaloGAN 3): u0 = E_tot/E_inc,
///   u_{i+1} = E_i/(E_i + ... + E_{L-1}) (CaloGAN: u1 = E0/E_tot, u2 = E1/(E1+E2)), each clamped
///   to [0, 1], then `logit(alpha + (1 - 2 alpha) u)`; context [N, 1] = log10(E_inc / 10 GeV).
/// - Flow II inputs `x` [N, D] (D voxels; CaloGAN 504): voxels divided by their layer energy
///   (+1e-16), same logit; context [N, 1 + L] = [log10(E_inc/10 GeV), log10(E_l[100 GeV] + 1e-8) + 2
///   for each layer l].
///
/// The arithmetic runs in Double and is stored as Float: the logit of values near alpha = 1e-6
/// needs more digits than Float keeps in intermediate steps.
public struct Preprocessing: Codable, Sendable, Equatable {
    /// Logit regularizer alpha (1e-6 in CaloFlow: logit range +-13.8155).
    public var alpha: Double = 1e-6
    /// Width of the uniform noise added to every voxel during training, in 100 GeV units
    /// (1e-8 = 1 keV): keeps empty voxels away from logit(-inf) and the zero-energy layer case.
    public var noiseLevel: Double = 1e-8
    /// Voxels below this energy (MeV) are set to zero when generated showers are written.
    public var thresholdMeV: Double = 0.01

    public init(alpha: Double = 1e-6, noiseLevel: Double = 1e-8, thresholdMeV: Double = 0.01) {
        self.alpha = alpha
        self.noiseLevel = noiseLevel
        self.thresholdMeV = thresholdMeV
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case alpha, noiseLevel, thresholdMeV }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? 1e-6
        noiseLevel = try c.decodeIfPresent(Double.self, forKey: .noiseLevel) ?? 1e-8
        thresholdMeV = try c.decodeIfPresent(Double.self, forKey: .thresholdMeV) ?? 0.01
        try require(alpha > 0 && alpha < 0.5, decoder, "alpha", "must be in (0, 0.5), got \(alpha)")
        try require(noiseLevel >= 0 && noiseLevel < 1e-3, decoder, "noiseLevel", "must be in [0, 1e-3) (units of 100 GeV), got \(noiseLevel)")
        try require(thresholdMeV >= 0 && thresholdMeV.isFinite, decoder, "thresholdMeV", "must be >= 0, got \(thresholdMeV)")
    }

    // MARK: - Units

    /// MeV to internal units (100 GeV).
    public static let mevToInternal = 1e-5

    // MARK: - Scalar maps

    /// `logit(alpha + (1 - 2 alpha) u)`.
    @inlinable public func logitTransform(_ u: Double) -> Double {
        let s = alpha + (1 - 2 * alpha) * u
        return log(s / (1 - s))
    }

    /// Inverse of `logitTransform` without clamping: `(sigmoid(t) - alpha) / (1 - 2 alpha)`.
    @inlinable public func inverseLogitTransform(_ t: Double) -> Double {
        let s = t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t))
        return (s - alpha) / (1 - 2 * alpha)
    }

    /// Flow I context: log10(E_inc / 10 GeV), with E_inc in GeV.
    @inlinable public static func flowIContext(incidentGeV e: Double) -> Double { log10(e / 10) }

    /// Flow II context entry of one layer energy (MeV): log10(E[100 GeV] + 1e-8) + 2.
    @inlinable public static func layerEnergyContext(mev e: Double) -> Double { log10(e * mevToInternal + 1e-8) + 2 }

    // MARK: - Noise

    /// Adds U[0, noiseLevel) (internal units) to every voxel of `voxels` (MeV), in place. Each row
    /// draws from its own stream of `rng` so the result does not depend on the batch split.
    public func addNoise(toVoxelsMeV voxels: inout Matrix, rng: inout Xoshiro256) {
        let scale = Float(noiseLevel / Preprocessing.mevToInternal)
        voxels.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] += scale * rng.uniformFloat() }
        }
    }

    // MARK: - Forward (training direction)

    /// Layer energies (MeV) [N, L] of a voxel matrix [N, D] (MeV) of `geometry`, summed in Double.
    public static func layerEnergies(voxelsMeV v: Matrix, geometry: CalorimeterGeometry = .calogan) -> [[Double]] {
        let c = v.cols
        precondition(c == geometry.voxelCount, "voxel matrix of \(c) columns for the geometry \(geometry.name) (\(geometry.voxelCount) voxels)")
        let ranges = geometry.layerRanges
        return v.withUnsafeBufferPointer { p in
            (0..<v.rows).map { r in
                ranges.map { range in
                    var s = 0.0
                    for j in range { s += Double(p[r * c + j]) }
                    return s
                }
            }
        }
    }

    /// Flow I inputs: `t` [N, L] and context [N, 1], from layer energies (MeV) [N][L] and E_inc (GeV).
    ///
    /// For L layers: u0 = E_tot/E_inc and u_{i+1} = E_i / (E_i + ... + E_{L-1}) for i < L - 1
    /// (0 when the remaining energy is 0), each clamped to [0, 1], then the logit. For CaloGAN's
    /// three layers this is u1 = E0/E_tot, u2 = E1/(E1+E2) (the method reference, section 2.3);
    /// the CaloFlow dataset-1 paper (arXiv:2210.14245) uses the same recipe for 5 and 7 layers.
    public func flowIInputs(layerEnergiesMeV e: [[Double]], incidentGeV: [Float]) -> (t: Matrix, context: Matrix) {
        let n = e.count
        let layers = e.first?.count ?? 3
        var t = Matrix(rows: n, cols: layers), ctx = Matrix(rows: n, cols: 1)
        for r in 0..<n {
            let einc = Double(incidentGeV[r]) * 1e3 // MeV
            var suffix = [Double](repeating: 0, count: layers)
            for i in 0..<layers {
                // Summed left to right from layer i, as (E0 + E1) + E2 for CaloGAN's E_tot.
                var s = 0.0
                for j in i..<layers { s += e[r][j] }
                suffix[i] = s
            }
            let tot = suffix[0]
            t[r, 0] = Float(logitTransform(clamp01(tot / einc)))
            for i in 0..<(layers - 1) {
                let u = clamp01(suffix[i] > 0 ? e[r][i] / suffix[i] : 0)
                t[r, i + 1] = Float(logitTransform(u))
            }
            ctx[r, 0] = Float(Preprocessing.flowIContext(incidentGeV: Double(incidentGeV[r])))
        }
        return (t, ctx)
    }

    /// Flow II context [N, 1 + L] from E_inc (GeV) and layer energies (MeV) [N][L].
    public func flowIIContext(incidentGeV: [Float], layerEnergiesMeV e: [[Double]]) -> Matrix {
        let width = 1 + (e.first?.count ?? 3)
        var ctx = Matrix(rows: e.count, cols: width)
        ctx.withUnsafeMutableBufferPointer { c in
            for r in 0..<e.count {
                Preprocessing.flowIIContext(incidentGeV: incidentGeV[r], layerEnergiesMeV: e[r], into: c.baseAddress! + width * r)
            }
        }
        return ctx
    }

    /// One shower's Flow II context (1 + L values into `c`) from E_inc (GeV) and its L layer energies (MeV).
    @inlinable
    public static func flowIIContext(incidentGeV: Float, layerEnergiesMeV e: [Double], into c: UnsafeMutablePointer<Float>) {
        e.withUnsafeBufferPointer { flowIIContext(incidentGeV: incidentGeV, layerEnergiesMeV: $0.baseAddress!, layers: e.count, into: c) }
    }

    /// One shower's Flow II context (1 + L values into `c`) from E_inc (GeV) and its L layer energies (MeV) at `e`.
    @inlinable
    public static func flowIIContext(incidentGeV: Float, layerEnergiesMeV e: UnsafePointer<Double>, layers: Int,
                                     into c: UnsafeMutablePointer<Float>) {
        c[0] = Float(flowIContext(incidentGeV: Double(incidentGeV)))
        for l in 0..<layers { c[1 + l] = Float(layerEnergyContext(mev: e[l])) }
    }

    /// One CaloGAN shower's Flow II context (4 values into `c`) from E_inc (GeV) and its layer energies (MeV).
    @inlinable
    public static func flowIIContext(incidentGeV: Float, layerEnergiesMeV e: (Double, Double, Double),
                                     into c: UnsafeMutablePointer<Float>) {
        c[0] = Float(flowIContext(incidentGeV: Double(incidentGeV)))
        c[1] = Float(layerEnergyContext(mev: e.0))
        c[2] = Float(layerEnergyContext(mev: e.1))
        c[3] = Float(layerEnergyContext(mev: e.2))
    }

    /// Flow II inputs: normalized-voxel logits `x` [N, D] and context [N, 1 + L] from voxels (MeV,
    /// noise already added if wanted) of `geometry` and E_inc (GeV).
    public func flowIIInputs(voxelsMeV v: Matrix, incidentGeV: [Float],
                             geometry: CalorimeterGeometry = .calogan) -> (x: Matrix, context: Matrix, layerEnergiesMeV: [[Double]]) {
        let e = Preprocessing.layerEnergies(voxelsMeV: v, geometry: geometry)
        let ranges = geometry.layerRanges
        var x = Matrix(rows: v.rows, cols: v.cols)
        let c = v.cols
        v.withUnsafeBufferPointer { src in
            x.withUnsafeMutableBufferPointer { dst in
                for r in 0..<v.rows {
                    for (l, range) in ranges.enumerated() {
                        let norm = 1 / (e[r][l] * Preprocessing.mevToInternal + 1e-16)
                        for j in range {
                            let u = Double(src[r * c + j]) * Preprocessing.mevToInternal * norm
                            dst[r * c + j] = Float(logitTransform(u))
                        }
                    }
                }
            }
        }
        return (x, flowIIContext(incidentGeV: incidentGeV, layerEnergiesMeV: e), e)
    }

    // MARK: - Inverse (generation direction)

    /// Layer energies (MeV) [N][L] from Flow I samples `t` [N, L] and E_inc (GeV):
    /// u = clamp((sigmoid(t) - alpha)/(1 - 2 alpha)), E_tot = u0 E_inc, then layer by layer
    /// E_i = u_{i+1} R_i with R_0 = E_tot and R_{i+1} = R_i - E_i, the last layer max(0, R_{L-1})
    /// (CaloGAN: E0 = u1 E_tot, E1 = u2 (E_tot - E0), E2 = E_tot - E0 - E1).
    public func layerEnergies(fromFlowI t: Matrix, incidentGeV: [Float]) -> [[Double]] {
        if t.cols == 3 { // the CaloGAN form, kept as it was
            return (0..<t.rows).map { r in
                let e = layerEnergies(fromFlowI: t[r, 0], t[r, 1], t[r, 2], incidentGeV: incidentGeV[r])
                return [e.0, e.1, e.2]
            }
        }
        return t.withUnsafeBufferPointer { p in
            (0..<t.rows).map { r in
                layerEnergies(fromFlowI: p.baseAddress! + r * t.cols, layers: t.cols, incidentGeV: incidentGeV[r])
            }
        }
    }

    /// One shower's L layer energies (MeV) from its Flow I sample `t` (L values) and E_inc (GeV).
    public func layerEnergies(fromFlowI t: UnsafePointer<Float>, layers: Int, incidentGeV: Float) -> [Double] {
        var e = [Double](repeating: 0, count: layers)
        e.withUnsafeMutableBufferPointer { layerEnergies(fromFlowI: t, layers: layers, incidentGeV: incidentGeV, into: $0.baseAddress!) }
        return e
    }

    /// One shower's L layer energies (MeV, into `e`) from its Flow I sample `t` (L values) and E_inc (GeV).
    public func layerEnergies(fromFlowI t: UnsafePointer<Float>, layers: Int, incidentGeV: Float, into e: UnsafeMutablePointer<Double>) {
        var remaining = clamp01(inverseLogitTransform(Double(t[0]))) * Double(incidentGeV) * 1e3
        for i in 0..<(layers - 1) {
            e[i] = clamp01(inverseLogitTransform(Double(t[i + 1]))) * remaining
            remaining -= e[i]
        }
        e[layers - 1] = max(0, remaining)
    }

    /// One shower's layer energies (MeV) from its Flow I sample (t0, t1, t2) and E_inc (GeV).
    @inlinable
    public func layerEnergies(fromFlowI t0: Float, _ t1: Float, _ t2: Float, incidentGeV: Float) -> (Double, Double, Double) {
        let u0 = clamp01(inverseLogitTransform(Double(t0)))
        let u1 = clamp01(inverseLogitTransform(Double(t1)))
        let u2 = clamp01(inverseLogitTransform(Double(t2)))
        let tot = u0 * Double(incidentGeV) * 1e3
        let e0 = u1 * tot
        let e1 = u2 * (tot - e0)
        return (e0, e1, max(0, tot - e0 - e1))
    }

    /// The largest voxel energy (MeV) written for showers of `geometry`: 1e5 MeV (100 GeV) for
    /// CaloGAN, as CaloFlow's code clamps; none for other geometries (dataset 1 reaches 4 TeV):
    /// there a voxel never exceeds its layer energy anyway (|v| / sum|v| <= 1).
    public static func voxelCapMeV(_ geometry: CalorimeterGeometry) -> Double { geometry.isCaloGAN ? 1e5 : .greatestFiniteMagnitude }

    /// Voxel energies (MeV) [N, D] from Flow II samples `x` [N, D] and layer energies (MeV) [N][L]:
    /// v = (sigmoid(x) - alpha)/(1 - 2 alpha), each layer rescaled by E_l / sum|v| so it carries
    /// exactly the Flow I layer energy; then clamped to [0, cap] (`voxelCapMeV`) and zeroed below
    /// the threshold. The result is always finite and non-negative.
    public func voxels(fromFlowII x: Matrix, layerEnergiesMeV e: [[Double]], geometry: CalorimeterGeometry = .calogan) -> Matrix {
        var out = Matrix(rows: x.rows, cols: x.cols)
        let c = x.cols
        precondition(c == geometry.voxelCount, "Flow II sample of \(c) columns for the geometry \(geometry.name)")
        var v = [Double](repeating: 0, count: c)
        let caloGAN = geometry.isCaloGAN, ranges = geometry.layerRanges, cap = Preprocessing.voxelCapMeV(geometry)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                v.withUnsafeMutableBufferPointer { scratch in
                    for r in 0..<x.rows {
                        if caloGAN {
                            voxels(fromFlowII: src.baseAddress! + r * c, layerEnergiesMeV: (e[r][0], e[r][1], e[r][2]),
                                   into: dst.baseAddress! + r * c, scratch: scratch.baseAddress!)
                        } else {
                            voxels(fromFlowII: src.baseAddress! + r * c, layerEnergiesMeV: e[r], layerRanges: ranges, capMeV: cap,
                                   into: dst.baseAddress! + r * c, scratch: scratch.baseAddress!)
                        }
                    }
                }
            }
        }
        return out
    }

    /// One shower's voxel energies (D values into `out`, MeV) from its Flow II sample `x` (D
    /// values) and its layer energies (MeV), layer l at `layerRanges[l]`, as
    /// `voxels(fromFlowII:layerEnergiesMeV:geometry:)` computes them.
    /// - Parameter scratch: room for D Doubles.
    public func voxels(fromFlowII x: UnsafePointer<Float>, layerEnergiesMeV e: [Double], layerRanges: [Range<Int>], capMeV: Double,
                       into out: UnsafeMutablePointer<Float>, scratch v: UnsafeMutablePointer<Double>) {
        e.withUnsafeBufferPointer {
            voxels(fromFlowII: x, layerEnergiesMeV: $0.baseAddress!, layerRanges: layerRanges, capMeV: capMeV, into: out, scratch: v)
        }
    }

    /// As the other `voxels(fromFlowII:layerEnergiesMeV:layerRanges:...)`, with the layer energies at `e` (L values).
    public func voxels(fromFlowII x: UnsafePointer<Float>, layerEnergiesMeV e: UnsafePointer<Double>, layerRanges: [Range<Int>],
                       capMeV: Double, into out: UnsafeMutablePointer<Float>, scratch v: UnsafeMutablePointer<Double>) {
        for (l, range) in layerRanges.enumerated() {
            var norm = 0.0
            for j in range {
                v[j] = inverseLogitTransform(Double(x[j]))
                norm += abs(v[j])
            }
            let scale = norm > 0 && norm.isFinite ? e[l] / norm : 0
            for j in range {
                var mev = v[j] * scale
                if !(mev >= thresholdMeV) { mev = 0 } // also catches NaN
                out[j] = Float(min(mev, capMeV))
            }
        }
    }

    /// One CaloGAN shower's voxel energies (504 values into `out`, MeV) from its Flow II sample `x` (504
    /// values) and layer energies (MeV), as `voxels(fromFlowII:layerEnergiesMeV:geometry:)` computes them.
    /// - Parameter scratch: room for 504 Doubles.
    public func voxels(fromFlowII x: UnsafePointer<Float>, layerEnergiesMeV e: (Double, Double, Double),
                       into out: UnsafeMutablePointer<Float>, scratch v: UnsafeMutablePointer<Double>) {
        for j in 0..<CaloGANGeometry.voxelCount { v[j] = inverseLogitTransform(Double(x[j])) }
        for l in 0..<CaloGANGeometry.layerCount {
            let range = CaloGANGeometry.layerRange(l)
            let layerEnergy = l == 0 ? e.0 : (l == 1 ? e.1 : e.2)
            var norm = 0.0
            for j in range { norm += abs(v[j]) }
            let scale = norm > 0 && norm.isFinite ? layerEnergy / norm : 0
            for j in range {
                var mev = v[j] * scale
                if !(mev >= thresholdMeV) { mev = 0 } // also catches NaN
                out[j] = Float(min(mev, 1e5))
            }
        }
    }
}

@inline(__always) @usableFromInline func clamp01(_ u: Double) -> Double { u.isNaN ? 0 : min(1, max(0, u)) }
