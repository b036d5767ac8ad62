import CaloData
import CaloTensor

/// What a model was trained on, stored in its checkpoints (`training_data` attribute).
public struct TrainingDataSummary: Codable, Sendable, Equatable {
    public var file: String
    public var particle: String
    public var events: Int
    public var trainingEvents: Int
    public var validationEvents: Int
    /// Incident-energy range of the training file, GeV (generation defaults to it).
    public var minimumEnergyGeV: Double
    public var maximumEnergyGeV: Double
    public var splitSeed: UInt64
    /// What the training file's cells hold ("active" or "total", its `deposit` attribute), when
    /// it says; generated files inherit it.
    public var deposit: String?

    public init(file: String, particle: String, events: Int, trainingEvents: Int, validationEvents: Int,
                minimumEnergyGeV: Double, maximumEnergyGeV: Double, splitSeed: UInt64, deposit: String? = nil) {
        self.file = file
        self.particle = particle
        self.events = events
        self.trainingEvents = trainingEvents
        self.validationEvents = validationEvents
        self.minimumEnergyGeV = minimumEnergyGeV
        self.maximumEnergyGeV = maximumEnergyGeV
        self.splitSeed = splitSeed
        self.deposit = deposit
    }

    enum CodingKeys: String, CodingKey {
        case file, particle, events, deposit
        case trainingEvents = "training_events", validationEvents = "validation_events"
        case minimumEnergyGeV = "min_energy_gev", maximumEnergyGeV = "max_energy_gev", splitSeed = "split_seed"
    }
}

/// The seeded division of a file's showers into training and validation showers: a function of
/// the event count, the validation fraction and the seed only, so every process of a
/// data-parallel training computes the same split without reading any shower.
public struct TrainingSplit: Sendable, Equatable {
    /// Events the split covers (the file's, or its first `maxEvents`).
    public let events: Int
    /// File rows of the training showers, increasing.
    public let trainIndices: [Int]
    /// File rows of the validation showers, increasing.
    public let validationIndices: [Int]
    /// The seed of the split.
    public let seed: UInt64

    /// - Throws: `PipelineError.notEnoughData` when the split leaves fewer than two training or
    ///   no validation showers.
    public init(events n: Int, validationFraction: Double, seed: UInt64, file: String) throws {
        let nValidation = Int((Double(n) * validationFraction).rounded())
        guard n - nValidation >= 2, nValidation >= 1 else {
            throw PipelineError.notEnoughData("\(file): \(n) showers are too few to train on (need at least a few for training and one for validation)")
        }
        var rng = Xoshiro256(seed: seed, stream: RandomStreams.split)
        let order = rng.permutation(n)
        events = n
        self.seed = seed
        validationIndices = Array(order[0..<nValidation]).sorted()
        trainIndices = Array(order[nValidation...]).sorted()
    }
}

/// Showers held in memory for training (a 100k-shower file is about 200 MB), with a seeded
/// train/validation split (`TrainingSplit`). Showers of any geometry with voxels in every layer
/// (`requireTrainable`): CaloGAN, dataset 1, or a binning file's.
///
/// A process of a data-parallel training loads only the file rows its shards and validation
/// chunks use (`rows:`), read as hyperslabs; indices stay file rows throughout, and `gather`
/// refuses a row that was not loaded. The incident energies of all events are read (4 bytes
/// each) so every process knows the file's energy range.
public final class TrainingData: @unchecked Sendable {
    /// The showers' geometry (the flows' L layers and D voxels).
    public let geometry: CalorimeterGeometry
    /// Incident energies of every event of the split [N], GeV.
    public let incidentGeV: [Float]
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    public let summary: TrainingDataSummary
    /// The loaded file rows, increasing and disjoint, and the voxels of their showers in that
    /// order [Σ rows, D], MeV.
    public let loadedRanges: [Range<Int>]
    let voxels: Matrix
    private let firstLocalRow: [Int]

