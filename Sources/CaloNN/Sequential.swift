import CaloTensor

/// Layers applied in order; backward runs them in reverse.
public final class Sequential: Layer {
    public private(set) var layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    /// Appends a layer at the end.
    public func append(_ layer: any Layer) { layers.append(layer) }

    /// All layers' parameters, in layer order.
    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }

    public func forward(_ x: Matrix, training: Bool) -> Matrix {
        var h = x
        for layer in layers { h = layer.forward(h, training: training) }
        return h
    }

    public func backward(_ gradOutput: Matrix) -> Matrix {
        var g = gradOutput
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }
}
