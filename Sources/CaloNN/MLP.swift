import CaloTensor

/// The nonlinearity between the hidden layers of an `MLP`; Codable for JSON configs
/// (`{"relu": {}}`, `{"leakyReLU": {"slope": 0.01}}`, `{"sigmoid": {}}`).
public enum Activation: Codable, Equatable, Sendable {
    case relu
    case leakyReLU(slope: Float)
    case sigmoid

    /// A fresh layer computing this activation.
    public func makeLayer() -> any Layer {
        switch self {
        case .relu: return ReLU()
        case .leakyReLU(let s): return LeakyReLU(slope: s)
        case .sigmoid: return Sigmoid()
        }
    }
}

/// Multilayer perceptron: `Linear → activation → [Dropout]` for each hidden width, then a final
/// `Linear` to the outputs (no activation after it: outputs are logits or raw values).
///
/// CaloFlow's classifier is `MLP(inputs: 508, hidden: [512, 512, 512], outputs: 1,
/// activation: .leakyReLU(slope: 0.01))` trained with `binaryCrossEntropyWithLogits`.
/// Parameter names: "<name>.layer<k>.weight" / ".bias", k counting the Linear layers from 0.
public final class MLP: Layer {
    public let network: Sequential
    public let inputDimensions: Int
    public let hiddenDimensions: [Int]
    public let outputDimensions: Int
    /// The nonlinearity between the hidden layers.
    public let activation: Activation
    /// Drop probability after each hidden activation (0: no Dropout layers).
    public let dropout: Double

    /// - Parameters:
    ///   - dropout: drop probability after each hidden activation (0 = no Dropout layers).
    ///   - rng: initialises the weights in layer order; each Dropout layer gets its own stream
    ///     seeded from one draw of `rng`.
    /// - Throws: `NNError.invalidHyperparameter` for non-positive widths or dropout outside [0, 1).
    public init(inputs: Int, hidden: [Int], outputs: Int, activation: Activation = .relu,
                dropout: Double = 0, name: String = "mlp", rng: inout Xoshiro256) throws {
        guard inputs > 0, outputs > 0, hidden.allSatisfy({ $0 > 0 }) else {
            throw NNError.invalidHyperparameter("MLP widths must be positive, got \(inputs) → \(hidden) → \(outputs)")
        }
        guard dropout >= 0 && dropout < 1 else {
            throw NNError.invalidHyperparameter("dropout probability must be in [0, 1), got \(dropout)")
        }
        inputDimensions = inputs
        hiddenDimensions = hidden
        outputDimensions = outputs
        self.activation = activation
        self.dropout = dropout
        var layers: [any Layer] = []
        var width = inputs
        for (k, h) in hidden.enumerated() {
            layers.append(Linear(width, h, name: "\(name).layer\(k)", rng: &rng))
            layers.append(activation.makeLayer())
            if dropout > 0 { layers.append(try Dropout(dropout, generator: Xoshiro256(seed: rng.next()))) }
            width = h
        }
        layers.append(Linear(width, outputs, name: "\(name).layer\(hidden.count)", rng: &rng))
        network = Sequential(layers)
    }

    private init(network: Sequential, of model: MLP) {
        self.network = network
        inputDimensions = model.inputDimensions
        hiddenDimensions = model.hiddenDimensions
        outputDimensions = model.outputDimensions
        activation = model.activation
        dropout = model.dropout
    }

    /// A second instance of this network for another worker thread (a layer caches its last
    /// pass, so two threads cannot share one): the same layers over new `Parameter` objects,
    /// named alike, whose values share this network's storage until either side changes them
    /// (copy on write). Gradients and caches are the replica's own.
    ///
    /// - Throws: `NNError.invalidHyperparameter` for a network with dropout: its random stream
    ///   would differ between replicas.
    public func replica() throws -> MLP {
        guard dropout == 0 else {
            throw NNError.invalidHyperparameter("an MLP with dropout \(dropout) has no replicas: each would draw its own dropout masks")
        }
        let linears = network.layers.compactMap { $0 as? Linear }
        var layers: [any Layer] = []
        for (k, l) in linears.enumerated() {
            let w = l.weight
            layers.append(Linear(weight: Parameter(name: w.name, value: w.value, mask: w.mask),
                                 bias: l.bias.map { Parameter(name: $0.name, value: $0.value) }))
            if k < linears.count - 1 { layers.append(activation.makeLayer()) }
        }
        return MLP(network: Sequential(layers), of: self)
    }

    public var parameters: [Parameter] { network.parameters }
    public func forward(_ x: Matrix, training: Bool) -> Matrix { network.forward(x, training: training) }
    public func backward(_ gradOutput: Matrix) -> Matrix { network.backward(gradOutput) }
}
