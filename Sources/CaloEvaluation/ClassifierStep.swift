import CaloNN
import CaloTensor
import Synchronization

/// One optimizer step of the classifier (BCE with logits, Adam) on a batch, cut into gradient
/// shards computed by worker threads with one BLAS thread each and summed in shard order
/// (`DataParallelGradients`), as the flow trainers do.
///
/// Shard s of S takes the contiguous rows ⌊Bs/S⌋ ..< ⌊B(s+1)/S⌋ of a batch of B and its loss is
/// scaled by 1/B (the batch's factor), so the shard gradients add up to the batch-mean gradient.
/// The classifier has no dropout or other randomness inside a step, so for a given shard count
/// the weights after a step are bit-identical for any number of workers. With one shard the
/// step is the classifier's training of before (one product threaded inside OpenBLAS) and its
/// result is unchanged; S > 1 changes the rounding of the gradient sums, hence the weights in
/// the last bits (and, over an epoch of steps, the trained classifier slightly).
///
/// The layers of an `MLP` cache their last pass, so each concurrent shard runs on its own
/// `MLP.replica()` whose weights share the model's storage during the step.
public final class ClassifierStep {
    public let model: MLP
    public let adam: Adam
    public let gradients: DataParallelGradients
    private let pool: ReplicaPool
    private let replicas: [MLP]

    /// - Parameters:
    ///   - shards: gradient shards per step (1: threaded products on the calling thread).
    ///   - threads: worker threads (at most `shards` are used).
    /// - Throws: `NNError` for an invalid shard count or a model with dropout and several shards.
    public init(model: MLP, adam: Adam, shards: Int, threads: Int) throws {
        self.model = model
        self.adam = adam
        gradients = try DataParallelGradients(parameters: model.parameters, shards: shards, group: nil, threads: threads)
        replicas = try (1..<max(1, gradients.workers)).map { _ in try model.replica() }
        pool = ReplicaPool([model] + replicas)
    }

    /// Worker threads that compute shards.
    public var workers: Int { gradients.workers }

    /// One step on the rows `rows` of `x` (`[N, F]`, standardized inputs) with `labels` (N
    /// values, 1 = reference): gradients of the mean BCE with logits over the batch, one Adam
    /// update. Returns the batch's mean loss. Run it with one BLAS thread when `shards` > 1
    /// (the workers set that themselves, but switching OpenBLAS's pool every step costs).
    public func step(x: Matrix, labels: [Float], rows: ArraySlice<Int>) throws -> Double {
        let b = rows.count, shards = gradients.shards
        let lo = rows.startIndex
        for r in replicas { for (p, q) in zip(r.parameters, model.parameters) { p.value = q.value } }
        defer { for r in replicas { for p in r.parameters { p.value = Matrix(rows: 0, cols: 0) } } }
        let pool = self.pool
        gradients.zero()
        let losses = try gradients.accumulate(valuesPerShard: 1) { s, target in
            let part = Array(rows[(lo + b * s / shards)..<(lo + b * (s + 1) / shards)])
            guard !part.isEmpty else { return [0] }  // the last batch of an epoch may be smaller than the shard count
            let net = pool.take()
            defer { pool.put(net) }
            let xb = x.gatherRows(part), yb = Matrix(rows: part.count, cols: 1, storage: part.map { labels[$0] })
            net.zeroGradients()
            let (loss, gradient) = binaryCrossEntropyWithLogits(logits: net.forward(xb, training: true), targets: yb,
                                                                factor: 1 / Double(b))
            _ = net.backward(gradient)
            target.copy(from: net.parameters)
            return [loss]
        }
        let loss = losses.reduce(0) { $0 + $1[0] }
        guard loss.isFinite else { throw EvaluationError("classifier: training loss became \(loss)") }
        adam.step(gradients: gradients.total)
        return loss
    }
}

/// The networks the workers take for one shard and give back (any free one: they hold the same
/// weights during a step).
private final class ReplicaPool: @unchecked Sendable {
    private let free: Mutex<[Int]>
    private let networks: [MLP]

    init(_ networks: [MLP]) {
        self.networks = networks
        free = Mutex(Array(networks.indices))
    }

    func take() -> MLP {
        let k = free.withLock { $0.popLast() }
        guard let k else { preconditionFailure("more concurrent shards than classifier replicas") }
        return networks[k]
    }

    func put(_ net: MLP) {
        let k = networks.firstIndex { $0 === net }!
        free.withLock { $0.append(k) }
    }
}
