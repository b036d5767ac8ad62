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

/// Showers held in memory for training (a 100k-shower file is about 200 MB), with a seeded
/// train/validation split. CaloGAN showers only at this version (`requireTrainable`).
public final class TrainingData: @unchecked Sendable {
    /// The showers' geometry (CaloGAN).
    public let geometry: CalorimeterGeometry
    /// Voxel energies [N, 504], MeV.
    public let voxels: Matrix
    /// Incident energies [N], GeV.
    public let incidentGeV: [Float]
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    public let summary: TrainingDataSummary

    /// Reads (and validates) `path`; `maxEvents` 0 means all. The split depends only on `seed`.
    /// The summary records the file's absolute path, so a later `distill` finds it from any
    /// working directory.
    /// `geometry` is the geometry the caller expects the file to hold (nil: the file's own).
    public convenience init(path: String, maxEvents: Int, validationFraction: Double, seed: UInt64,
                            geometry: CalorimeterGeometry? = nil) throws {
        let reader = try ShowerFileReader(path: path, maxEvents: maxEvents > 0 ? maxEvents : nil, geometry: geometry)
        try Self.requireTrainable(reader.geometry, file: path)
        let batch = try reader.readAll()
        try self.init(batch: batch, file: FileSystem.absolutePath(path), particle: reader.metadata.particle ?? "unknown",
                      validationFraction: validationFraction, seed: seed,
                      deposit: reader.metadata.extra[ShowerFileLayout.AttributeName.deposit])
    }

    /// Wraps showers already in memory. Every incident energy must lie in
    /// `ShowerValidation.supportedIncidentEnergyGeV`.
    public init(batch: ShowerBatch, file: String, particle: String, validationFraction: Double, seed: UInt64,
                deposit: String? = nil) throws {
        try Self.requireTrainable(batch.geometry, file: file)
        geometry = batch.geometry
        let n = batch.count
        let nValidation = Int((Double(n) * validationFraction).rounded())
        guard n - nValidation >= 2, nValidation >= 1 else {
            throw PipelineError.notEnoughData("\(file): \(n) showers are too few to train on (need at least a few for training and one for validation)")
        }
        var rng = Xoshiro256(seed: seed, stream: RandomStreams.split)
        let order = rng.permutation(n)
        validationIndices = Array(order[0..<nValidation]).sorted()
        trainIndices = Array(order[nValidation...]).sorted()
        voxels = batch.voxels
        incidentGeV = batch.incidentEnergy
        let lo = batch.incidentEnergy.min() ?? 0, hi = batch.incidentEnergy.max() ?? 0
        let supported = ShowerValidation.supportedIncidentEnergyGeV
        for (i, e) in batch.incidentEnergy.enumerated() where !supported.contains(Double(e)) {
            throw PipelineError.invalidData("\(file): event \(i) has incident energy \(e) GeV, outside the range caloflow models "
                                            + "(\(supported.lowerBound) to \(Int(supported.upperBound)) GeV); check the units "
                                            + "(the CaloGAN layout stores E_inc in GeV) or leave such showers out")
        }
        summary = TrainingDataSummary(file: file, particle: particle, events: n, trainingEvents: trainIndices.count,
                                      validationEvents: validationIndices.count, minimumEnergyGeV: Double(lo),
                                      maximumEnergyGeV: Double(hi), splitSeed: seed, deposit: deposit)
    }

    /// Throws `PipelineError.unsupportedGeometry` unless showers of `geometry` can be trained
    /// on: the CaloFlow models of this version have the CaloGAN geometry's three layers and 504 voxels.
    public static func requireTrainable(_ geometry: CalorimeterGeometry, file: String) throws {
        guard !geometry.isCaloGAN else { return }
        throw PipelineError.unsupportedGeometry(
            "\(file) holds showers of the geometry \(geometry.name) (\(geometry.title), \(geometry.voxelCount) voxels); "
            + "training in this version of caloflow supports the CaloGAN geometry (504 voxels) only. Showers of every geometry "
            + "(\(CalorimeterGeometry.builtInNames.joined(separator: ", ")) or a CaloChallenge binning file) can be inspected "
            + "with 'caloflow info' and re-chunked or converted with 'caloflow convert'")
    }

    /// Voxels [B, 504] (MeV) and incident energies of the given showers, with U[0, noise)
    /// added to every voxel from `noiseRNG` when given.
    public func gather(_ indices: [Int], preprocessing: Preprocessing, noiseRNG: inout Xoshiro256?) -> (voxels: Matrix, incidentGeV: [Float]) {
        var v = voxels.gatherRows(indices)
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

    /// Flow inputs `x` and context for showers of `data` (noise from `noiseRNG` when given).
    public func inputs(_ data: TrainingData, _ indices: [Int], preprocessing: Preprocessing,
                       noiseRNG: inout Xoshiro256?) -> (x: Matrix, context: Matrix) {
        let (v, e) = data.gather(indices, preprocessing: preprocessing, noiseRNG: &noiseRNG)
        switch self {
        case .flow1:
            let layers = Preprocessing.layerEnergies(voxelsMeV: v)
            let (t, c) = preprocessing.flowIInputs(layerEnergiesMeV: layers, incidentGeV: e)
            return (t, c)
        case .teacher, .student:
            let (x, c, _) = preprocessing.flowIIInputs(voxelsMeV: v, incidentGeV: e)
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
