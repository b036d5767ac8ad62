/// Joins the part files of one generation run (`ShowerFilePart`) into the file one process
/// would have written: `caloflow merge`, and rank 0 of `mpirun caloflow generate`.
///
/// `check` opens every part and refuses, naming the files, parts that are not from one run
/// (any attribute other than the per-part ones differs: seed, models, energy spectrum, batch
/// size, app version, …; or the layout or geometry), a part given twice or overlapping
/// another, parts missing (the n parts must cover showers 0 ..< N without gaps) and a file whose
/// shower count disagrees with its attributes. `merge` then copies the parts in shower order
/// with `ShowerFileWriter.appendRows(of:)`: float32 values unchanged, content checked, one
/// slice (`ShowerFileReader.streamingBatchSize`, ≈10,000 CaloGAN showers) in memory at a
/// time. The datasets are decompressed and compressed again (gzip costs about as much as the
/// writer's compression of one process). The output is written atomically; on any error
/// nothing appears at `output`.
public enum ShowerFileMerge {
    /// One checked part file (closed again: a merge of thousands of parts opens one at a time).
    public struct Entry: Sendable {
        public let path: String
        public let part: ShowerFilePart
        public let format: ShowerFileFormat
        public let geometry: CalorimeterGeometry
        public let attributes: [String: String]
    }

    /// The checked parts, in shower order.
    public struct Plan: Sendable {
        public let entries: [Entry]
        /// N, showers of the whole run.
        public var showers: Int { entries.first?.part.runShowers ?? 0 }
    }

    /// Opens and checks `paths` (see the type's description).
    public static func check(parts paths: [String]) throws -> Plan {
        guard !paths.isEmpty else { throw ShowerFileMergeError.missing(detail: "no part files given") }
        var entries = [Entry]()
        for path in paths {
            let reader = try ShowerFileReader(path: path)
            defer { try? reader.close() }
            guard let part = try ShowerFilePart(attributes: reader.attributes, path: path) else {
                throw ShowerFileMergeError.notAPart(path: path, detail: "it has no \(ShowerFilePart.indexAttribute) attribute")
            }
            guard reader.count == part.showers.count else {
                throw ShowerFileMergeError.countMismatch(path: path, holds: reader.count, recorded: part.showers.count)
            }
            let entry = Entry(path: path, part: part, format: reader.format, geometry: reader.geometry, attributes: reader.attributes)
            if let first = entries.first { try requireSameRun(first, entry) }
            entries.append(entry)
        }
        let first = entries[0]
        // Each part once, in order, covering 0 ..< N.
        entries.sort { ($0.part.index, $0.part.showers.lowerBound) < ($1.part.index, $1.part.showers.lowerBound) }
        for (a, b) in zip(entries, entries.dropFirst()) where a.part.index == b.part.index {
            throw ShowerFileMergeError.overlap(first: a.path, other: b.path, detail: "both are part \(a.part.index)/\(a.part.count)")
        }
        let n = first.part.count, total = first.part.runShowers
        let given = Set(entries.map(\.part.index))
        let absent = (0..<n).filter { !given.contains($0) }
        if !absent.isEmpty {
            let listed = absent.prefix(8).map { "\($0)/\(n)" }.joined(separator: ", ") + (absent.count > 8 ? ", …" : "")
            throw ShowerFileMergeError.missing(detail: "\(absent.count) of the run's \(n) parts not given (\(listed)); "
                                               + "\(entries.count) files hold \(entries.reduce(0) { $0 + $1.part.showers.count }) of its \(total) showers")
        }
        var next = 0
        var previous: String?
        for e in entries {
            let r = e.part.showers
            if r.lowerBound < next {
                throw ShowerFileMergeError.overlap(first: previous ?? "", other: e.path,
                                                   detail: "\(e.part) starts before shower \(next), where the part before it ends")
            }
            if r.lowerBound > next {
                throw ShowerFileMergeError.missing(detail: "no part holds showers \(next)..<\(r.lowerBound) (before \(e.path), \(e.part))")
            }
            next = r.upperBound
            previous = e.path
        }
        guard next == total else {
            throw ShowerFileMergeError.missing(detail: "no part holds showers \(next)..<\(total) of the run's \(total)")
        }
        return Plan(entries: entries)
    }

