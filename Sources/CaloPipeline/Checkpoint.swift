import CaloData
import CaloNN
import CaloTensor

/// A caloflow checkpoint as a value: named parameter tensors, metadata, JSON attributes, extra
/// arrays and, for `last` checkpoints, the optimizer and training state. `write(to:)` stores it
/// as an HDF5 file that h5py reads directly; `Checkpoint.read(from:expectedKind:)` loads and
/// validates one. Layout (format version 1):
///
///     /                      attrs: caloflow_checkpoint_format (int64 = 1), kind, app_version,
///                                   created (UTC ISO 8601), seed (int64; a string above 2^63-1),
///                                   plus one string attribute per JSON attribute
///     /parameters/<name>     float32 (rows, cols), one per parameter; attr "order" (strings)
///     /optimizer             attrs: type = "adam", step (int64)         [optional]
///     /optimizer/m/<name>    float32, Adam first moments, parameter shape
///     /optimizer/v/<name>    float32, Adam second moments
///     /training              attrs: epoch, global_step, schedule_step, patience_counter,
///                                   gradient_shards (int64),
///                                   best_metric (float64), best_epoch (int64) when known,
///                                   schedule, early_stopping, history (JSON strings)  [optional]
///     /training/rng/<name>   uint64 (4,), xoshiro256** state words
///     /<extra path>          int64 or float32 arrays of any shape (e.g. /permutations/0)
///
/// MADE masks are not stored: they follow from the model config, and `loadParameters(into:)`
/// re-applies each `Parameter.mask` to the loaded value.
public struct Checkpoint: Sendable {
    // MARK: - Format constants

    /// The format version this build writes and the newest it reads.
    public static let formatVersion = 1
    /// Root attribute holding the format version; its absence marks a foreign file.
    public static let formatAttribute = "caloflow_checkpoint_format"
    /// Root attributes written by caloflow itself; JSON attributes may not use these names.
    public static let reservedAttributes: Set<String> = [formatAttribute, "kind", "app_version", "created", "seed"]
    /// Top-level groups with fixed meaning; extra arrays may not live under them.
    public static let reservedGroups: Set<String> = ["parameters", "optimizer", "training"]

    // MARK: - Element types

