/// Streams showers of one geometry into a shower file (CaloGAN layout, or the flat one:
/// `ShowerFileFormat`), atomically.
///
/// The file is written under a temporary name in the target's directory
/// (`<path>.tmp-<pid>-<n>`, see `AtomicFileDestination`): float32 datasets in exactly the
/// layout's shapes (a flat file gets E_inc in MeV, the geometry's D voxels per shower and no
/// overflow), chunked (`chunkEvents` events per chunk), gzip, extensible along the event
/// axis; the `geometry` attribute names the geometry (with its full record in
/// `geometry_binning` when it is not a named one). `append` validates each batch (finite, non-negative) before writing; `finish()` writes the
/// attributes, closes the file and renames it onto `path`. `abort()`, a failed `append` or `finish`,
/// or deinit without `finish()` remove the temporary file, and an existing file at `path` stays
/// untouched.
public final class ShowerFileWriter {
    /// Final path of the file.
    public let path: String
    /// Where the file is written until `finish()`.
    public var temporaryPath: String { destination.temporaryPath }
    /// Metadata written as root attributes by `finish()`.
    public var metadata: ShowerFileMetadata
    /// Events appended so far.
    public private(set) var count = 0
    /// The layout written.
    public let format: ShowerFileFormat
    /// The geometry of the showers; every appended batch must have it.
    public let geometry: CalorimeterGeometry

    private let destination: AtomicFileDestination
    private var file: HDF5File?
    /// One layer of the batch being appended, contiguous.
    private var layerScratch = [Float]()

    // MARK: - Create

    /// Starts a file for `path` holding showers of `geometry`. `chunkEvents` events per chunk
    /// of every dataset (default: `defaultChunkEvents(rowValues:)` per dataset, so every chunk
    /// stays within HDF5's 1 MiB default chunk cache), gzip level `gzipLevel` (0-9). Unless `replaceExisting`, `finish()` refuses to
    /// replace a file that exists at `path` by then (`outputExists`).
    ///
    /// No byte shuffle: most voxels of a shower are exact zeros, and gzip alone packs such data
    /// smaller and faster than shuffle + gzip (README, "File formats and units").
    ///
    /// - Throws: `layoutNeedsCaloGAN` for the CaloGAN layout with another geometry.
    public init(path: String, metadata: ShowerFileMetadata = ShowerFileMetadata(),
                chunkEvents: Int? = nil, gzipLevel: Int = 4, format: ShowerFileFormat = .calogan,
                geometry: CalorimeterGeometry = .calogan, replaceExisting: Bool = false) throws {
        self.path = path
        self.metadata = metadata
        self.format = format
        self.geometry = geometry
        guard format == .flat || geometry.isCaloGAN else {
            throw CaloDataError.layoutNeedsCaloGAN(path: path, geometry: geometry.name)
        }
        if let c = chunkEvents, c <= 0 {
            throw CaloDataError.invalidRequest(path: path, object: "/", detail: "chunkEvents must be positive, got \(c)")
        }
        destination = try AtomicFileDestination(path: path, replaceExisting: replaceExisting)
        do {
            let f = try HDF5File(path: destination.temporaryPath, mode: .create(overwrite: true))
            let shapes = format.eventShapes(geometry: geometry)
            for name in format.datasetNames {
                let rowShape = shapes[name]!
                let rows = chunkEvents ?? Self.defaultChunkEvents(rowValues: rowShape.reduce(1, *))
                try f.createDataset(name, type: .float32, shape: [0] + rowShape,
                                    options: .streaming(gzipLevel: gzipLevel, shuffle: false, chunkRows: rows, rowShape: rowShape))
            }
            file = f
        } catch {
            destination.discard()
            throw error
        }
    }

    deinit { abort() }

    /// Events per chunk of a float32 dataset with `rowValues` values per event: 512, or fewer for
    /// wide rows so that a chunk stays within HDF5's 1 MiB default chunk cache (a chunk larger
    /// than the cache bypasses it, and every partial access re-reads it): 40 for 6480 voxels,
    /// 6 for 40,500.
    public static func defaultChunkEvents(rowValues: Int) -> Int {
        max(1, min(512, (1 << 20) / (max(1, rowValues) * MemoryLayout<Float>.size)))
    }

    // MARK: - Write

    /// Validates `batch` and appends it. On any failure the writer aborts (temporary file removed)
    /// and the error names the offending event by its index in the file being written.
    public func append(_ batch: ShowerBatch) throws {
        guard let f = file else { throw CaloDataError.writerClosed(path: path) }
        do {
            guard batch.geometry.hasSameVoxels(as: geometry) else {
                throw CaloDataError.geometryMismatch(path: path, detail: "showers of \(batch.geometry.name) (\(batch.geometry.voxelCount) voxels) "
                                                     + "cannot be appended to a file of \(geometry.name) (\(geometry.voxelCount) voxels)")
            }
            try ShowerValidation.validate(batch, path: path, firstEvent: count)
            let n = batch.count
            if n == 0 { return }
            switch format {
            case .calogan:
                try batch.incidentEnergy.withUnsafeBufferPointer { try f.appendRows("energy", from: $0, rowCount: n) }
                // Each layer is copied out of the [n, 504] rows first: HDF5 gathers a strided
                // memory selection element run by element run, which costs more than the copy.
                try batch.voxels.storage.withUnsafeBufferPointer { voxels in
                    for l in 0..<CaloGANGeometry.layerCount {
                        let size = CaloGANGeometry.layerSizes[l], offset = CaloGANGeometry.layerOffsets[l]
                        layerScratch.reserveCapacity(n * size)
                        layerScratch.removeAll(keepingCapacity: true)
                        for r in 0..<n {
                            let start = r * CaloGANGeometry.voxelCount + offset
                            layerScratch.append(contentsOf: voxels[start..<(start + size)])
                        }
                        try layerScratch.withUnsafeBufferPointer {
                            try f.appendRows(CaloGANGeometry.layerNames[l], from: $0, rowCount: n)
                        }
                    }
                }
                try batch.overflow.storage.withUnsafeBufferPointer { try f.appendRows("overflow", from: $0, rowCount: n) }
            case .flat:
                // GeV to MeV in Double, rounded once to float32.
                let mev = batch.incidentEnergy.map { Float(Double($0) * format.energyUnitsPerGeV) }
                if let i = mev.firstIndex(where: { !$0.isFinite }) {
                    throw CaloDataError.invalidValue(path: path, dataset: format.energyDataset, event: count + i, index: 0,
                                                     value: mev[i], problem: .infinite)
                }
                try mev.withUnsafeBufferPointer { try f.appendRows(format.energyDataset, from: $0, rowCount: n) }
                try batch.voxels.storage.withUnsafeBufferPointer {
                    try f.appendRows(ShowerFileFormat.flatShowers, from: $0, rowCount: n)
                }
            }
            count += n
        } catch {
            abort()
            throw error
        }
    }

