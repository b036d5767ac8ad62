import CaloData

/// The root metadata of a checkpoint plus a few training facts, read without loading tensors:
/// what `caloflow info` shows and what `Checkpoint.read` validates first.
public struct CheckpointHeader: Sendable, Equatable {
    public var formatVersion: Int
    public var kind: String
    public var appVersion: String
    public var created: String
    public var seed: UInt64
    /// JSON attributes by name (model config, preprocessing, training data, ...).
    public var jsonAttributes: [String: String]
    /// Number of parameter tensors and their total number of entries.
    public var parameterCount: Int
    public var parameterEntries: Int
    /// Whether optimizer state is present (a `last` checkpoint that can be resumed).
    public var hasOptimizerState: Bool
    /// Completed epochs, best metric and its epoch, from /training when present.
    public var epoch: Int?
    public var bestMetric: Double?
    public var bestEpoch: Int?
    /// Gradient shards per step of the training that wrote it, from /training when present.
    public var gradientShards: Int?

    /// Reads the header of the checkpoint at `path`, with the same file checks as `Checkpoint.read`.
    public static func read(from path: String) throws -> CheckpointHeader {
        do {
            let f = try HDF5File(path: path, mode: .readOnly)
            defer { try? f.close() }
            var h = try readRoot(f, path: path)
            if f.exists("/parameters") {
                let names = try f.members(of: "/parameters")
                h.parameterCount = names.count
                h.parameterEntries = try names.reduce(0) { $0 + (try f.datasetInfo("/parameters/" + $1).elementCount) }
            }
            h.hasOptimizerState = f.exists("/optimizer")
            if f.exists("/training") {
                h.epoch = (try? f.attribute("epoch", of: "/training"))?.int64Value.map { Int($0) }
                h.bestMetric = (try? f.attribute("best_metric", of: "/training"))?.doubleValue
                h.bestEpoch = (try? f.attribute("best_epoch", of: "/training"))?.int64Value.map { Int($0) }
                h.gradientShards = (try? f.attribute("gradient_shards", of: "/training"))?.int64Value.map { Int($0) }
            }
            return h
        } catch {
            throw CheckpointError.reading(path, error)
        }
    }

    /// One-line summary, e.g. "teacher, epoch 12, best 1234.5 at epoch 10, 27 tensors (9.1M values), resumable".
    public var summary: String {
        var parts = [kind]
        if let epoch { parts.append("epoch \(epoch)") }
        if let bestMetric { parts.append("best \(bestMetric)" + (bestEpoch.map { " at epoch \($0)" } ?? "")) }
        let millions = Double(parameterEntries) / 1e6
        parts.append("\(parameterCount) tensors (\(millions < 0.1 ? "\(parameterEntries)" : "\((millions * 10).rounded() / 10)M") values)")
        if hasOptimizerState { parts.append("resumable") }
        parts.append("app \(appVersion), \(created)")
        return parts.joined(separator: ", ")
    }

    // MARK: - Root attributes

    /// Validates the format attribute and reads kind, versions, seed and JSON attributes.
    static func readRoot(_ f: HDF5File, path: String) throws -> CheckpointHeader {
        guard try f.hasAttribute(Checkpoint.formatAttribute) else {
            throw CheckpointError.foreign(path: path, found: try f.members(of: "/"))
        }
        let formatValue = try f.attribute(Checkpoint.formatAttribute)
        guard let version = formatValue.int64Value, version == Int64(Checkpoint.formatVersion) else {
            throw CheckpointError.unsupportedVersion(path: path, found: formatValue.description, supported: Checkpoint.formatVersion)
        }
        func string(_ name: String) throws -> String {
            guard try f.hasAttribute(name) else { throw CheckpointError.malformed(path: path, object: "/ attribute '\(name)'", detail: "missing") }
            guard let s = try f.attribute(name).stringValue else {
                throw CheckpointError.malformed(path: path, object: "/ attribute '\(name)'", detail: "not a string")
            }
            return s
        }
        let seed: UInt64
        switch try f.hasAttribute("seed") ? f.attribute("seed") : .string("") {
        case .int64(let s) where s >= 0: seed = UInt64(s)
        case .string(let s) where UInt64(s) != nil: seed = UInt64(s)!
        default: throw CheckpointError.malformed(path: path, object: "/ attribute 'seed'", detail: "missing or not a non-negative integer")
        }
        var json: [String: String] = [:]
        for name in try f.attributeNames(of: "/") where !Checkpoint.reservedAttributes.contains(name) {
            if let s = try f.attribute(name).stringValue { json[name] = s }
        }
        return CheckpointHeader(formatVersion: Int(version), kind: try string("kind"), appVersion: try string("app_version"),
                                created: try string("created"), seed: seed, jsonAttributes: json, parameterCount: 0,
                                parameterEntries: 0, hasOptimizerState: false, epoch: nil, bestMetric: nil, bestEpoch: nil)
    }
}