    /// One named parameter tensor (a bias is a 1 x n matrix).
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var value: Matrix
        public init(name: String, value: Matrix) { self.name = name; self.value = value }
    }

    /// An array of any rank with its shape (row-major values).
    public struct StoredArray<Element: Sendable & Equatable>: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Element]
        public init(shape: [Int], values: [Element]) { self.shape = shape; self.values = values }
        /// A 1-D array.
        public init(_ values: [Element]) { self.init(shape: [values.count], values: values) }
    }

    /// Adam moments of one parameter, in the parameter's shape.
    public struct Moments: Sendable, Equatable {
        public var first: Matrix
        public var second: Matrix
        public init(first: Matrix, second: Matrix) { self.first = first; self.second = second }
    }

    /// Saved state of an Adam optimizer, keyed by parameter name (frozen parameters may be absent).
    public struct OptimizerState: Sendable, Equatable {
        public var step: Int
        public var moments: [String: Moments]
        public init(step: Int, moments: [String: Moments]) { self.step = step; self.moments = moments }
    }

    // MARK: - Content

    /// What the checkpoint holds: "flow1", "teacher", "student", ...
    public var kind: String
    /// Version of the app that wrote it.
    public var appVersion: String
    /// UTC creation time (ISO 8601); filled in by `write` when empty.
    public var created: String
    /// The run's seed.
    public var seed: UInt64
    /// JSON texts by attribute name, e.g. "model_config", "preprocessing", "training_data".
    public var jsonAttributes: [String: String]
    /// Parameters in model order (names unique, no "/").
    public var parameters: [Tensor]
    /// Extra int64 arrays by relative path, e.g. "permutations/0".
    public var integerArrays: [String: StoredArray<Int64>]
    /// Extra float32 arrays by relative path.
    public var floatArrays: [String: StoredArray<Float>]
    /// Optimizer state (`last` checkpoints).
    public var optimizer: OptimizerState?
    /// Training progress (`last` checkpoints; `best` ones may carry it for information).
    public var training: TrainingState?
    /// The file this value was read from ("" when built in memory); used in error messages.
    public internal(set) var sourcePath: String = ""

    public init(kind: String, appVersion: String, seed: UInt64, parameters: [Parameter] = [],
                jsonAttributes: [String: String] = [:]) {
        self.kind = kind
        self.appVersion = appVersion
        self.created = ""
        self.seed = seed
        self.jsonAttributes = jsonAttributes
        self.parameters = parameters.map { Tensor(name: $0.name, value: $0.value) }
        self.integerArrays = [:]
        self.floatArrays = [:]
        self.optimizer = nil
        self.training = nil
    }

    // MARK: - Building

    /// Stores `adam`'s moments and step count, keyed by the names of its parameters.
    public mutating func setOptimizer(_ adam: Adam) {
        let s = adam.state
        var moments: [String: Moments] = [:]
        for (i, p) in adam.parameters.enumerated() {
            moments[p.name] = Moments(first: Matrix(rows: p.value.rows, cols: p.value.cols, storage: s.firstMoments[i]),
                                      second: Matrix(rows: p.value.rows, cols: p.value.cols, storage: s.secondMoments[i]))
        }
        optimizer = OptimizerState(step: s.step, moments: moments)
    }

    /// Stores `value` as pretty, key-sorted JSON under attribute `name`.
    public mutating func setJSON<T: Encodable>(_ name: String, _ value: T) throws {
        jsonAttributes[name] = try RunJSON.encode(value)
    }

    // MARK: - Using

    /// The stored value of parameter `name`.
    public func parameter(named name: String) -> Matrix? { parameters.first { $0.name == name }?.value }

    /// Copies the stored values into `parameters`, matched by name. All-or-nothing: every model
    /// parameter must be present with its shape and no stored parameter may be left over, else
    /// nothing is changed and the error names the culprits. A parameter's mask, if any, is applied.
    public func loadParameters(into parameters: [Parameter]) throws {
        var stored: [String: Matrix] = [:]
        for t in self.parameters { stored[t.name] = t.value }
        let wanted = Set(parameters.map(\.name))
        let missing = parameters.map(\.name).filter { stored[$0] == nil }
        if !missing.isEmpty { throw CheckpointError.missingParameters(path: sourcePath, names: missing) }
        let extra = self.parameters.map(\.name).filter { !wanted.contains($0) }
        if !extra.isEmpty { throw CheckpointError.unexpectedParameters(path: sourcePath, names: extra) }
        for p in parameters {
            let v = stored[p.name]!
            if v.rows != p.value.rows || v.cols != p.value.cols {
                throw CheckpointError.shapeMismatch(path: sourcePath, name: p.name, expected: [p.value.rows, p.value.cols],
                                                    found: [v.rows, v.cols])
            }
        }
        for p in parameters {
            var v = stored[p.name]!
            if let mask = p.mask {
                for i in 0..<v.storage.count where mask.storage[i] == 0 { v.storage[i] = 0 }
            }
            p.value = v
        }
    }

    /// The Adam state for an optimizer over `parameters` (in their order), or nil when the
    /// checkpoint holds no optimizer state. Throws if a parameter's moments are missing or
    /// shaped differently.
    public func adamState(for parameters: [Parameter]) throws -> AdamState? {
        guard let optimizer else { return nil }
        var first: [[Float]] = [], second: [[Float]] = []
        for p in parameters {
            guard let m = optimizer.moments[p.name] else {
                throw CheckpointError.malformed(path: sourcePath, object: "/optimizer/m/\(p.name)",
                                                detail: "no optimizer state for parameter '\(p.name)'")
            }
            if m.first.rows != p.value.rows || m.first.cols != p.value.cols {
                throw CheckpointError.shapeMismatch(path: sourcePath, name: "optimizer moments of \(p.name)",
                                                    expected: [p.value.rows, p.value.cols], found: [m.first.rows, m.first.cols])
            }
            first.append(m.first.storage)
            second.append(m.second.storage)
        }
        return AdamState(step: optimizer.step, firstMoments: first, secondMoments: second)
    }

    /// Decodes JSON attribute `name` as `T`.
    public func decodeJSON<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let text = jsonAttributes[name] else {
            throw CheckpointError.malformed(path: sourcePath, object: "/ attribute '\(name)'", detail: "missing")
        }
        do {
            return try RunJSON.decode(T.self, from: text, source: "attribute '\(name)'")
        } catch let e as RunDirectoryError {
            throw CheckpointError.malformed(path: sourcePath, object: "/ attribute '\(name)'", detail: e.description)
        }
    }

    /// Throws `configMismatch` unless JSON attribute `name` decodes to a value equal to `expected`;
    /// the message lists each differing key with both values (e.g. a model config given on the
    /// command line that does not match the checkpoint's architecture).
    public func requireJSON<T: Codable & Equatable>(_ name: String, matches expected: T) throws {
        let stored = try decodeJSON(name, as: T.self)
        if stored == expected { return }
        let differences = JSONDifference.differences(try RunJSON.encode(stored), try RunJSON.encode(expected))
        let detail = differences.isEmpty ? "values differ"
            : differences.prefix(6).map { "\($0.key): \($0.old) in the checkpoint, \($0.new) requested" }.joined(separator: "; ")
        throw CheckpointError.configMismatch(path: sourcePath, attribute: name, detail: detail)
    }
}
