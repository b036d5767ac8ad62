import CaloFlows
import CaloTensor

/// A `CaloFlows.Flow` with packed MADEs, for sampling only (latent → data, `Flow.inverse` in
/// evaluation mode), a few showers at a time, without allocating.
///
/// IAF blocks (the student) take one pass: the MADE reads the latent side, its output reaches
/// the spline one group of features at a time while it is in cache. MAF blocks (Flow I) take D
/// passes: feature i's spline parameters come from the MADE applied to the features already
/// sampled (the later ones are zero and, by the mask, do not matter).
final class PackedFlow: @unchecked Sendable {
    enum Step {
        case block(kind: AutoregressiveKind, made: PackedMADE, spline: RationalQuadraticSpline)
        /// `Permutation.inverseIndices` (the sampling direction applies `Permutation.inverse`).
        case permutation(AlignedBuffer<Int32>)
    }

    /// Steps in the data → latent order of the flow.
    let steps: [Step]
    let features: Int
    let contextFeatures: Int
    /// Row stride of the flow's state buffers.
    let stride: Int

    init(_ flow: Flow, precision: WeightPrecision, name: String) throws {
        var steps = [Step]()
        for (k, step) in flow.steps.enumerated() {
            switch step {
            case .block(let b):
                steps.append(.block(kind: b.kind, made: try PackedMADE(b.made, precision: precision, name: "\(name) step \(k)"),
                                    spline: b.spline))
            case .permutation(let p):
                let inverse = try AlignedBuffer<Int32>(count: p.count)
                for (j, i) in p.inverseIndices.enumerated() { inverse.pointer[j] = Int32(i) }
                steps.append(.permutation(inverse))
            }
        }
        self.steps = steps
        features = flow.features
        contextFeatures = flow.contextFeatures
        stride = paddedToEight(flow.features)
    }

    var mades: [PackedMADE] {
        steps.compactMap { if case .block(_, let m, _) = $0 { return m } else { return nil } }
    }

    /// Bytes of packed weights one pass reads (at batch 1, all of it comes from memory).
    var weightBytes: Int { mades.reduce(0) { $0 + $1.weightBytes } }

    /// Samples `batch` showers: `latent` (stride `ldLatent`) pushed through the flow with
    /// `context` (stride `PackedMADE.contextStride`). Returns the data (stride `stride`), one of
    /// the workspace's state buffers, valid until the next call.
    func sample(latent: UnsafePointer<Float>, ldLatent: Int, context: UnsafePointer<Float>, batch: Int,
                workspace ws: InferenceWorkspace) -> UnsafePointer<Float> {
        let d = features, s = stride
        var current = ws.stateA, other = ws.stateB
        for b in 0..<batch {
            (current + b * s).update(from: latent + b * ldLatent, count: d)
            (current + b * s + d).update(repeating: 0, count: s - d)
        }
        for k in Swift.stride(from: steps.count - 1, through: 0, by: -1) {
            switch steps[k] {
            case .permutation(let inverse):
                let map = inverse.pointer
                for b in 0..<batch {
                    let src = current + b * s, dst = other + b * s
                    for j in 0..<d { dst[j] = src[Int(map[j])] }
                    (dst + d).update(repeating: 0, count: s - d)
                }
            case .block(let kind, let made, let spline):
                if kind == .iaf {
                    inverseAutoregressive(made, spline, input: current, output: other, context: context, batch: batch, workspace: ws)
                } else {
                    maskedAutoregressive(made, spline, input: current, output: other, context: context, batch: batch, workspace: ws)
                }
            }
            swap(&current, &other)
        }
        return UnsafePointer(current)
    }

    /// IAF block, sampling direction: u = RQS⁻¹(v; MADE(v)), features in groups.
    private func inverseAutoregressive(_ made: PackedMADE, _ spline: RationalQuadraticSpline,
                                       input v: UnsafeMutablePointer<Float>, output u: UnsafeMutablePointer<Float>,
                                       context: UnsafePointer<Float>, batch: Int, workspace ws: InferenceWorkspace) {
        let d = features, s = stride, m = made.multiplier
        let last = made.hiddenPass(x: v, context: context, batch: batch, workspace: ws)
        let group = ws.featureGroup(batch: batch, multiplier: m)
        var f0 = 0
        while f0 < d {
            let f1 = min(d, f0 + group), width = (f1 - f0) * m
            // Groups start at multiples of 8 features, so their first row starts a tile.
            let tiles = (f0 * m / 4)..<min(made.final.tiles, (f1 * m + 3) / 4)
            made.final.forward(tiles: tiles, x: last, ldx: made.hiddenStride, batch: batch, y: ws.theta, ldy: width, relu: false)
            for b in 0..<batch {
                spline.inverse(inputs: v + b * s + f0, params: ws.theta + b * width, outputs: u + b * s + f0,
                               logDerivatives: ws.logDerivatives, count: f1 - f0)
            }
            f0 = f1
        }
        for b in 0..<batch { (u + b * s + d).update(repeating: 0, count: s - d) }
    }

