import Glibc

/// Reads a shower file in either layout (`ShowerFileFormat`: CaloGAN, or the flat
/// CaloChallenge-style one, recognised by its dataset names), validating as it goes.
///
/// Opening checks the layout: every dataset present, rank and per-event shape, float32 or
/// float64 elements (contiguous or chunked/compressed, as h5py writes them), and equal event
/// counts. Batches are always in CaloGAN terms: E_inc in GeV, 504 voxels in MeV (a flat file's
/// MeV energies are converted; its overflow reads as 0). Every read checks the content: NaN, infinite or negative values throw
/// `CaloDataError.invalidValue` naming the dataset and the file event index.
///
/// Reads are hyperslabs of whole batches, converted to Float32 by HDF5 and placed directly into
/// the `ShowerBatch` matrices (layer_l lands at its voxel offset); `forEachBatch` streams a file
/// of any size with one batch in memory.
public final class ShowerFileReader {
    /// File path as given.
    public let path: String
    /// Events readable through this reader (`min(eventsInFile, maxEvents)`).
    public let count: Int
    /// Events stored in the file.
    public let eventsInFile: Int
    /// The file's layout.
    public let format: ShowerFileFormat
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

    /// Opens `path` and validates the layout. `maxEvents` limits reading to a prefix.
    public init(path: String, maxEvents: Int? = nil, validateContent: Bool = true) throws {
        self.path = path
        file = try HDF5File(path: path, mode: .readOnly)
        validatesContent = validateContent
        let members = try file.members(of: "/")
        // Without a complete layout, the one the file seems to attempt names the missing dataset.
        let format = ShowerFileFormat.detect(members: members)
            ?? (ShowerFileFormat.flat.datasetNames.contains(where: members.contains) ? .flat : .calogan)
        self.format = format
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
        for name in format.datasetNames {
            let info = infos[name]!
            let expected = [-1] + format.eventShapes[name]!
            let energyAsVector = name == format.energyDataset && info.shape.count == 1
            if !energyAsVector {
                guard info.shape.count == expected.count else {
                    throw CaloDataError.wrongRank(path: path, dataset: name, expected: expected, found: info.shape)
                }
                if format == .flat, name == ShowerFileFormat.flatShowers, info.shape[1] != CaloGANGeometry.voxelCount {
                    throw CaloDataError.otherGeometry(path: path, dataset: name, voxels: info.shape[1],
                                                      guess: ShowerFileFormat.otherGeometries[info.shape[1]])
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
        attributes = try file.attributesAsStrings(of: "/")
        metadata = ShowerFileMetadata(attributes: attributes)
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
        try Self.checkMemory(path: path, events: n)
        var batch = ShowerBatch(count: n)
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

    /// Bytes one shower occupies in a `ShowerBatch` (504 voxels, 3 overflow values, E_inc; float32).
    public static let bytesPerShower = (CaloGANGeometry.voxelCount + CaloGANGeometry.layerCount + 1) * MemoryLayout<Float>.size

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
    static func checkMemory(path: String, events: Int) throws {
        let (bytes, overflow) = events.multipliedReportingOverflow(by: bytesPerShower)
        let limit = memoryLimitBytes
        if overflow || bytes > limit {
            throw CaloDataError.tooLarge(path: path, events: events, bytes: overflow ? Int.max : bytes, limit: limit)
        }
    }

    /// Throws `tooLarge` unless all `count` events fit in memory at once (`readAll`).
    public func checkFitsInMemory() throws { try Self.checkMemory(path: path, events: count) }

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
