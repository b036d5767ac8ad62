/// Streams showers into a shower file (CaloGAN layout, or the flat one: `ShowerFileFormat`), atomically.
///
/// The file is written under a temporary name in the target's directory
/// (`<path>.tmp-<pid>-<n>`, see `AtomicFileDestination`): float32 datasets in exactly the
/// layout's shapes (a flat file gets E_inc in MeV and no overflow), chunked (`chunkEvents` events per chunk), gzip, extensible along the event
/// axis. `append` validates each batch (finite, non-negative) before writing; `finish()` writes the
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

    private let destination: AtomicFileDestination
    private var file: HDF5File?
    /// One layer of the batch being appended, contiguous.
    private var layerScratch = [Float]()

    // MARK: - Create

    /// Starts a file for `path`. `chunkEvents` events per chunk (512 keeps every chunk under the
    /// 1 MiB default chunk cache), gzip level `gzipLevel` (0-9). Unless `replaceExisting`,
    /// `finish()` refuses to replace a file that exists at `path` by then (`outputExists`).
    ///
    /// No byte shuffle: most voxels of a shower are exact zeros, and gzip alone packs such data
    /// smaller and faster than shuffle + gzip (README, "File formats and units").
    public init(path: String, metadata: ShowerFileMetadata = ShowerFileMetadata(),
                chunkEvents: Int = 512, gzipLevel: Int = 4, format: ShowerFileFormat = .calogan,
                replaceExisting: Bool = false) throws {
        self.path = path
        self.metadata = metadata
        self.format = format
        guard chunkEvents > 0 else {
            throw CaloDataError.invalidRequest(path: path, object: "/", detail: "chunkEvents must be positive, got \(chunkEvents)")
        }
        destination = try AtomicFileDestination(path: path, replaceExisting: replaceExisting)
        do {
            let f = try HDF5File(path: destination.temporaryPath, mode: .create(overwrite: true))
            for name in format.datasetNames {
                let rowShape = format.eventShapes[name]!
                try f.createDataset(name, type: .float32, shape: [0] + rowShape,
                                    options: .streaming(gzipLevel: gzipLevel, shuffle: false, chunkRows: chunkEvents, rowShape: rowShape))
            }
            file = f
        } catch {
            destination.discard()
            throw error
        }
    }

    deinit { abort() }

    // MARK: - Write

    /// Validates `batch` and appends it. On any failure the writer aborts (temporary file removed)
    /// and the error names the offending event by its index in the file being written.
    public func append(_ batch: ShowerBatch) throws {
        guard let f = file else { throw CaloDataError.writerClosed(path: path) }
        do {
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
            let reserved: Set<String> = [K.units, K.particle, K.generator, K.seed, K.appVersion, K.created]
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