    /// Reads (and validates) `path`; `maxEvents` 0 means all. The split depends only on `seed`.
    /// The summary records the file's absolute path, so a later `distill` finds it from any
    /// working directory.
    /// `geometry` is the geometry the caller expects the file to hold (nil: the file's own).
    /// - Parameter rows: the file rows to load, given the split (nil: all).
    public convenience init(path: String, maxEvents: Int, validationFraction: Double, seed: UInt64,
                            geometry: CalorimeterGeometry? = nil, rows: ((TrainingSplit) throws -> [Range<Int>])? = nil) throws {
        let reader = try ShowerFileReader(path: path, maxEvents: maxEvents > 0 ? maxEvents : nil, geometry: geometry)
        try Self.requireTrainable(reader.geometry, file: path)
        let file = FileSystem.absolutePath(path)
        let split = try TrainingSplit(events: reader.count, validationFraction: validationFraction, seed: seed, file: file)
        let particle = reader.metadata.particle ?? "unknown"
        let deposit = reader.metadata.extra[ShowerFileLayout.AttributeName.deposit]
        guard let rows else {
            try self.init(batch: try reader.readAll(), split: split, file: file, particle: particle, deposit: deposit)
            return
        }
        let ranges = Self.normalized(try rows(split), limit: reader.count)
        let energies = try reader.readIncidentEnergies()
        try ShowerFileReader.checkMemory(path: path, events: ranges.reduce(0) { $0 + $1.count }, geometry: reader.geometry)
        let parts = try ranges.map { try reader.read($0).voxels }
        try self.init(energies: energies, ranges: ranges, voxels: parts.isEmpty ? Matrix(rows: 0, cols: reader.geometry.voxelCount)
                                                                                 : Matrix.vstack(parts),
                      split: split, file: file, particle: particle, deposit: deposit, geometry: reader.geometry)
    }

    /// Wraps showers already in memory (all rows loaded). Every incident energy must lie in
    /// `ShowerValidation.supportedIncidentEnergyGeV`.
    public convenience init(batch: ShowerBatch, file: String, particle: String, validationFraction: Double, seed: UInt64,
                            deposit: String? = nil) throws {
        let split = try TrainingSplit(events: batch.count, validationFraction: validationFraction, seed: seed, file: file)
        try self.init(batch: batch, split: split, file: file, particle: particle, deposit: deposit)
    }

    /// `batch` restricted to the file rows `rows` of `split` (the others are dropped), as a
    /// process of a data-parallel training holds them.
    public convenience init(batch: ShowerBatch, file: String, particle: String, validationFraction: Double, seed: UInt64,
                            deposit: String? = nil, rows: (TrainingSplit) throws -> [Range<Int>]) throws {
        try Self.requireTrainable(batch.geometry, file: file)
        let split = try TrainingSplit(events: batch.count, validationFraction: validationFraction, seed: seed, file: file)
        let ranges = Self.normalized(try rows(split), limit: batch.count)
        let parts = ranges.map { batch.voxels.rows($0) }
        try self.init(energies: batch.incidentEnergy, ranges: ranges,
                      voxels: parts.isEmpty ? Matrix(rows: 0, cols: batch.geometry.voxelCount) : Matrix.vstack(parts),
                      split: split, file: file, particle: particle, deposit: deposit, geometry: batch.geometry)
    }

    private convenience init(batch: ShowerBatch, split: TrainingSplit, file: String, particle: String, deposit: String?) throws {
        try Self.requireTrainable(batch.geometry, file: file)
        try self.init(energies: batch.incidentEnergy, ranges: batch.count > 0 ? [0..<batch.count] : [], voxels: batch.voxels,
                      split: split, file: file, particle: particle, deposit: deposit, geometry: batch.geometry)
    }

    private init(energies: [Float], ranges: [Range<Int>], voxels: Matrix, split: TrainingSplit, file: String, particle: String,
                 deposit: String?, geometry: CalorimeterGeometry) throws {
        self.geometry = geometry
        let supported = ShowerValidation.supportedIncidentEnergyGeV
        for (i, e) in energies.enumerated() where !supported.contains(Double(e)) {
            throw PipelineError.invalidData("\(file): event \(i) has incident energy \(e) GeV, outside the range caloflow models "
                                            + "(\(supported.lowerBound) to \(Int(supported.upperBound)) GeV); check the units "
                                            + "(the CaloGAN layout stores E_inc in GeV) or leave such showers out")
        }
        incidentGeV = energies
        trainIndices = split.trainIndices
        validationIndices = split.validationIndices
        loadedRanges = ranges
        self.voxels = voxels
        var first = [Int](), at = 0
        for r in ranges { first.append(at); at += r.count }
        firstLocalRow = first
        let lo = energies.min() ?? 0, hi = energies.max() ?? 0
        summary = TrainingDataSummary(file: file, particle: particle, events: split.events, trainingEvents: split.trainIndices.count,
                                      validationEvents: split.validationIndices.count, minimumEnergyGeV: Double(lo),
                                      maximumEnergyGeV: Double(hi), splitSeed: split.seed, deposit: deposit)
    }

