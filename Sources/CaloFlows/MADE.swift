import CaloNN
import CaloTensor

/// Errors of MADE construction and use (bad configuration, wrong shapes, out-of-order use of
/// the incremental evaluator). Thrown, never trapped, because they can come from user input.
public enum MADEError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case shapeMismatch(String)
    case outOfOrder(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): return "MADE configuration: \(s)"
        case .shapeMismatch(let s): return "MADE shape mismatch: \(s)"
        case .outOfOrder(let s): return "MADE incremental evaluation out of order: \(s)"
        }
    }
}

/// Masked Autoencoder for Distribution Estimation (Germain et al. 2015, arXiv:1502.03509) as
/// nflows v0.14 builds it for CaloFlow: non-residual, sequential degrees, ReLU, conditional.
///
/// Shapes: input `x` `[B, D]`, context `c` `[B, C]`, output `[B, D·M]` with feature `i`'s `M`
/// raw outputs at columns `[i·M, (i+1)·M)` (M = 3K−1 for a K-bin spline). Output block `i`
/// depends on `x[:, 0..<i]` and `c` only (see `MADEDegrees`).
///
/// Forward (training mode applies dropout; evaluation mode never does):
/// ```
/// h = ReLU(M₀ x + b₀ + ReLU(W_c c + b_c))
/// (hiddenLayers − 1) times: h = Dropout(ReLU(M_k h + b_k))
/// out = M_f h + b_f
/// ```
/// With `contextFeatures == 0` the context branch does not exist (no parameters, nothing added).
///
/// Weights are stored `[out, in]`, initialised U(−1/√fan_in, 1/√fan_in) with fan_in the full
/// input width (PyTorch `Linear` default, biases likewise), and multiplied by their masks once;
/// masked entries stay exactly 0 (`Parameter.mask` tells optimizers). All products are
/// block-sparse (`MADEMaskedTiling`) and skip the zero blocks.
public final class MADE: @unchecked Sendable {
    /// Shape and regularisation settings of one MADE.
    public struct Configuration: Sendable, Equatable, Codable {
        /// D: autoregressive features.
        public var features: Int
        /// C: conditioning inputs (0: unconditional, no context layer).
        public var contextFeatures: Int
        /// H: width of every hidden layer.
        public var hiddenFeatures: Int
        /// Total hidden layers: the initial masked layer plus `hiddenLayers − 1` blocks
        /// (nflows `num_blocks + 1`). Teacher 2, Flow I 3, student 2.
        public var hiddenLayers: Int
        /// M: raw outputs per feature (3K − 1 for a K-bin rational-quadratic spline).
        public var outputMultiplier: Int
        /// Dropout probability in the blocks after the first hidden layer (training mode only).
        public var dropout: Float

        public init(features: Int, contextFeatures: Int, hiddenFeatures: Int, hiddenLayers: Int,
                    outputMultiplier: Int, dropout: Float = 0) {
            self.features = features
            self.contextFeatures = contextFeatures
            self.hiddenFeatures = hiddenFeatures
            self.hiddenLayers = hiddenLayers
            self.outputMultiplier = outputMultiplier
            self.dropout = dropout
        }

        /// Checks every field; throws `MADEError.invalidConfiguration` naming the bad one.
        public func validate() throws {
            if features < 1 { throw MADEError.invalidConfiguration("features must be ≥ 1, got \(features)") }
            if contextFeatures < 0 { throw MADEError.invalidConfiguration("contextFeatures must be ≥ 0, got \(contextFeatures)") }
            if hiddenFeatures < 1 { throw MADEError.invalidConfiguration("hiddenFeatures must be ≥ 1, got \(hiddenFeatures)") }
            if hiddenLayers < 1 { throw MADEError.invalidConfiguration("hiddenLayers must be ≥ 1, got \(hiddenLayers)") }
            if outputMultiplier < 1 { throw MADEError.invalidConfiguration("outputMultiplier must be ≥ 1, got \(outputMultiplier)") }
            if !(dropout >= 0 && dropout < 1) { throw MADEError.invalidConfiguration("dropout must be in [0, 1), got \(dropout)") }
        }

