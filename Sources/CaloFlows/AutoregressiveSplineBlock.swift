import CaloNN
import CaloTensor

/// Which direction of an autoregressive block takes a single network pass.
///
/// Both kinds map a data-side vector u to a latent-side vector v = RQS(u; θ) elementwise,
/// with spline parameters θ from a MADE; they differ in what the MADE reads:
/// - `maf` (masked autoregressive flow, Papamakarios et al. 2017): θ = MADE(u). Density
///   (u → v) takes one pass; sampling (v → u) takes D sequential steps.
/// - `iaf` (inverse autoregressive flow, Kingma et al. 2016): θ = MADE(v). Sampling
///   (v → u = RQS⁻¹(v; θ)) takes one pass; density takes D sequential steps.
public enum AutoregressiveKind: String, Codable, Sendable {
    case maf, iaf
}

/// One MADE-conditioned rational-quadratic-spline block (nflows'
/// MaskedPiecewiseRationalQuadraticAutoregressiveTransform, or its inverse for IAF).
///
/// Shapes: inputs and outputs [batch, D], context [batch, C], MADE output θ [batch, D·(3K−1)].
/// The fast direction (`fastPass`) records what its backward pass needs in a `BlockPass`;
/// the slow direction (`slowPass`) is for evaluation only and runs MADE incrementally: a
/// hidden unit of degree d is computed once, as soon as inputs 1..d are known.
public final class AutoregressiveSplineBlock: @unchecked Sendable {
    public let kind: AutoregressiveKind
    /// The conditioner: θ = MADE(data side) for MAF, MADE(latent side) for IAF.
    public let made: MADE
    /// The elementwise transform.
    public let spline: RationalQuadraticSpline

    public var features: Int { made.features }
    public var contextFeatures: Int { made.contextFeatures }
    public var parameters: [Parameter] { made.parameters }

    /// A block around an existing MADE; its output multiplier must be the spline's 3K − 1.
    public init(kind: AutoregressiveKind, made: MADE, spline: RationalQuadraticSpline) throws {
        guard made.outputMultiplier == spline.parameterCount else {
            throw FlowError.invalidConfiguration("MADE emits \(made.outputMultiplier) numbers per feature, "
                                                 + "the \(spline.bins)-bin spline needs \(spline.parameterCount)")
        }
        self.kind = kind
        self.made = made
        self.spline = spline
    }

    /// A new block with a freshly initialised MADE (PyTorch default initialisation).
    public convenience init(kind: AutoregressiveKind, features: Int, contextFeatures: Int, hiddenFeatures: Int,
                            hiddenLayers: Int, dropout: Float = 0, spline: RationalQuadraticSpline = .caloFlow,
                            name: String, rng: inout Xoshiro256) throws {
        let config = MADE.Configuration(features: features, contextFeatures: contextFeatures, hiddenFeatures: hiddenFeatures,
                                        hiddenLayers: hiddenLayers, outputMultiplier: spline.parameterCount, dropout: dropout)
        try self.init(kind: kind, made: MADE(config, name: name, rng: &rng), spline: spline)
    }

    // MARK: - Fast direction

    /// The single-pass direction: u → v for MAF (density), v → u for IAF (sampling).
    ///
    /// - Parameters:
    ///   - input: [B, D], the MADE's input (u for MAF, v for IAF).
    ///   - context: [B, C].
    ///   - pass: receives the MADE activations, θ and the input for `fastBackward`.
    ///   - dropoutRNG: non-nil for training mode (dropout active).
    /// - Returns: the output [B, D] and per-row log|det ∂output/∂input|.
    public func fastPass(_ input: Matrix, context: Matrix, pass: BlockPass,
                         dropoutRNG: inout Xoshiro256?) throws -> (output: Matrix, logDet: [Double]) {
        try checkShapes(input, context)
        if var rng = dropoutRNG {
            try made.forward(input, context: context, workspace: pass.workspace, into: &pass.madeOutput, dropoutRNG: &rng)
            dropoutRNG = rng
        } else {
            try made.forward(input, context: context, workspace: pass.workspace, into: &pass.madeOutput)
        }
        pass.input = input
        var output = Matrix(rows: input.rows, cols: input.cols)
        var logDerivatives = Matrix(rows: input.rows, cols: input.cols)
        let inverse = kind == .iaf
        input.withUnsafeBufferPointer { x in
            pass.madeOutput.withUnsafeBufferPointer { p in
                output.withUnsafeMutableBufferPointer { y in
                    logDerivatives.withUnsafeMutableBufferPointer { ld in
                        SplineRows.map(spline, inverse: inverse, x.baseAddress!, p.baseAddress!, y.baseAddress!,
                                       ld.baseAddress!, rows: input.rows, features: features)
                    }
                }
            }
        }
        return (output, logDerivatives.rowSums())
    }