    /// Sorted, merged ranges within 0..<limit.
    static func normalized(_ ranges: [Range<Int>], limit: Int) -> [Range<Int>] {
        let clipped = ranges.map { max(0, $0.lowerBound)..<min(limit, max(0, $0.upperBound)) }.filter { !$0.isEmpty }
            .sorted { $0.lowerBound < $1.lowerBound }
        var out = [Range<Int>]()
        for r in clipped {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// Number of showers whose voxels are in memory.
    public var loadedCount: Int { voxels.rows }

    /// The most voxels a CaloFlow Flow II over all voxels is built for here: dataset 1 (368 /
    /// 533) and CaloGAN (504) fit; datasets 2 and 3 (6480 / 40,500 voxels) need iCaloFlow's
    /// layer-by-layer flows (a 6480-feature MADE would hold about 2 GB of weights per block).
    public static let maximumVoxels = 2048

    /// Throws `PipelineError.unsupportedGeometry` unless showers of `geometry` can be trained
    /// on: CaloFlow's Flow I needs at least two layers, Flow II at most `maximumVoxels` voxels,
    /// and a finer geometry is modelled layer by layer (`LayerFlowLayout`), which needs every
    /// layer to have the same number of voxels (datasets 2 and 3 do).
    public static func requireTrainable(_ geometry: CalorimeterGeometry, file: String) throws {
        guard geometry.layerCount < 2 || (geometry.voxelCount > maximumVoxels && !LayerFlowLayout.uses(geometry)) else { return }
        let why = geometry.layerCount < 2
            ? "CaloFlow's Flow I models how the energy splits over the layers and needs at least two layers with voxels"
            : "CaloFlow's Flow II over all voxels is built for at most \(maximumVoxels) voxels (CaloGAN 504, dataset 1 368 / 533), "
              + "and iCaloFlow's layer-by-layer flow for finer geometries needs the same number of voxels in every layer "
              + "(datasets 2 and 3: 144 / 900), but the layers hold \(geometry.layerSizes.map(String.init).joined(separator: ", ")) voxels"
        throw PipelineError.unsupportedGeometry(
            "\(file) holds showers of the geometry \(geometry.name) (\(geometry.title), \(geometry.layerCount) layers, "
            + "\(geometry.voxelCount) voxels); \(why). Showers of every geometry "
            + "(\(CalorimeterGeometry.builtInNames.joined(separator: ", ")) or a CaloChallenge binning file) can be inspected "
            + "with 'caloflow info' and re-chunked or converted with 'caloflow convert'")
    }

    /// The row of `voxels` holding file row `index`, or nil when it was not loaded.
    func localRow(_ index: Int) -> Int? {
        var lo = 0, hi = loadedRanges.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2, r = loadedRanges[mid]
            if index < r.lowerBound { hi = mid - 1 } else if index >= r.upperBound { lo = mid + 1 } else {
                return firstLocalRow[mid] + index - r.lowerBound
            }
        }
        return nil
    }

    /// Voxels [B, D] (MeV) and incident energies of the given showers (file rows, loaded), with
    /// U[0, noise) added to every voxel from `noiseRNG` when given.
    public func gather(_ indices: [Int], preprocessing: Preprocessing, noiseRNG: inout Xoshiro256?) -> (voxels: Matrix, incidentGeV: [Float]) {
        let local = indices.map { i -> Int in
            // fatalError, not preconditionFailure: it must trap in -Ounchecked builds too, where an
            // unloaded row would otherwise read outside the voxel storage.
            guard let r = localRow(i) else { fatalError("shower \(i) of the training file was not loaded by this process") }
            return r
        }
        var v = voxels.gatherRows(local)
        if var rng = noiseRNG {
            preprocessing.addNoise(toVoxelsMeV: &v, rng: &rng)
            noiseRNG = rng
        }
        return (v, indices.map { incidentGeV[$0] })
    }
}

/// Which preprocessed inputs a flow trains on.
public enum FlowStage: String, Codable, Sendable, CaseIterable {
    case flow1, teacher, student