    /// Checks `paths` and writes their showers, in order, to `output` (atomically; unless
    /// `replaceExisting`, an existing `output` is refused). The output's attributes are the
    /// parts' shared ones without `part_…`, plus `extra`; `progress` gets the showers written so far.
    /// - Returns: the number of showers written.
    @discardableResult
    public static func merge(parts paths: [String], into output: String, gzipLevel: Int = 4, replaceExisting: Bool = false,
                             extra: [String: String] = [:], progress: (Int) -> Void = { _ in }) throws -> Int {
        for p in paths where FileSystem.exists(output) && FileSystem.sameFile(p, output) {
            throw ShowerFileMergeError.outputIsAPart(path: output)
        }
        let plan = try check(parts: paths)
        let head = plan.entries[0]
        var metadata = ShowerFileMetadata(attributes: head.attributes)
        metadata.creationInfo = nil
        metadata.units = nil
        metadata.extra = metadata.extra.filter { !$0.key.hasPrefix(ShowerFilePart.attributePrefix) }
        for (k, v) in extra { metadata.extra[k] = v }
        let writer = try ShowerFileWriter(path: output, metadata: metadata, gzipLevel: gzipLevel, format: head.format,
                                          geometry: head.geometry, replaceExisting: replaceExisting)
        for entry in plan.entries {
            let reader = try ShowerFileReader(path: entry.path, geometry: head.geometry)
            defer { try? reader.close() }
            // The parts were checked above; a file replaced since then is refused here.
            guard try ShowerFilePart(attributes: reader.attributes, path: entry.path) == entry.part, reader.count == entry.part.showers.count else {
                throw ShowerFileMergeError.notAPart(path: entry.path, detail: "it changed while the parts were merged")
            }
            let slice = max(1, reader.streamingBatchSize())
            var start = 0
            while start < reader.count {
                let end = min(reader.count, start + slice)
                try writer.appendRows(of: reader, start..<end)
                progress(writer.count)
                start = end
            }
        }
        guard writer.count == plan.showers else {
            writer.abort()
            throw ShowerFileMergeError.missing(detail: "the parts hold \(writer.count) showers, the run \(plan.showers)")
        }
        try writer.finish()
        return writer.count
    }

    /// Throws `differentRuns` unless `a` and `b` share layout, geometry and every attribute but
    /// the per-part ones.
    static func requireSameRun(_ a: Entry, _ b: Entry) throws {
        func differ(_ what: String, _ va: String, _ vb: String) -> ShowerFileMergeError {
            .differentRuns(first: a.path, other: b.path, what: what, firstValue: va, otherValue: vb)
        }
        if a.format != b.format { throw differ("the layout", a.format.rawValue, b.format.rawValue) }
        if !a.geometry.hasSameVoxels(as: b.geometry) || a.geometry.name != b.geometry.name {
            throw differ("the geometry", a.geometry.name, b.geometry.name)
        }
        let keys = Set(a.attributes.keys).union(b.attributes.keys).subtracting(ShowerFilePart.perPartAttributes).sorted()
        for k in keys where a.attributes[k] != b.attributes[k] {
            // The seed first: the likeliest mistake, and the clearest message.
            let key = a.attributes[ShowerFileLayout.AttributeName.seed] != b.attributes[ShowerFileLayout.AttributeName.seed]
                ? ShowerFileLayout.AttributeName.seed : k
            func shown(_ v: String?) -> String { v.map { "'\($0.count > 120 ? String($0.prefix(120)) + "…" : $0)'" } ?? "absent" }
            throw differ("attribute \(key)", shown(a.attributes[key]), shown(b.attributes[key]))
        }
    }
}
