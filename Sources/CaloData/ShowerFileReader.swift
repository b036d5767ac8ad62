import Glibc

/// Reads a shower file in either layout (`ShowerFileFormat`: CaloGAN, or the flat
/// CaloChallenge-style one, recognised by its dataset names), of any geometry, validating as it goes.
///
/// Opening checks the layout: every dataset present, rank and per-event shape, float32 or
/// float64 elements (contiguous or chunked/compressed, as h5py writes them), and equal event
/// counts, and settles the geometry (`geometry`): CaloGAN for the CaloGAN layout; for a flat file
/// the one asked for, else the one its `geometry` attribute records, else the named geometry
/// with its voxel count (504, 368, 533, 6480 or 40500), each checked against the voxel count.
/// Batches hold E_inc in GeV and the voxels in MeV (a flat file's MeV energies are converted; a
/// CaloGAN-geometry flat file's overflow reads as 0). Every read checks the content: NaN,
/// infinite or negative values throw `CaloDataError.invalidValue` naming the dataset and the
/// file event index.
///
/// Reads are hyperslabs of whole batches, converted to Float32 by HDF5 and placed directly into
/// the `ShowerBatch` matrices (layer_l lands at its voxel offset); `forEachBatch` streams a file
/// of any size with one batch in memory (`streamingBatchSize` keeps a batch of a 40,500-voxel
/// geometry near 128 MB).
public final class ShowerFileReader {
    /// File path as given.
    public let path: String
    /// Events readable through this reader (`min(eventsInFile, maxEvents)`).
    public let count: Int
    /// Events stored in the file.
    public let eventsInFile: Int
    /// The file's layout.
    public let format: ShowerFileFormat
    /// The geometry of the file's showers.
    public let geometry: CalorimeterGeometry
    /// Shape, type and storage of each layout dataset.
    public let datasets: [String: HDF5DatasetInfo]
    /// All root attributes as text.
    public let attributes: [String: String]
    /// The known attributes (particle, generator, seed, ...) and the rest as `extra`.
    public let metadata: ShowerFileMetadata
    /// Whether reads check for NaN, infinite and negative values (default true).
    public var validatesContent: Bool

    let file: HDF5File

    // MARK: - Open and validate the layout

    /// Opens `path` and validates the layout. `maxEvents` limits reading to a prefix. `geometry`
    /// is the geometry the caller expects (e.g. from `--geometry`): the file must fit it.
    public init(path: String, maxEvents: Int? = nil, geometry requested: CalorimeterGeometry? = nil,
                validateContent: Bool = true) throws {
        self.path = path
        file = try HDF5File(path: path, mode: .readOnly)
        validatesContent = validateContent
        let members = try file.members(of: "/")
        // Without a complete layout, the one the file seems to attempt names the missing dataset.
        let format = ShowerFileFormat.detect(members: members)
            ?? (ShowerFileFormat.flat.datasetNames.contains(where: members.contains) ? .flat : .calogan)
        self.format = format
        let attributes = try file.attributesAsStrings(of: "/")
        var infos: [String: HDF5DatasetInfo] = [:]
        for name in format.datasetNames {
            guard members.contains(name) else {
                throw CaloDataError.missingDataset(path: path, dataset: name, found: members)
            }
            let kind = try file.kind(of: name)
            guard kind == .dataset else {
                throw CaloDataError.wrongObjectKind(path: path, object: "/" + name, expected: "dataset", found: kind.rawValue)
            }
            infos[name] = try file.datasetInfo(name)
        }
        let showers = infos[ShowerFileFormat.flatShowers]
        let geometry: CalorimeterGeometry
        if format == .flat, let showers, showers.shape.count == 2 {
            geometry = try Self.flatGeometry(path: path, voxels: showers.shape[1], attributes: attributes, requested: requested)
        } else {
            geometry = .calogan
            if let g = requested, !g.isCaloGAN {
                throw CaloDataError.geometryMismatch(path: path, detail: "the file is in the CaloGAN layout, which holds CaloGAN showers "
                                                     + "(504 voxels), not showers of \(g.name) (\(g.voxelCount) voxels)")
            }
        }
        self.geometry = geometry
        let shapes = format.eventShapes(geometry: geometry)
        for name in format.datasetNames {
            let info = infos[name]!
            let expected = [-1] + shapes[name]!
            let energyAsVector = name == format.energyDataset && info.shape.count == 1
            if !energyAsVector {
                guard info.shape.count == expected.count else {
                    throw CaloDataError.wrongRank(path: path, dataset: name, expected: expected, found: info.shape)
                }
                guard Array(info.shape.dropFirst()) == Array(expected.dropFirst()) else {
                    throw CaloDataError.wrongShape(path: path, dataset: name, expected: expected, found: info.shape)
                }
            }
            guard info.elementType == .float32 || info.elementType == .float64 else {
                throw CaloDataError.unsupportedType(path: path, object: "/" + name, found: info.elementType.description,
                                                    expected: "float32 or float64")
            }
        }
        let counts = infos.mapValues { $0.shape[0] }
        guard Set(counts.values).count == 1 else {
            throw CaloDataError.eventCountMismatch(path: path, counts: counts)
        }
        eventsInFile = counts[format.energyDataset]!
        if let m = maxEvents, m < 0 {
            throw CaloDataError.invalidRequest(path: path, object: "/", detail: "maxEvents must be non-negative, got \(m)")
        }
        count = min(eventsInFile, maxEvents ?? eventsInFile)
        datasets = infos
        self.attributes = attributes
        metadata = ShowerFileMetadata(attributes: attributes)
    }

