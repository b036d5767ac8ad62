import CaloData
import CaloFlows
import CaloTensor

/// The CaloFlow flows built from an architecture (../shared/reference/caloflow-method.md
/// sections 3-5).
public enum CaloFlowModels {
    /// Flow I input features of the CaloGAN geometry (u-space logits of the layer energies) and
    /// context (log10 E_inc/10 GeV).
    public static let flowIFeatures = 3, flowIContext = 1
    /// Flow II features (normalized voxels) and context (E_inc and the three layer energies) of
    /// the CaloGAN geometry.
    public static let flowIIFeatures = CaloGANGeometry.voxelCount, flowIIContext = 1 + CaloGANGeometry.layerCount
    /// Voxel segments of the CaloGAN layers: Flow II permutations never move a voxel out of its layer.
    public static let layerSegments = CaloGANGeometry.layerRanges

    /// Flow I features for `geometry`: one u-space logit per layer (L).
    public static func flowIFeatures(_ geometry: CalorimeterGeometry) -> Int { geometry.layerCount }
    /// Flow II features for `geometry`: its voxels (D), or for a geometry modelled layer by
    /// layer (`LayerFlowLayout`) the voxels of one layer (V).
    public static func flowIIFeatures(_ geometry: CalorimeterGeometry) -> Int {
        LayerFlowLayout(geometry)?.features ?? geometry.voxelCount
    }
    /// Flow II context for `geometry`: E_inc and the L layer energies (1 + L), or for a geometry
    /// modelled layer by layer the layer flow's context (3 + V + L, `LayerFlowLayout`).
    public static func flowIIContext(_ geometry: CalorimeterGeometry) -> Int {
        LayerFlowLayout(geometry)?.contextFeatures ?? 1 + geometry.layerCount
    }
    /// The segments Flow II's permutations keep voxels inside: the layers, or the one layer a
    /// layer flow models.
    public static func flowIISegments(_ geometry: CalorimeterGeometry) -> [Range<Int>] {
        LayerFlowLayout(geometry).map { [0..<$0.features] } ?? geometry.layerRanges
    }

    /// Flow I, p(t | c): MAF blocks, each followed by a fixed random permutation of the L
    /// features (the permutation after the last block is kept, as in CaloFlow).
    /// - Parameters:
    ///   - geometry: the showers' geometry (L = its layer count; CaloGAN: 3).
    ///   - permutations: the permutations to use (from a checkpoint), or nil for new ones.
    public static func flowI(_ a: FlowArchitecture, geometry: CalorimeterGeometry = .calogan, name: String = "flow1",
                             permutations: [Permutation]? = nil, rng: inout Xoshiro256) throws -> Flow {
        let spline = try a.spline()
        let flowIFeatures = flowIFeatures(geometry)
        if let p = permutations, p.count != a.blocks || p.contains(where: { $0.count != flowIFeatures }) {
            throw FlowArchitectureError("Flow I with \(a.blocks) blocks needs \(a.blocks) permutations of \(flowIFeatures) features, got \(p.count)")
        }
        var steps = [Flow.Step]()
        for k in 0..<a.blocks {
            steps.append(.block(try AutoregressiveSplineBlock(
                kind: .maf, features: flowIFeatures, contextFeatures: flowIContext, hiddenFeatures: a.hiddenFeatures,
                hiddenLayers: a.hiddenLayers, dropout: Float(a.dropout), spline: spline, name: "\(name).block\(k)", rng: &rng)))
            steps.append(.permutation(permutations?[k] ?? Permutation.random(segments: [0..<flowIFeatures], rng: &rng)))
        }
        return try Flow(steps: steps)
    }

    /// Flow II, p(x | c) (for a geometry modelled layer by layer, the shared layer flow of
    /// `LayerFlowLayout`, p(x_n | c_n)): blocks with, after block i, a per-layer reversal when i is even and a
    /// fixed random per-layer permutation when i is odd; none after the last block.
    ///
    /// - Parameters:
    ///   - kind: `.maf` for the teacher, `.iaf` for the student.
    ///   - geometry: the showers' geometry: D = its voxel count features, 1 + L context inputs,
    ///     permutations inside its layers' voxel ranges (CaloGAN: 504, 4).
    ///   - permutations: the random permutations to reuse (the student takes the teacher's, in
    ///     chain order); nil draws new ones from `rng`.
    public static func flowII(kind: AutoregressiveKind, _ a: FlowArchitecture, geometry: CalorimeterGeometry = .calogan, name: String,
                              permutations: [Permutation]? = nil, rng: inout Xoshiro256) throws -> Flow {
        let spline = try a.spline()
        let flowIIFeatures = flowIIFeatures(geometry), flowIIContext = flowIIContext(geometry)
        let layerSegments = flowIISegments(geometry)
        var steps = [Flow.Step]()
        var given = (permutations ?? []).makeIterator()
        let randomNeeded = a.blocks / 2
        if let p = permutations, p.count != a.blocks - 1 || p.contains(where: { $0.count != flowIIFeatures }) {
            throw FlowArchitectureError("Flow II with \(a.blocks) blocks needs \(a.blocks - 1) permutations, got \(p.count)"
                                        + " (\(randomNeeded) random ones between odd blocks)")
        }
        for k in 0..<a.blocks {
            steps.append(.block(try AutoregressiveSplineBlock(
                kind: kind, features: flowIIFeatures, contextFeatures: flowIIContext, hiddenFeatures: a.hiddenFeatures,
                hiddenLayers: a.hiddenLayers, dropout: Float(a.dropout), spline: spline, name: "\(name).block\(k)", rng: &rng)))
            guard k < a.blocks - 1 else { break }
            if let p = given.next() {
                steps.append(.permutation(p))
            } else if k % 2 == 0 {
                steps.append(.permutation(Permutation.reverse(segments: layerSegments)))
            } else {
                steps.append(.permutation(Permutation.random(segments: layerSegments, rng: &rng)))
            }
        }
        return try Flow(steps: steps)
    }
}

/// An architecture that cannot be built.
public struct FlowArchitectureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension FlowArchitecture {
    /// The spline of this architecture.
    public func spline() throws -> RationalQuadraticSpline {
        try RationalQuadraticSpline(bins: bins, tailBound: tailBound, minBinWidth: minBinWidth,
                                    minBinHeight: minBinHeight, minDerivative: minDerivative)
    }
}