    /// MAF block, sampling direction: u_i = RQS⁻¹(v_i; MADE(u)_i) for i = 0, 1, …, D − 1.
    private func maskedAutoregressive(_ made: PackedMADE, _ spline: RationalQuadraticSpline,
                                      input v: UnsafeMutablePointer<Float>, output u: UnsafeMutablePointer<Float>,
                                      context: UnsafePointer<Float>, batch: Int, workspace ws: InferenceWorkspace) {
        let d = features, s = stride, m = made.multiplier
        u.update(repeating: 0, count: batch * s)
        for i in 0..<d {
            let last = made.hiddenPass(x: u, context: context, batch: batch, workspace: ws)
            let firstTile = i * m / 4, tiles = firstTile..<min(made.final.tiles, ((i + 1) * m + 3) / 4)
            let width = 4 * tiles.count, offset = i * m - 4 * firstTile
            made.final.forward(tiles: tiles, x: last, ldx: made.hiddenStride, batch: batch, y: ws.theta, ldy: width, relu: false)
            for b in 0..<batch {
                spline.inverse(inputs: v + b * s + i, params: ws.theta + b * width + offset, outputs: u + b * s + i,
                               logDerivatives: ws.logDerivatives, count: 1)
            }
        }
    }
}

/// Scratch of one context: every buffer a sampling pass needs, sized once for the largest batch
/// and the largest layer of the model's flows, so a call allocates nothing.
final class InferenceWorkspace: @unchecked Sendable {
    let maxBatch: Int
    private let storage: [AlignedBuffer<Float>]
    let stateA: UnsafeMutablePointer<Float>, stateB: UnsafeMutablePointer<Float>
    let contextHidden: UnsafeMutablePointer<Float>, hiddenA: UnsafeMutablePointer<Float>, hiddenB: UnsafeMutablePointer<Float>
    let theta: UnsafeMutablePointer<Float>, logDerivatives: UnsafeMutablePointer<Float>
    /// Floats of `theta`.
    let thetaCapacity: Int
    private let widestGroupCeiling: Int

    /// Spline-parameter buffer target: a group's MADE outputs for the whole batch stay in L2.
    static let thetaBytes = 256 << 10

    init(flows: [PackedFlow], maxBatch: Int) throws {
        self.maxBatch = maxBatch
        let mades = flows.flatMap(\.mades)
        let state = flows.map(\.stride).max() ?? 8
        let hidden = mades.map(\.hiddenStride).max() ?? 8
        let features = flows.map(\.features).max() ?? 1
        let multiplier = mades.map(\.multiplier).max() ?? 1
        // A feature group: a multiple of 8 features whose outputs fit `thetaBytes` for the batch
        // (at least 8 features; a single MAF feature needs up to M + 6 columns).
        let fit = Self.thetaBytes / 4 / max(1, maxBatch * multiplier)
        widestGroupCeiling = max(8, fit / 8 * 8)
        let groupColumns = max(min(paddedToEight(features), widestGroupCeiling) * multiplier, multiplier + 8)
        thetaCapacity = maxBatch * groupColumns
        let sizes = [maxBatch * state, maxBatch * state, maxBatch * hidden, maxBatch * hidden, maxBatch * hidden,
                     thetaCapacity, paddedToEight(features)]
        storage = try sizes.map { try AlignedBuffer<Float>(count: $0) }
        stateA = storage[0].pointer; stateB = storage[1].pointer
        contextHidden = storage[2].pointer; hiddenA = storage[3].pointer; hiddenB = storage[4].pointer
        theta = storage[5].pointer; logDerivatives = storage[6].pointer
    }

    /// Features per group of an IAF output layer for `batch` showers (a multiple of 8).
    @inline(__always)
    func featureGroup(batch: Int, multiplier: Int) -> Int {
        max(8, min(widestGroupCeiling, thetaCapacity / max(1, batch * multiplier)) / 8 * 8)
    }

    var bytes: Int { storage.reduce(0) { $0 + $1.bytes } }
}
