import CaloData
import CaloNN
import CaloTensor

extension Checkpoint {
    // MARK: - Reading

    /// Reads and validates the checkpoint at `path`.
    ///
    /// Checks, in order: the file exists and is HDF5 (`fileNotFound`, `notHDF5`), it opens
    /// (`truncated`), it carries the format attribute (`foreign`) with a known version
    /// (`unsupportedVersion`), its kind is `expectedKind` when given (`wrongKind`), every
    /// parameter and moment is a finite 2-D tensor (`nonFinite`, `malformed`), and the optimizer
    /// and training groups are complete (`malformed`). Matching against a model is done by
    /// `loadParameters(into:)`; config checks by `requireJSON(_:matches:)`.
    public static func read(from path: String, expectedKind: String? = nil) throws -> Checkpoint {
        do {
            let f = try HDF5File(path: path, mode: .readOnly)
            defer { try? f.close() }
            let header = try CheckpointHeader.readRoot(f, path: path)
            if let expectedKind, header.kind != expectedKind {
                throw CheckpointError.wrongKind(path: path, expected: expectedKind, found: header.kind)
            }
            var c = Checkpoint(kind: header.kind, appVersion: header.appVersion, seed: header.seed,
                               jsonAttributes: header.jsonAttributes)
            c.created = header.created
            c.sourcePath = path
            c.parameters = try readParameters(f, path)
            c.optimizer = try readOptimizer(f, path, parameters: c.parameters)
            c.training = try readTraining(f, path)
            try readExtras(f, path, into: &c)
            return c
        } catch {
            throw CheckpointError.reading(path, error)
        }
    }

    // MARK: - Groups

    private static func readParameters(_ f: HDF5File, _ path: String) throws -> [Tensor] {
        guard f.exists("/parameters") else {
            throw CheckpointError.malformed(path: path, object: "/parameters", detail: "group missing")
        }
        let members = try f.members(of: "/parameters")
        var order = members
        if try f.hasAttribute("order", on: "/parameters") {
            guard case .strings(let o) = try f.attribute("order", of: "/parameters") else {
                throw CheckpointError.malformed(path: path, object: "/parameters attribute 'order'", detail: "not a list of strings")
            }
            guard o.sorted() == members else {
                let missing = o.filter { !members.contains($0) }, extra = members.filter { !o.contains($0) }
                throw CheckpointError.malformed(path: path, object: "/parameters",
                    detail: "datasets and the 'order' attribute disagree (listed but absent: \(CheckpointError.list(missing)); present but unlisted: \(CheckpointError.list(extra)))")
            }
            order = o
        }
        return try order.map { name in Tensor(name: name, value: try readMatrix(f, path, "/parameters/\(name)", label: name)) }
    }

    private static func readOptimizer(_ f: HDF5File, _ path: String, parameters: [Tensor]) throws -> OptimizerState? {
        guard f.exists("/optimizer") else { return nil }
        guard let step = try f.attribute("step", of: "/optimizer").int64Value, step >= 0 else {
            throw CheckpointError.malformed(path: path, object: "/optimizer attribute 'step'", detail: "not a non-negative integer")
        }
        let type = try f.attribute("type", of: "/optimizer").stringValue
        guard type == "adam" else {
            throw CheckpointError.malformed(path: path, object: "/optimizer", detail: "optimizer type '\(type ?? "?")', expected 'adam'")
        }
        let mNames = try f.members(of: "/optimizer/m"), vNames = try f.members(of: "/optimizer/v")
        guard mNames == vNames else {
            throw CheckpointError.malformed(path: path, object: "/optimizer", detail: "first and second moments cover different parameters")
        }
        var moments: [String: Moments] = [:]
        for name in mNames {
            guard let p = parameters.first(where: { $0.name == name })?.value else {
                throw CheckpointError.malformed(path: path, object: "/optimizer/m/\(name)", detail: "moments for a parameter the checkpoint does not hold")
            }
            let m = try readMatrix(f, path, "/optimizer/m/\(name)", label: "optimizer m of \(name)")
            let v = try readMatrix(f, path, "/optimizer/v/\(name)", label: "optimizer v of \(name)")
            for (x, which) in [(m, "m"), (v, "v")] where x.rows != p.rows || x.cols != p.cols {
                throw CheckpointError.shapeMismatch(path: path, name: "/optimizer/\(which)/\(name)", expected: [p.rows, p.cols], found: [x.rows, x.cols])
            }
            moments[name] = Moments(first: m, second: v)
        }
        return OptimizerState(step: Int(step), moments: moments)
    }