    /// Appends events `range` of `reader`'s file unchanged: every layout dataset's float32 rows
    /// are copied as stored (no unit conversion, so a flat file's MeV energies keep their bits),
    /// after the same content checks as `append` (finite, non-negative, incident energy > 0).
    /// The reader must have this writer's layout and geometry and float32 datasets (what
    /// `ShowerFileWriter` writes). Memory: one dataset's rows of `range` at a time, so callers
    /// copy a large file in slices (`ShowerFileReader.streamingBatchSize`). On failure the writer aborts.
    public func appendRows(of reader: ShowerFileReader, _ range: Range<Int>) throws {
        guard let f = file else { throw CaloDataError.writerClosed(path: path) }
        do {
            guard reader.format == format, reader.geometry.hasSameVoxels(as: geometry) else {
                throw CaloDataError.geometryMismatch(path: reader.path, detail: "its showers (\(reader.format.rawValue) layout, \(reader.geometry.name)) "
                    + "cannot be copied into \(path) (\(format.rawValue) layout, \(geometry.name))")
            }
            guard range.lowerBound >= 0, range.upperBound <= reader.count else {
                throw CaloDataError.invalidRequest(path: reader.path, object: "/",
                                                   detail: "events \(range.lowerBound)..<\(range.upperBound) requested, the file has \(reader.count)")
            }
            let n = range.count
            if n == 0 { return }
            for name in format.datasetNames {
                let info = reader.datasets[name]!
                guard info.elementType == .float32 else {
                    throw CaloDataError.unsupportedType(path: reader.path, object: "/" + name, found: info.elementType.description,
                                                        expected: "float32 (as caloflow writes it) for an unchanged copy")
                }
                let rowValues = info.shape.dropFirst().reduce(1, *)
                layerScratch.removeAll(keepingCapacity: true)
                layerScratch.append(contentsOf: repeatElement(0, count: n * rowValues))
                try layerScratch.withUnsafeMutableBufferPointer { try reader.file.readRows(name, range, into: $0) }
                let isEnergy = name == format.energyDataset
                for (i, v) in layerScratch.enumerated() where !(v.isFinite && (isEnergy ? v > 0 : v >= 0)) {
                    let problem: CaloDataError.ValueProblem = v.isNaN ? .nan : !v.isFinite ? .infinite : v < 0 ? .negative : .zero
                    throw CaloDataError.invalidValue(path: reader.path, dataset: name, event: range.lowerBound + i / rowValues,
                                                     index: i % rowValues, value: v, problem: problem)
                }
                try layerScratch.withUnsafeBufferPointer { try f.appendRows(name, from: $0, rowCount: n) }
            }
            count += n
        } catch {
            abort()
            throw error
        }
    }

    /// Writes the attributes, closes the file and renames it onto `path`.
    public func finish() throws {
        guard let f = file else { throw CaloDataError.writerClosed(path: path) }
        do {
            typealias K = ShowerFileLayout.AttributeName
            try f.setAttribute(K.units, .string(format.units))
            if let p = metadata.particle { try f.setAttribute(K.particle, .string(p)) }
            if let g = metadata.generator { try f.setAttribute(K.generator, .string(g)) }
            if let s = metadata.seed {
                try f.setAttribute(K.seed, s <= UInt64(Int64.max) ? .int64(Int64(s)) : .string(String(s)))
            }
            if let v = metadata.appVersion { try f.setAttribute(K.appVersion, .string(v)) }
            try f.setAttribute(K.created, .string(metadata.creationInfo ?? ShowerFileMetadata.utcTimestamp()))
            try f.setAttribute(K.geometry, .string(geometry.name))
            if !geometry.isBuiltIn { try f.setAttribute(K.geometryBinning, .string(try geometry.encodeRecord())) }
            let reserved: Set<String> = [K.units, K.particle, K.generator, K.seed, K.appVersion, K.created, K.geometry, K.geometryBinning]
            for (k, v) in metadata.extra.sorted(by: { $0.key < $1.key }) where !reserved.contains(k) {
                try f.setAttribute(k, .string(v))
            }
            try f.close()
            file = nil
            try destination.commit()
        } catch {
            abort()
            throw error
        }
    }

    /// Stops writing and removes the temporary file; `path` is not touched. Safe to call twice.
    public func abort() {
        if let f = file { try? f.close() }
        file = nil
        destination.discard()
    }
}