    /// Flow inputs `x` and context for the training examples `indices` of `data` (file rows;
    /// for the layer flow of a geometry modelled layer by layer, (shower, layer) examples of
    /// `TrainingData.examples(for:)`), noise from `noiseRNG` when given.
    public func inputs(_ data: TrainingData, _ indices: [Int], preprocessing: Preprocessing,
                       noiseRNG: inout Xoshiro256?) -> (x: Matrix, context: Matrix) {
        // A layer flow's indices are (shower, layer) examples, not file rows: they must not
        // reach `gather`, and its noise is drawn per example layer by `layerFlowInputs` alone.
        if self != .flow1, let layout = data.layerLayout {
            return data.layerFlowInputs(indices, layout: layout, preprocessing: preprocessing, noiseRNG: &noiseRNG)
        }
        let (v, e) = data.gather(indices, preprocessing: preprocessing, noiseRNG: &noiseRNG)
        switch self {
        case .flow1:
            let layers = Preprocessing.layerEnergies(voxelsMeV: v, geometry: data.geometry)
            let (t, c) = preprocessing.flowIInputs(layerEnergiesMeV: layers, incidentGeV: e)
            return (t, c)
        case .teacher, .student:
            let (x, c, _) = preprocessing.flowIIInputs(voxelsMeV: v, incidentGeV: e, geometry: data.geometry)
            return (x, c)
        }
    }
}

/// Stream numbers of the seeded generators, so every random draw of a run is a pure function
/// of (seed, purpose, epoch, batch) and resuming or changing the batch split reproduces it.
public enum RandomStreams {
    public static let split: UInt64 = 1
    public static let validationNoise: UInt64 = 2
    public static let initialization: UInt64 = 3
    public static let generation: UInt64 = 4

    /// Stream for (purpose, epoch, batch) within a stage.
    public static func training(stage: FlowStage, purpose: UInt64, epoch: Int, batch: Int) -> UInt64 {
        let s = UInt64(FlowStage.allCases.firstIndex(of: stage)!)
        return (1 << 62) | (s << 56) | (purpose << 48) | (UInt64(epoch) << 24) | UInt64(batch)
    }

    /// Stream of generated shower `index` (< 2^56, counted from the first shower of a run):
    /// its Flow I and Flow II latent codes (see `ShowerLatents`).
    public static func generation(shower index: UInt64) -> UInt64 {
        (generation << 56) | (index & ((1 << 56) - 1))
    }

    public static let shuffle: UInt64 = 1, noise: UInt64 = 2, dropout: UInt64 = 3, latent: UInt64 = 4, conditions: UInt64 = 5

    /// Limits of `shard(...)`: shards per step, epochs and steps per epoch.
    public static let maximumShards = 1 << 15
    public static let maximumEpochs = (1 << 18) - 1
    public static let maximumStepsPerEpoch = 1 << 23

    /// Stream of one gradient shard's draws for `purpose` in step `step` of `epoch` (see
    /// `ShardPlan`): bit 63 set, then 3 bits of stage, 4 of purpose, 18 of epoch, 23 of step and
    /// 15 of shard, so no two (stage, purpose, epoch, step, shard) share a stream.
    public static func shard(stage: FlowStage, purpose: UInt64, epoch: Int, step: Int, shard: Int) -> UInt64 {
        let s = UInt64(FlowStage.allCases.firstIndex(of: stage)!)
        return (1 << 63) | (s << 60) | ((purpose & 0xF) << 56) | ((UInt64(epoch) & 0x3_FFFF) << 38)
            | ((UInt64(step) & 0x7F_FFFF) << 15) | (UInt64(shard) & 0x7FFF)
    }

    /// Stream of the held-out showers' chunk `chunk` for `purpose` (fixed over the whole run, so
    /// every epoch's validation sees the same noise and latent codes).
    public static func validation(stage: FlowStage, purpose: UInt64, chunk: Int) -> UInt64 {
        shard(stage: stage, purpose: purpose, epoch: maximumEpochs, step: chunk, shard: 0)
    }
}

/// Errors of the training and generation pipeline.
public enum PipelineError: Error, CustomStringConvertible {
    case notEnoughData(String)
    case invalidData(String)
    case nonFiniteLoss(stage: String, epoch: Int, step: Int, value: Double)
    case modelMismatch(String)
    case runDirectory(String)
    /// Showers of a geometry the pipeline cannot model, or of another geometry than the model's.
    case unsupportedGeometry(String)

    public var description: String {
        switch self {
        case .notEnoughData(let m), .invalidData(let m), .modelMismatch(let m), .runDirectory(let m), .unsupportedGeometry(let m): return m
        case .nonFiniteLoss(let stage, let epoch, let step, let value):
            return "\(stage): the training loss became \(value) at epoch \(epoch), step \(step); training stopped "
                + "and the last good checkpoint was kept (try a lower learning rate or gradient clipping)"
        }
    }
}
