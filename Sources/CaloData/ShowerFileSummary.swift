import Foundation

/// What `caloflow info` prints about a shower file: layout, geometry, storage, metadata and
/// per-event statistics (per-layer energy sums with their share of the total), computed in one
/// streaming pass (one batch in memory, `ShowerFileReader.streamingBatchSize`). Reading
/// validates the file like `ShowerFileReader` does, so a summary is also a full check of the file.
public struct ShowerFileSummary: Sendable, CustomStringConvertible {
    /// One dataset's layout.
    public struct DatasetEntry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var elementType: HDF5ElementType
        /// e.g. "chunked (512, 3, 96), shuffle + gzip 4".
        public var storage: String
    }

    public var path: String
    /// Events in the file.
    public var events: Int
    /// Events the statistics cover (a prefix when `maxEvents` was given).
    public var eventsSummarized: Int
    /// The file's layout.
    public var format: ShowerFileFormat
    /// The geometry of the showers.
    public var geometry: CalorimeterGeometry
    /// The layout's datasets in layout order.
    public var datasets: [DatasetEntry]
    public var metadata: ShowerFileMetadata
    /// All root attributes as text.
    public var attributes: [String: String]
    public var statistics: ShowerStatistics

    // MARK: - Compute

    /// Reads `path` in batches of at most `batchSize` showers (fewer for wide showers, see
    /// `ShowerFileReader.streamingBatchSize`; at most `maxEvents` events) and summarises it.
    /// `geometry` is the geometry the caller expects (nil: the file's own, `ShowerFileReader`).
    public init(path: String, batchSize: Int = 10_000, maxEvents: Int? = nil, geometry: CalorimeterGeometry? = nil) throws {
        let reader = try ShowerFileReader(path: path, maxEvents: maxEvents, geometry: geometry)
        var stats = ShowerStatistics(geometry: reader.geometry)
        try reader.forEachBatch(size: reader.streamingBatchSize(preferred: batchSize)) { batch, _ in stats.add(batch) }
        self.path = path
        events = reader.eventsInFile
        eventsSummarized = reader.count
        format = reader.format
        self.geometry = reader.geometry
        datasets = reader.format.datasetNames.map { n in
            let i = reader.datasets[n]!
            return DatasetEntry(name: n, shape: i.shape, elementType: i.elementType, storage: i.storageDescription)
        }
        metadata = reader.metadata
        attributes = reader.attributes
        statistics = stats
    }

    // MARK: - Render

    /// Human-readable report, one line per entry.
    public var lines: [String] {
        let s = statistics
        var out = ["file: \(path)", "events: \(events)" + (eventsSummarized < events ? " (statistics over the first \(eventsSummarized))" : "")]
        out += geometry.summaryLines(datasetFacts: false)
        out.append("datasets (\(format == .calogan ? "CaloGAN layout" : "flat layout, energies in MeV")):")
        let width = datasets.map(\.name.count).max() ?? 9
        for d in datasets {
            out.append("  \(d.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(CaloDataError.shape(d.shape)) \(d.elementType), \(d.storage)")
        }
        out.append("units: \(metadata.units ?? "(not stated)")")
        out.append("particle: \(metadata.particle ?? "(not stated)")")
        out.append("generator: \(metadata.generator ?? "(not stated)")")
        out.append("seed: \(metadata.seed.map { String($0) } ?? metadata.extra["seed"] ?? "(not stated)")")
        if let v = metadata.appVersion { out.append("app version: \(v)") }
        if let c = metadata.creationInfo { out.append("created: \(c)") }
        for (k, v) in metadata.extra.sorted(by: { $0.key < $1.key }) where k != "seed" { out.append("\(k): \(v)") }
        guard s.events > 0 else { out.append("statistics: no events"); return out }
        out.append("E_inc [GeV]: min \(f(s.incidentEnergy.min)), max \(f(s.incidentEnergy.max)), mean \(f(s.incidentEnergy.mean))")
        // Each layer's share of the cell energy: on one line for a few layers, else on the layer's own line.
        let shares = s.layerShares, sharesOnOneLine = geometry.layerCount <= 7
        for (l, layer) in geometry.layers.enumerated() {
            let name = l == layer.id ? "layer \(l)" : "layer \(l) (detector layer \(layer.id))"
            out.append("\(name) energy [MeV]: mean \(f(s.layerEnergy[l].mean)), std \(f(s.layerEnergy[l].standardDeviation))"
                       + (sharesOnOneLine ? "" : ", \(f(100 * shares[l]))% of the cell energy")
                       + "; non-zero voxels: \(f(100 * s.nonzeroFraction[l].mean))%")
        }
        out.append("cell energy [MeV]: mean \(f(s.totalEnergy.mean)), std \(f(s.totalEnergy.standardDeviation))")
        if sharesOnOneLine, s.totalEnergy.mean > 0 {
            out.append("layer shares of the cell energy [%]: " + shares.map { f(100 * $0) }.joined(separator: " / "))
        }
        if s.depositedFraction.count > 0 {
            let kind: String
            switch metadata.extra[ShowerFileLayout.AttributeName.deposit] {
            case "active" where metadata.extra[ShowerFileLayout.AttributeName.depositNote]?.contains("calibrated") == true:
                kind = "deposit calibrated to the EM scale in the cells"
            case "active": kind = geometry.isCaloGAN ? "active (liquid-argon) deposit in the cells" : "active-layer deposit in the cells"
            case "total": kind = geometry.isCaloGAN ? "total (lead + argon) deposit in the cells" : "total (absorber + active) deposit in the cells"
            default: kind = "energy in the cells"
            }
            out.append("\(kind) / E_inc: mean \(f(s.depositedFraction.mean)), std \(f(s.depositedFraction.standardDeviation))")
        }
        if !s.overflow.isEmpty { out.append("overflow mean [MeV]: " + s.overflow.map { f($0.mean) }.joined(separator: ", ")) }
        return out
    }

    public var description: String { lines.joined(separator: "\n") }

    /// Four significant digits, plain notation for ordinary magnitudes.
    private func f(_ x: Double) -> String { String(format: "%.4g", x) }
}