    /// The single-pass direction in evaluation mode, with nothing recorded for a backward pass
    /// (sampling for IAF, density for MAF). The values of `fastPass` without dropout, up to
    /// rounding, but the MADE output reaches the spline one group of features at a time while it
    /// is still in cache (`MADE.forwardInFeatureGroups`) instead of through a `[B, D·(3K−1)]`
    /// matrix.
    ///
    /// - Parameter workspace: MADE activations (reused across calls and blocks; one per
    ///   concurrent caller).
    /// - Returns: the output [B, D] and per-row log|det ∂output/∂input|.
    public func fastPass(_ input: Matrix, context: Matrix, workspace: MADE.Workspace) throws -> (output: Matrix, logDet: [Double]) {
        try checkShapes(input, context)
        let rows = input.rows, d = features
        var output = Matrix(rows: rows, cols: d)
        var logDerivatives = Matrix(rows: rows, cols: d)
        let inverse = kind == .iaf
        try input.withUnsafeBufferPointer { x in
            try output.withUnsafeMutableBufferPointer { y in
                try logDerivatives.withUnsafeMutableBufferPointer { ld in
                    try made.forwardInFeatureGroups(input, context: context, workspace: workspace) { columns, p in
                        SplineRows.map(spline, inverse: inverse, columns: columns, x.baseAddress!, p, y.baseAddress!,
                                       ld.baseAddress!, rows: rows, features: d)
                    }
                }
            }
        }
        return (output, logDerivatives.rowSums())
    }

    /// Backward pass of the last `fastPass` recorded in `pass`.
    ///
    /// - Parameters:
    ///   - outputGradient: dL/d(output) [B, D], or nil for zero.
    ///   - logDetGradient: dL/d(log-det of the row) [B], or nil for zero.
    ///   - madeOutputGradient: an extra dL/dθ [B, D·(3K−1)] on the raw MADE output (distillation
    ///     matches these), or nil.
    /// - Returns: dL/d(input) [B, D]. Parameter gradients are added into `parameters`.
    ///   - parameterGradients: false for a frozen block (gradients only pass through).
    ///   - gradients: where parameter gradients are added (nil: the parameters' own `gradient`).
    public func fastBackward(_ pass: BlockPass, outputGradient: Matrix?, logDetGradient: [Float]?,
                             madeOutputGradient: Matrix? = nil, parameterGradients: Bool = true,
                             gradients: GradientBuffer? = nil) throws -> Matrix {
        let rows = pass.input.rows, d = features, m = spline.parameterCount
        var direct = Matrix(rows: rows, cols: d)
        // Fully overwritten by the spline backward: a recycled buffer avoids a 46 MB zero-fill
        // (B = 1000) per block and step.
        var paramGradient = Matrix(rows: rows, cols: d * m, storage: LargeBufferPool.take(rows * d * m))
        defer { LargeBufferPool.give(paramGradient.storage) }
        var broadcast: Matrix? = nil
        if let g = logDetGradient {
            guard g.count == rows else { throw FlowError.shapeMismatch("log-det gradient has \(g.count) rows, pass has \(rows)") }
            var b = Matrix(rows: rows, cols: d)
            b.withUnsafeMutableBufferPointer { p in for r in 0..<rows { for j in 0..<d { p[r * d + j] = g[r] } } }
            broadcast = b
        }
        if let og = outputGradient, og.rows != rows || og.cols != d {
            throw FlowError.shapeMismatch("output gradient is \(og.rows)x\(og.cols), expected \(rows)x\(d)")
        }
        let inverse = kind == .iaf
        pass.input.withUnsafeBufferPointer { x in
            pass.madeOutput.withUnsafeBufferPointer { p in
                direct.withUnsafeMutableBufferPointer { gx in
                    paramGradient.withUnsafeMutableBufferPointer { gp in
                        withOptionalPointer(outputGradient) { gy in
                            withOptionalPointer(broadcast) { gl in
                                SplineRows.backward(spline, inverse: inverse, x.baseAddress!, p.baseAddress!, gy, gl,
                                                    gx.baseAddress!, gp.baseAddress!, rows: rows, features: d)
                            }
                        }
                    }
                }
            }
        }
        if let extra = madeOutputGradient { paramGradient.add(extra) }
        try made.backward(outputGradient: paramGradient, workspace: pass.workspace, inputGradient: true, contextGradient: false,
                          parameterGradients: parameterGradients, gradients: gradients)
        try pass.workspace.withInputGradient { g, _, _ in
            direct.withUnsafeMutableBufferPointer { dx in
                for i in 0..<dx.count { dx[i] += g[i] }
            }
        }
        return direct
    }