        /// Scalar parameters as PyTorch's `numel` counts them (masked-out weights included).
        public var parameterCount: Int {
            let d = features, c = contextFeatures, h = hiddenFeatures, o = features * outputMultiplier
            return (d * h + h) + (c > 0 ? c * h + h : 0) + (hiddenLayers - 1) * (h * h + h) + (h * o + o)
        }
    }

    // MARK: - Properties

    public let configuration: Configuration
    /// Prefix of every parameter name.
    public let name: String
    /// Degrees of inputs (1…D), hidden units (every layer) and outputs (see `MADEDegrees`).
    public let inputDegrees: [Int]
    public let hiddenDegrees: [Int]
    public let outputDegrees: [Int]

    /// `[H, D]` masked, `[1, H]`: "<name>.initial_layer.weight/bias".
    public let initialWeight: Parameter
    public let initialBias: Parameter
    /// `[H, C]`, `[1, H]`: "<name>.context_layer.weight/bias"; nil when C = 0.
    public let contextWeight: Parameter?
    public let contextBias: Parameter?
    /// `hiddenLayers − 1` of `[H, H]` masked and `[1, H]`: "<name>.blocks.<k>.linear.weight/bias".
    public let blockWeights: [Parameter]
    public let blockBiases: [Parameter]
    /// `[D·M, H]` masked, `[1, D·M]`: "<name>.final_layer.weight/bias".
    public let finalWeight: Parameter
    public let finalBias: Parameter

    /// Every parameter in a fixed order (initial, context, blocks, final; weight before bias).
    public let parameters: [Parameter]

    let initialTiling: MADEMaskedTiling
    let blockTiling: MADEMaskedTiling
    let finalTiling: MADEMaskedTiling

    public var features: Int { configuration.features }
    public var contextFeatures: Int { configuration.contextFeatures }
    public var hiddenFeatures: Int { configuration.hiddenFeatures }
    public var hiddenLayers: Int { configuration.hiddenLayers }
    public var outputMultiplier: Int { configuration.outputMultiplier }
    /// D·M: columns of the output.
    public var outputWidth: Int { configuration.features * configuration.outputMultiplier }

    // MARK: - Construction

