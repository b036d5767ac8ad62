import CaloData
import CaloTensor

/// iCaloFlow's layer-by-layer decomposition (Buckley, Krause, Pang & Shih, arXiv:2305.11934;
/// ../shared/reference/calochallenge.md) for geometries too fine for one Flow II over all voxels
/// (CaloChallenge datasets 2 and 3: 45 layers of 144 or 900 voxels).
///
/// Flow I stays as in CaloFlow (the L layer energies given E_inc). The voxels come from one
/// shared *layer flow*: the normalized pattern of layer n (V logits, preprocessed as Flow II's)
/// given the context
///
///     [log10(E_inc / 10 GeV), e(E_n), e(E_{n-1}), x_{n-1} / 14 (V values), one-hot(n) (L values)]
///
/// (C = 3 + V + L values; e(E) = log10(E[100 GeV] + 1e-8) + 2 as for Flow II; x_{n-1} the
/// previous layer's logits scaled to about [-1, 1]). Generation runs it L times in a row, each
/// step a batched pass over all showers. iCaloFlow's Flow 2 (the first layer, given E_0 and
/// E_inc) is the n = 0 case of the same network: its one-hot position is its own, and its
/// "previous layer" is empty (e(0) and zero logits), so the product over n = 0 ..< L is the
/// iCaloFlow factorisation p(I_0 | E_0, E_inc) prod_n p(I_n | I_{n-1}, E_n, E_{n-1}, E_inc) with
/// the two networks' weights shared. The teacher is a MAF and the student an IAF distilled from
/// it, as for Flow II.
///
/// A geometry uses layer flows when it has more voxels than one Flow II is built for
/// (`TrainingData.maximumVoxels`) and every layer has the same number of voxels.
public struct LayerFlowLayout: Sendable, Equatable {
    /// Layers L (45 for datasets 2 and 3).
    public let layers: Int
    /// Voxels per layer V (dataset 2: 144 = 16 angles x 9 radii; dataset 3: 900 = 50 x 18).
    public let voxelsPerLayer: Int

    /// Scale of the previous layer's logits in the context (the logit range is +-13.8).
    public static let previousLayerScale: Float = 1 / 14

    /// The layout of `geometry`, or nil when its showers are modelled by one Flow II.
    public init?(_ geometry: CalorimeterGeometry) {
        guard geometry.voxelCount > TrainingData.maximumVoxels, geometry.layerCount >= 2,
              let v = geometry.layerSizes.first, v > 0, geometry.layerSizes.allSatisfy({ $0 == v }) else { return nil }
        layers = geometry.layerCount
        voxelsPerLayer = v
    }

    /// Whether `geometry`'s showers are modelled layer by layer.
    public static func uses(_ geometry: CalorimeterGeometry) -> Bool { LayerFlowLayout(geometry) != nil }

    /// Layer-flow features: V.
    public var features: Int { voxelsPerLayer }
    /// Layer-flow context width: 3 + V + L.
    public var contextFeatures: Int { 3 + voxelsPerLayer + layers }
    /// Offset of the previous layer's logits in the context.
    static let previousOffset = 3
    /// Offset of the one-hot layer index in the context.
    var oneHotOffset: Int { 3 + voxelsPerLayer }

    /// Training examples of the given showers: example `s * L + n` is layer n of shower s.
    public func examples(ofShowers showers: [Int]) -> [Int] {
        var out = [Int]()
        out.reserveCapacity(showers.count * layers)
        for s in showers { for n in 0..<layers { out.append(s * layers + n) } }
        return out
    }

    /// The shower (file row) and layer of an example.
    @inlinable public func decompose(_ example: Int) -> (shower: Int, layer: Int) {
        (example / layers, example % layers)
    }

    /// Writes the context of layer `n` into `c` (`contextFeatures` values).
    /// - Parameters:
    ///   - incidentGeV: E_inc, GeV.
    ///   - energyMeV: E_n, MeV; `previousEnergyMeV`: E_{n-1} (ignored for n = 0), MeV.
    ///   - previous: the V logits of layer n - 1 (nil for n = 0).
    @inlinable
    public func writeContext(layer n: Int, incidentGeV: Float, energyMeV: Double, previousEnergyMeV: Double,
                             previous: UnsafePointer<Float>?, into c: UnsafeMutablePointer<Float>) {
        c[0] = Float(Preprocessing.flowIContext(incidentGeV: Double(incidentGeV)))
        c[1] = Float(Preprocessing.layerEnergyContext(mev: energyMeV))
        c[2] = Float(Preprocessing.layerEnergyContext(mev: n > 0 ? previousEnergyMeV : 0))
        let v = voxelsPerLayer
        if n > 0, let previous {
            for j in 0..<v { c[3 + j] = previous[j] * Self.previousLayerScale }
        } else {
            for j in 0..<v { c[3 + j] = 0 }
        }
        for l in 0..<layers { c[3 + v + l] = l == n ? 1 : 0 }
    }

    /// The contexts [m, C] of layer `n` for m showers, from E_inc (GeV), the layer energies (MeV)
    /// [m][L] and, for n > 0, the previous layer's logits `previous` [m, V].
    public func contexts(layer n: Int, incidentGeV: [Float], layerEnergiesMeV e: [[Double]], previous: Matrix?) -> Matrix {
        let m = incidentGeV.count, width = contextFeatures, v = voxelsPerLayer
        precondition(n == 0 || (previous?.rows == m && previous?.cols == v), "layer \(n) needs the previous layer's logits [\(m), \(v)]")
        var c = Matrix(rows: m, cols: width)
        c.withUnsafeMutableBufferPointer { cp in
            func fill(_ p: UnsafePointer<Float>?) {
                for r in 0..<m {
                    writeContext(layer: n, incidentGeV: incidentGeV[r], energyMeV: e[r][n], previousEnergyMeV: n > 0 ? e[r][n - 1] : 0,
                                 previous: p.map { $0 + r * v }, into: cp.baseAddress! + r * width)
                }
            }
            if n > 0, let previous { previous.withUnsafeBufferPointer { fill($0.baseAddress!) } } else { fill(nil) }
        }
        return c
    }

    /// The voxel columns of layer `n` in a shower matrix [m, D] (layers are contiguous, V each).
    public func columns(ofLayer n: Int) -> Range<Int> { n * voxelsPerLayer..<(n + 1) * voxelsPerLayer }
}