    // MARK: - Slow direction

    /// The sequential direction: v → u for MAF (sampling), u → v for IAF (density), computed
    /// feature by feature with MADE's incremental evaluator (evaluation mode, no dropout).
    /// - Returns: the output [B, D] and per-row log|det ∂output/∂input|.
    public func slowPass(_ input: Matrix, context: Matrix) throws -> (output: Matrix, logDet: [Double]) {
        try checkShapes(input, context)
        let rows = input.rows, d = features, m = spline.parameterCount
        let evaluator = try MADE.IncrementalEvaluator(made)
        try evaluator.begin(context: context)
        var output = Matrix(rows: rows, cols: d)
        var logDet = [Double](repeating: 0, count: rows)
        var theta = Matrix(rows: rows, cols: m)
        var column = [Float](repeating: 0, count: rows), result = column, logDerivative = column
        // MAF inverts its spline here; IAF evaluates it forward.
        let inverse = kind == .maf
        for i in 0..<d {
            try evaluator.outputs(forFeature: i, into: &theta)
            for r in 0..<rows { column[r] = input[r, i] }
            column.withUnsafeBufferPointer { c in
                theta.withUnsafeBufferPointer { p in
                    result.withUnsafeMutableBufferPointer { y in
                        logDerivative.withUnsafeMutableBufferPointer { ld in
                            if inverse {
                                spline.inverse(inputs: c.baseAddress!, params: p.baseAddress!, outputs: y.baseAddress!,
                                               logDerivatives: ld.baseAddress!, count: rows)
                            } else {
                                spline.forward(inputs: c.baseAddress!, params: p.baseAddress!, outputs: y.baseAddress!,
                                               logDerivatives: ld.baseAddress!, count: rows)
                            }
                        }
                    }
                }
            }
            for r in 0..<rows {
                output[r, i] = result[r]
                logDet[r] += Double(logDerivative[r])
            }
            try evaluator.setInput(feature: i, values: result)
        }
        return (output, logDet)
    }

    // MARK: - Helpers

    private func checkShapes(_ input: Matrix, _ context: Matrix) throws {
        guard input.cols == features else {
            throw FlowError.shapeMismatch("block input has \(input.cols) features, expected \(features)")
        }
        guard context.rows == input.rows, context.cols == contextFeatures else {
            throw FlowError.shapeMismatch("context is \(context.rows)x\(context.cols), expected \(input.rows)x\(contextFeatures)")
        }
    }
}

/// What one fast pass of a block keeps for its backward pass: the MADE activations, the input
/// and the raw MADE output θ (which distillation also compares between teacher and student).
public final class BlockPass: @unchecked Sendable {
    public let workspace = MADE.Workspace()
    /// The block's input in the fast direction [B, D].
    public internal(set) var input = Matrix(rows: 0, cols: 0)
    /// Raw MADE output θ [B, D·(3K−1)] before softmax/softplus.
    public internal(set) var madeOutput = Matrix(rows: 0, cols: 0)
    public init() {}
}

@inline(__always)
func withOptionalPointer<R>(_ m: Matrix?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let m else { return body(nil) }
    return m.withUnsafeBufferPointer { body($0.baseAddress!) }
}
