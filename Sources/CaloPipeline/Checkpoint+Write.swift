import CaloData
import CaloNN
import CaloTensor

extension Checkpoint {
    // MARK: - Writing

    /// Writes the checkpoint to `path` atomically: into a temporary file in the same directory,
    /// renamed onto `path` only when complete, so an existing checkpoint survives any failure
    /// (including a non-finite parameter found halfway) untouched.
    ///
    /// - Parameter gzipLevel: nil stores tensors contiguously (fastest); 1-9 compresses them with
    ///   shuffle + gzip (MADE weights are half zeros, so files shrink a lot, at some CPU cost).
    /// - Throws: `CheckpointError.invalidContent` for bad names or inconsistent optimizer state,
    ///   `.nonFinite` for a NaN/inf parameter or moment, `.writeFailed` for HDF5/file-system errors.
    public func write(to path: String, gzipLevel: Int? = nil) throws {
        try validateForWriting(path)
        let destination: AtomicFileDestination
        do { destination = try AtomicFileDestination(path: path) } catch {
            throw CheckpointError.writeFailed(path: path, detail: "\(error)")
        }
        do {
            let file = try HDF5File(path: destination.temporaryPath, mode: .create(overwrite: true))
            do {
                try writeContent(file, path: path, gzipLevel: gzipLevel)
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            try destination.commit()
        } catch let e as CheckpointError {
            destination.discard()
            throw e
        } catch {
            destination.discard()
            throw CheckpointError.writeFailed(path: path, detail: "\(error)")
        }
    }

    // MARK: - Internals

    private func validateForWriting(_ path: String) throws {
        func bad(_ detail: String) -> CheckpointError { .invalidContent(path: path, detail: detail) }
        guard !kind.isEmpty else { throw bad("empty kind") }
        var seen = Set<String>()
        for t in parameters {
            guard !t.name.isEmpty, !t.name.contains("/"), t.name != "." else {
                throw bad("parameter name '\(t.name)' is empty or contains '/'")
            }
            guard seen.insert(t.name).inserted else { throw bad("parameter name '\(t.name)' occurs twice") }
        }
        for name in jsonAttributes.keys {
            guard !name.isEmpty, !Self.reservedAttributes.contains(name) else {
                throw bad("JSON attribute name '\(name)' is empty or reserved (\(Self.reservedAttributes.sorted().joined(separator: ", ")))")
            }
            guard RunJSON.isValid(jsonAttributes[name]!) else { throw bad("JSON attribute '\(name)' is not valid JSON") }
        }
        let extraNames = Swift.Array(integerArrays.keys) + Swift.Array(floatArrays.keys)
        guard Set(extraNames).count == extraNames.count else { throw bad("an extra array name is used for both an integer and a float array") }
        for name in extraNames {
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            guard let first = parts.first, !parts.contains(where: \.isEmpty), !Self.reservedGroups.contains(String(first)) else {
                throw bad("extra array name '\(name)' is empty, has an empty path component or lies under a reserved group (\(Self.reservedGroups.sorted().joined(separator: ", ")))")
            }
        }
        if let optimizer {
            guard optimizer.step >= 0 else { throw bad("negative optimizer step \(optimizer.step)") }
            for (name, m) in optimizer.moments {
                guard let p = parameter(named: name) else { throw bad("optimizer state for unknown parameter '\(name)'") }
                guard m.first.rows == p.rows, m.first.cols == p.cols, m.second.rows == p.rows, m.second.cols == p.cols else {
                    throw bad("optimizer moments of '\(name)' are not shaped like the parameter (\(p.rows), \(p.cols))")
                }
            }
        }
        if let training {
            guard training.epoch >= 0, training.globalStep >= 0, training.scheduleStep >= 0 else {
                throw bad("negative epoch or step in the training state")
            }
            for name in training.rngStates.keys where name.isEmpty || name.contains("/") {
                throw bad("RNG state name '\(name)' is empty or contains '/'")
            }
        }
    }

    private func writeContent(_ f: HDF5File, path: String, gzipLevel: Int?) throws {
        try f.setAttribute(Self.formatAttribute, .int64(Int64(Self.formatVersion)))
        try f.setAttribute("kind", .string(kind))
        try f.setAttribute("app_version", .string(appVersion))
        try f.setAttribute("created", .string(created.isEmpty ? ShowerFileMetadata.utcTimestamp() : created))
        try f.setAttribute("seed", seed <= UInt64(Int64.max) ? .int64(Int64(seed)) : .string(String(seed)))
        for (name, text) in jsonAttributes.sorted(by: { $0.key < $1.key }) { try f.setAttribute(name, .string(text)) }

        try f.createGroup("/parameters")
        try f.setAttribute("order", .strings(parameters.map(\.name)), on: "/parameters")
        for t in parameters {
            try writeMatrix(f, "/parameters/\(t.name)", t.value, label: t.name, path: path, gzipLevel: gzipLevel)
        }

        if let optimizer {
            try f.createGroup("/optimizer/m")
            try f.createGroup("/optimizer/v")
            try f.setAttribute("type", .string("adam"), on: "/optimizer")
            try f.setAttribute("step", .int64(Int64(optimizer.step)), on: "/optimizer")
            for (name, m) in optimizer.moments.sorted(by: { $0.key < $1.key }) {
                try writeMatrix(f, "/optimizer/m/\(name)", m.first, label: "optimizer m of \(name)", path: path, gzipLevel: gzipLevel)
                try writeMatrix(f, "/optimizer/v/\(name)", m.second, label: "optimizer v of \(name)", path: path, gzipLevel: gzipLevel)
            }
        }

        if let training { try writeTraining(f, training) }

        for (name, a) in integerArrays.sorted(by: { $0.key < $1.key }) {
            try f.createDataset("/" + name, values: a.values, shape: a.shape)
        }
        for (name, a) in floatArrays.sorted(by: { $0.key < $1.key }) {
            try f.createDataset("/" + name, values: a.values, shape: a.shape)
        }
    }

    private func writeMatrix(_ f: HDF5File, _ object: String, _ m: Matrix, label: String, path: String, gzipLevel: Int?) throws {
        if let i = m.storage.firstIndex(where: { !$0.isFinite }) {
            throw CheckpointError.nonFinite(path: path, name: label, index: i, value: m.storage[i])
        }
        var options = HDF5DatasetOptions.contiguous
        if let level = gzipLevel, m.count > 0 {
            options = HDF5DatasetOptions(chunkShape: [min(m.rows, max(1, 65_536 / max(m.cols, 1))), m.cols], gzipLevel: level)
        }
        try f.createDataset(object, values: m.storage, shape: [m.rows, m.cols], options: options)
    }

    private func writeTraining(_ f: HDF5File, _ t: TrainingState) throws {
        let g = "/training"
        try f.createGroup(g)
        try f.setAttribute("epoch", .int64(Int64(t.epoch)), on: g)
        try f.setAttribute("global_step", .int64(Int64(t.globalStep)), on: g)
        try f.setAttribute("schedule_step", .int64(Int64(t.scheduleStep)), on: g)
        try f.setAttribute("patience_counter", .int64(Int64(t.patienceCounter)), on: g)
        try f.setAttribute("gradient_shards", .int64(Int64(t.gradientShards)), on: g)
        if let b = t.bestMetric { try f.setAttribute("best_metric", .double(b), on: g) }
        if let e = t.bestEpoch { try f.setAttribute("best_epoch", .int64(Int64(e)), on: g) }
        if let s = t.schedule { try f.setAttribute("schedule", .string(try RunJSON.encode(s)), on: g) }
        try f.setAttribute("early_stopping", .string(try RunJSON.encode(t.earlyStopping)), on: g)
        try f.setAttribute("history", .string(try RunJSON.encode(t.history)), on: g)
        try f.createGroup(g + "/rng")
        for (name, rng) in t.rngStates.sorted(by: { $0.key < $1.key }) {
            try f.createDataset(g + "/rng/" + name, values: rng.stateWords, shape: [4])
        }
    }
}