    private static func readTraining(_ f: HDF5File, _ path: String) throws -> TrainingState? {
        let g = "/training"
        guard f.exists(g) else { return nil }
        func int(_ name: String) throws -> Int {
            guard let v = try f.attribute(name, of: g).int64Value, v >= 0 else {
                throw CheckpointError.malformed(path: path, object: "\(g) attribute '\(name)'", detail: "not a non-negative integer")
            }
            return Int(v)
        }
        func json<T: Decodable>(_ name: String, _ type: T.Type) throws -> T {
            guard let text = try f.attribute(name, of: g).stringValue else {
                throw CheckpointError.malformed(path: path, object: "\(g) attribute '\(name)'", detail: "not a string")
            }
            do { return try RunJSON.decode(T.self, from: text, source: "\(g) attribute '\(name)'") } catch {
                throw CheckpointError.malformed(path: path, object: "\(g) attribute '\(name)'", detail: "\(error)")
            }
        }
        var state = TrainingState(epoch: try int("epoch"), globalStep: try int("global_step"), scheduleStep: try int("schedule_step"))
        if try f.hasAttribute("gradient_shards", on: g) {
            state.gradientShards = try int("gradient_shards")
            guard state.gradientShards >= 1 else {
                throw CheckpointError.malformed(path: path, object: "\(g) attribute 'gradient_shards'", detail: "must be at least 1")
            }
        }
        if try f.hasAttribute("schedule", on: g) { state.schedule = try json("schedule", LearningRateSchedule.self) }
        state.earlyStopping = try json("early_stopping", EarlyStopping.self)
        state.history = try json("history", [MetricsRecord].self)
        if f.exists(g + "/rng") {
            for name in try f.members(of: g + "/rng") {
                let words = try f.read(g + "/rng/" + name, as: UInt64.self)
                guard words.count == 4, words.contains(where: { $0 != 0 }) else {
                    throw CheckpointError.malformed(path: path, object: "\(g)/rng/\(name)", detail: "a generator state needs 4 words, not all zero (found \(words.count))")
                }
                state.rngStates[name] = Xoshiro256(stateWords: words)
            }
        }
        return state
    }

    private static func readExtras(_ f: HDF5File, _ path: String, into c: inout Checkpoint) throws {
        var stack = try f.members(of: "/").filter { !reservedGroups.contains($0) }
        while let name = stack.popLast() {
            switch try f.kind(of: "/" + name) {
            case .group:
                stack += try f.members(of: "/" + name).map { name + "/" + $0 }
            case .dataset:
                let info = try f.datasetInfo("/" + name)
                switch info.elementType {
                case .signedInteger, .unsignedInteger:
                    c.integerArrays[name] = StoredArray(shape: info.shape, values: try f.read("/" + name, as: Int64.self))
                case .float:
                    c.floatArrays[name] = StoredArray(shape: info.shape, values: try f.read("/" + name, as: Float.self))
                default:
                    break  // strings or compound data added by other tools: not ours, ignored
                }
            default:
                break
            }
        }
    }

    // MARK: - Tensors

    private static func readMatrix(_ f: HDF5File, _ path: String, _ object: String, label: String) throws -> Matrix {
        let info = try f.datasetInfo(object)
        guard info.shape.count == 2, case .float = info.elementType else {
            throw CheckpointError.malformed(path: path, object: object,
                detail: "expected a 2-D float dataset, found \(info.elementType) of shape \(CheckpointError.shape(info.shape))")
        }
        let values = try f.read(object, as: Float.self)
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw CheckpointError.nonFinite(path: path, name: label, index: i, value: values[i])
        }
        return Matrix(rows: info.shape[0], cols: info.shape[1], storage: values)
    }
}