    /// A freshly initialised MADE. Draws, in order, initial weight and bias, context weight and
    /// bias, each block's weight and bias, final weight and bias from `rng`.
    public init(_ configuration: Configuration, name: String = "made", rng: inout Xoshiro256) throws {
        try configuration.validate()
        self.configuration = configuration
        self.name = name
        let d = configuration.features, c = configuration.contextFeatures, h = configuration.hiddenFeatures
        let m = configuration.outputMultiplier
        inputDegrees = MADEDegrees.input(features: d)
        hiddenDegrees = MADEDegrees.hidden(features: d, hidden: h)
        outputDegrees = MADEDegrees.output(features: d, multiplier: m)

        func uniform(_ rows: Int, _ cols: Int, fanIn: Int) -> Matrix {
            let bound = 1 / Float(fanIn).squareRoot()
            return Matrix.randomUniform(rows, cols, -bound, bound, rng: &rng)
        }
        func masked(_ w: Matrix, _ mask: Matrix) -> Matrix {
            var v = w
            mask.withUnsafeBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in for i in 0..<vp.count { vp[i] *= mp[i] } }
            }
            return v
        }

        let initialMask = MADEDegrees.mask(outDegrees: hiddenDegrees, inDegrees: inputDegrees, strict: false)
        let blockMask = MADEDegrees.mask(outDegrees: hiddenDegrees, inDegrees: hiddenDegrees, strict: false)
        let finalMask = MADEDegrees.mask(outDegrees: outputDegrees, inDegrees: hiddenDegrees, strict: true)

        initialWeight = Parameter(name: "\(name).initial_layer.weight",
                                  value: masked(uniform(h, d, fanIn: d), initialMask), mask: initialMask)
        initialBias = Parameter(name: "\(name).initial_layer.bias", value: uniform(1, h, fanIn: d))
        if c > 0 {
            contextWeight = Parameter(name: "\(name).context_layer.weight", value: uniform(h, c, fanIn: c))
            contextBias = Parameter(name: "\(name).context_layer.bias", value: uniform(1, h, fanIn: c))
        } else {
            contextWeight = nil
            contextBias = nil
        }
        var bw = [Parameter](), bb = [Parameter]()
        for k in 0..<(configuration.hiddenLayers - 1) {
            bw.append(Parameter(name: "\(name).blocks.\(k).linear.weight",
                                value: masked(uniform(h, h, fanIn: h), blockMask), mask: blockMask))
            bb.append(Parameter(name: "\(name).blocks.\(k).linear.bias", value: uniform(1, h, fanIn: h)))
        }
        blockWeights = bw
        blockBiases = bb
        finalWeight = Parameter(name: "\(name).final_layer.weight",
                                value: masked(uniform(d * m, h, fanIn: h), finalMask), mask: finalMask)
        finalBias = Parameter(name: "\(name).final_layer.bias", value: uniform(1, d * m, fanIn: h))

        var all = [initialWeight, initialBias]
        if let contextWeight, let contextBias { all += [contextWeight, contextBias] }
        for k in 0..<bw.count { all += [bw[k], bb[k]] }
        all += [finalWeight, finalBias]
        parameters = all

        // Row groups: about 8 for hidden layers, about 16 (whole features) for the output layer.
        let hiddenGroup = max(32, (h + 7) / 8)
        initialTiling = MADEMaskedTiling(outDegrees: hiddenDegrees, inDegrees: inputDegrees, strict: false,
                                         rowGroupSize: hiddenGroup)
        blockTiling = MADEMaskedTiling(outDegrees: hiddenDegrees, inDegrees: hiddenDegrees, strict: false,
                                       rowGroupSize: hiddenGroup)
        let featuresPerGroup = max(1, (d + 15) / 16)
        finalTiling = MADEMaskedTiling(outDegrees: outputDegrees, inDegrees: hiddenDegrees, strict: true,
                                       rowGroupSize: featuresPerGroup * m)
    }

    /// Scalar parameters (masked-out weights included, as `numel` counts them).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Multiplies every masked weight by its mask again. Call after loading values from outside
    /// (a checkpoint): the block-sparse products assume masked-out weights are exactly 0.
    public func applyMasks() {
        for p in parameters {
            guard let mask = p.mask else { continue }
            mask.withUnsafeBufferPointer { mp in
                p.value.withUnsafeMutableBufferPointer { vp in for i in 0..<vp.count { vp[i] *= mp[i] } }
            }
        }
    }

    // MARK: - Work counts

    /// Useful multiply-adds per batch row of one forward pass (mask connections only).
    public var usefulMultiplyAddsPerRow: Int {
        initialTiling.connections + (hiddenLayers - 1) * blockTiling.connections + finalTiling.connections
            + contextFeatures * hiddenFeatures
    }

    /// Multiply-adds per batch row of a dense (unmasked) forward pass.
    public var denseMultiplyAddsPerRow: Int {
        let h = hiddenFeatures
        return features * h + (hiddenLayers - 1) * h * h + h * outputWidth + contextFeatures * h
    }

    /// Multiply-adds per batch row the block-sparse forward pass performs.
    public var tiledMultiplyAddsPerRow: Int {
        initialTiling.tiledEntries + (hiddenLayers - 1) * blockTiling.tiledEntries + finalTiling.tiledEntries
            + contextFeatures * hiddenFeatures
    }
}