    /// The geometry of a flat file with `voxels` voxels per shower: `requested` if given, else the
    /// one the `geometry` (and, for a geometry without a name, `geometry_binning`) attribute
    /// records, else the named geometry with that voxel count. Whatever is chosen must have
    /// `voxels` voxels and agree with the recorded geometry.
    static func flatGeometry(path: String, voxels: Int, attributes: [String: String],
                             requested: CalorimeterGeometry?) throws -> CalorimeterGeometry {
        typealias K = ShowerFileLayout.AttributeName
        var recorded: CalorimeterGeometry?
        if let name = attributes[K.geometry] {
            if let json = attributes[K.geometryBinning] {
                do { recorded = try CalorimeterGeometry.decodeRecord(json) } catch {
                    throw CaloDataError.geometryMismatch(path: path, detail: "attribute '\(K.geometryBinning)' is not a valid geometry record: \(error)")
                }
            } else {
                recorded = CalorimeterGeometry.named(name)
            }
            if let r = recorded, r.voxelCount != voxels {
                throw CaloDataError.geometryMismatch(path: path, detail: "the file records the geometry \(r.name) (\(r.voxelCount) voxels per shower), "
                                                     + "but dataset 'showers' has \(voxels)")
            }
        }
        if let g = requested {
            guard g.voxelCount == voxels else {
                throw CaloDataError.geometryMismatch(path: path, detail: "dataset 'showers' has \(voxels) voxels per shower"
                    + (CalorimeterGeometry.builtIn(voxelCount: voxels).map { " (the count of \($0.name))" } ?? "")
                    + "; the geometry \(g.name) has \(g.voxelCount)")
            }
            if let r = recorded, !r.hasSameVoxels(as: g) {
                throw CaloDataError.geometryMismatch(path: path, detail: "the file records the geometry \(r.name); the geometry asked for is "
                                                     + "\(g.name), with other voxels")
            }
            return g
        }
        if let r = recorded { return r }
        if let g = CalorimeterGeometry.builtIn(voxelCount: voxels) { return g }
        throw CaloDataError.unknownGeometry(path: path, dataset: ShowerFileFormat.flatShowers, voxels: voxels)
    }

    /// Closes the file (also done on deinit).
    public func close() throws { try file.close() }

    // MARK: - Reading

    /// Events `range` (within `0..<count`) as a batch; validates the content unless disabled.
    public func read(_ range: Range<Int>) throws -> ShowerBatch {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw CaloDataError.invalidRequest(path: path, object: "/",
                                               detail: "events \(range.lowerBound)..<\(range.upperBound) requested, the reader has \(count)")
        }
        let n = range.count
        try Self.checkMemory(path: path, events: n, geometry: geometry)
        var batch = ShowerBatch(count: n, geometry: geometry)
        switch format {
        case .calogan:
            var energy = [Float](repeating: 0, count: n)
            try energy.withUnsafeMutableBufferPointer { try file.readRows("energy", range, into: $0) }
            try batch.voxels.storage.withUnsafeMutableBufferPointer { voxels in
                for l in 0..<CaloGANGeometry.layerCount {
                    try file.readRows(CaloGANGeometry.layerNames[l], range, into: voxels,
                                      rowStride: CaloGANGeometry.voxelCount, columnOffset: CaloGANGeometry.layerOffsets[l])
                }
            }
            try batch.overflow.storage.withUnsafeMutableBufferPointer { try file.readRows("overflow", range, into: $0) }
            batch.incidentEnergy = energy
        case .flat:
            // MeV in the file, read as Double so the conversion to GeV rounds once.
            var energy = [Double](repeating: 0, count: n)
            try energy.withUnsafeMutableBufferPointer { try file.readRows(format.energyDataset, range, into: $0) }
            try batch.voxels.storage.withUnsafeMutableBufferPointer {
                try file.readRows(ShowerFileFormat.flatShowers, range, into: $0)
            }
            batch.incidentEnergy = energy.map { Float($0 / format.energyUnitsPerGeV) }
        }
        if validatesContent { try ShowerValidation.validate(batch, path: path, firstEvent: range.lowerBound, format: format) }
        return batch
    }

    /// Bytes one shower of `geometry` occupies in a `ShowerBatch` (voxels, overflow, E_inc;
    /// float32): 2032 for CaloGAN, 162,004 for a 40,500-voxel shower.
    public static func bytesPerShower(_ geometry: CalorimeterGeometry = .calogan) -> Int {
        (geometry.voxelCount + geometry.overflowWidth + 1) * MemoryLayout<Float>.size
    }

    /// Memory a streamed batch may take (`streamingBatchSize`).
    public static let streamingBatchBytes = 128 << 20

    /// Showers per batch for streaming this file: `preferred`, or fewer so that a batch stays
    /// within `streamingBatchBytes` (10,000 CaloGAN showers take 20 MB; 828 of 40,500 voxels take 128 MB).
    public func streamingBatchSize(preferred: Int = 10_000) -> Int {
        max(1, min(preferred, Self.streamingBatchBytes / Self.bytesPerShower(geometry)))
    }

    /// The incident energies (GeV) of events `range` (default: all `count`) without their
    /// voxels: a few bytes per event, for a process that reads only its share of the showers
    /// but needs the whole file's energy range. Checked like `read`'s (finite, positive).
    public func readIncidentEnergies(_ range: Range<Int>? = nil) throws -> [Float] {
        let range = range ?? 0..<count
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw CaloDataError.invalidRequest(path: path, object: "/",
                                               detail: "events \(range.lowerBound)..<\(range.upperBound) requested, the reader has \(count)")
        }
        let energies: [Float]
        switch format {
        case .calogan:
            var e = [Float](repeating: 0, count: range.count)
            try e.withUnsafeMutableBufferPointer { try file.readRows("energy", range, into: $0) }
            energies = e
        case .flat:
            var e = [Double](repeating: 0, count: range.count)
            try e.withUnsafeMutableBufferPointer { try file.readRows(format.energyDataset, range, into: $0) }
            energies = e.map { Float($0 / format.energyUnitsPerGeV) }
        }
        if validatesContent { try ShowerValidation.validateEnergies(energies, path: path, firstEvent: range.lowerBound, format: format) }
        return energies
    }

    /// Memory a single read may take: three quarters of the machine's physical memory (a read
    /// beyond it could only end in the allocator aborting the process).
    public static var memoryLimitBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return Int.max }
        let (total, overflow) = pages.multipliedReportingOverflow(by: size)
        return overflow ? Int.max : total / 4 * 3
    }

    /// Throws `tooLarge` when `events` showers would not fit in memory: a file may declare far
    /// more events than it stores (a chunked, compressed dataset of 10^9 unwritten events is a
    /// few kilobytes), so the declared size is checked before anything is allocated.
    public static func checkMemory(path: String, events: Int, geometry: CalorimeterGeometry) throws {
        let (bytes, overflow) = events.multipliedReportingOverflow(by: bytesPerShower(geometry))
        let limit = memoryLimitBytes
        if overflow || bytes > limit {
            throw CaloDataError.tooLarge(path: path, events: events, bytes: overflow ? Int.max : bytes, limit: limit)
        }
    }

    /// Throws `tooLarge` unless all `count` events fit in memory at once (`readAll`).
    public func checkFitsInMemory() throws { try Self.checkMemory(path: path, events: count, geometry: geometry) }

    /// The incident energies of all `count` showers, GeV, without reading the voxels (validated:
    /// finite and positive).
    public func readIncidentEnergies() throws -> [Float] {
        var out = [Float](), start = 0
        let step = 1 << 20
        while start < count {
            let range = start..<min(count, start + step)
            var energy = [Double](repeating: 0, count: range.count)
            try energy.withUnsafeMutableBufferPointer { try file.readRows(format.energyDataset, range, into: $0) }
            for (k, e) in energy.enumerated() {
                let geV = Float(e / format.energyUnitsPerGeV)
                guard geV > 0, geV.isFinite else {
                    let problem: CaloDataError.ValueProblem = geV.isNaN ? .nan : geV.isInfinite ? .infinite : geV == 0 ? .zero : .negative
                    throw CaloDataError.invalidValue(path: path, dataset: format.energyDataset, event: start + k, index: 0,
                                                     value: Float(e), problem: problem)
                }
                out.append(geV)
            }
            start = range.upperBound
        }
        return out
    }

    /// All `count` events in one batch.
    public func readAll() throws -> ShowerBatch { try read(0..<count) }

    /// Calls `body(batch, firstEvent)` for consecutive batches of at most `size` events covering
    /// `0..<count`; only the current batch is held in memory.
    public func forEachBatch(size: Int, _ body: (ShowerBatch, Int) throws -> Void) throws {
        var iterator = try batches(size: size)
        var start = 0
        while let b = try iterator.next() {
            try body(b, start)
            start += b.count
        }
    }

    /// A batch iterator (its `next()` throws, so it is not a `Sequence`).
    public func batches(size: Int) throws -> BatchIterator {
        guard size > 0 else {
            throw CaloDataError.invalidRequest(path: path, object: "/", detail: "batch size must be positive, got \(size)")
        }
        return BatchIterator(reader: self, size: size)
    }

    /// Consecutive batches of a reader.
    public struct BatchIterator {
        let reader: ShowerFileReader
        let size: Int
        /// Index of the next event to read.
        public private(set) var position = 0

        /// The next batch, or nil after the last event.
        public mutating func next() throws -> ShowerBatch? {
            guard position < reader.count else { return nil }
            let end = min(position + size, reader.count)
            let b = try reader.read(position..<end)
            position = end
            return b
        }
    }
}
