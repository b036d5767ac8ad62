import CaloData
import CaloPipeline
import Synchronization

/// One thread's handle on a shared `InferenceModel`: scratch buffers for up to `maxBatch`
/// showers per pass, allocated once, so a call allocates nothing, starts no thread and calls no
/// BLAS. Use a context from one thread at a time (a call that finds it in use by another
/// thread fails with `.busy` instead of corrupting it); create one per thread.
///
/// Units: incident energies in MeV (as Geant4 counts), cell energies in MeV, `cells` per shower
/// in the file format's order (CaloGAN: 504, layer_0 3x96, layer_1 12x12, layer_2 12x6, each
/// row-major; dataset 1 and other polar geometries: the CaloChallenge voxel order).
public final class InferenceContext: @unchecked Sendable {
    public let model: InferenceModel
    /// Showers per pass; larger requests run in several passes (with the same showers).
    public let maxBatch: Int
    /// The largest batch a context may be created for.
    public static let batchLimit = 4096

    private let workspace: InferenceWorkspace
    private let energies: AlignedBuffer<Float>
    private let latentI: AlignedBuffer<Float>, latentII: AlignedBuffer<Float>
    private let contextI: AlignedBuffer<Float>, contextII: AlignedBuffer<Float>
    private let layerEnergies: AlignedBuffer<Double>
    private let voxelScratch: AlignedBuffer<Double>
    private let inUse = Atomic<Bool>(false)
    /// Layers and cells per shower of the model's geometry (CaloGAN: 3 and 504).
    private let layers: Int
    /// Cells per shower of the model's geometry (`cellCount` for CaloGAN).
    public let cells: Int
    private let caloGAN: Bool
    private let layerRanges: [Range<Int>]
    private let capMeV: Double

    public init(model: InferenceModel, maxBatch: Int) throws {
        guard maxBatch >= 1 && maxBatch <= Self.batchLimit else {
            throw InferenceError.invalidArgument("maximum batch \(maxBatch): use 1...\(Self.batchLimit) showers per pass")
        }
        self.model = model
        self.maxBatch = maxBatch
        workspace = try InferenceWorkspace(flows: [model.flowI, model.flowII], maxBatch: maxBatch)
        energies = try AlignedBuffer(count: maxBatch)
        latentI = try AlignedBuffer(count: maxBatch * model.flowI.stride)
        latentII = try AlignedBuffer(count: maxBatch * model.flowII.stride)
        contextI = try AlignedBuffer(count: maxBatch * paddedToEight(model.flowI.contextFeatures))
        contextII = try AlignedBuffer(count: maxBatch * paddedToEight(model.flowII.contextFeatures))
        layers = model.geometry.layerCount
        cells = model.geometry.voxelCount
        caloGAN = model.geometry.isCaloGAN
        layerRanges = model.geometry.layerRanges
        capMeV = Preprocessing.voxelCapMeV(model.geometry)
        layerEnergies = try AlignedBuffer(count: layers * maxBatch)
        voxelScratch = try AlignedBuffer(count: cells)
    }

    /// Bytes of scratch this context holds.
    public var scratchBytes: Int {
        workspace.bytes + energies.bytes + latentI.bytes + latentII.bytes + contextI.bytes + contextII.bytes
            + layerEnergies.bytes + voxelScratch.bytes
    }

    /// Cells per CaloGAN shower (504); `cells` is the model's (dataset 1: 368 / 533).
    public static let cellCount = CaloGANGeometry.voxelCount

    // MARK: - Generation

    /// `count` showers for incident energies (MeV) with the latent codes of showers
    /// `firstShower ..< firstShower + count` of a `caloflow generate --seed seed` run, into
    /// `output` (capacity in floats, at least `cells` · count). On error nothing is written.
    public func generate(incidentEnergiesMeV: UnsafePointer<Double>, count: Int, seed: UInt64, firstShower: UInt64,
                         output: UnsafeMutablePointer<Float>, capacity: Int) throws {
        try check(incidentEnergiesMeV, count: count, output: capacity)
        guard firstShower < ShowerLatents.indexLimit, UInt64(count) <= ShowerLatents.indexLimit - firstShower else {
            throw InferenceError.invalidArgument("shower indices \(firstShower)..<\(firstShower)+\(count) exceed the 2^56 random streams")
        }
        try exclusively {
            run(incidentEnergiesMeV, count: count, output: output) { b, shower, z1, z2 in
                ShowerLatents.fill(seed: seed, shower: firstShower + UInt64(shower), flowI: z1, flowII: z2)
            }
        }
    }

    /// `count` showers from caller-supplied latent codes: `latentSize` (CaloGAN 507) standard-normal
    /// values per shower, Flow I's L first, then the student's D (`latentCount` floats given).
    public func generate(incidentEnergiesMeV: UnsafePointer<Double>, count: Int, latent: UnsafePointer<Float>, latentCount: Int,
                         output: UnsafeMutablePointer<Float>, capacity: Int) throws {
        try check(incidentEnergiesMeV, count: count, output: capacity)
        let per = model.latentSize
        guard latentCount >= count * per else {
            throw InferenceError.bufferTooSmall("the latent buffer holds \(latentCount) floats; \(count) showers need \(count * per) (\(per) each)")
        }
        for i in 0..<(count * per) where !latent[i].isFinite {
            throw InferenceError.latent("latent value \(i % per) of shower \(i / per) is \(latent[i]); latent codes must be finite")
        }
        try exclusively {
            let n1 = model.flowILatentSize, n2 = model.flowIILatentSize
            run(incidentEnergiesMeV, count: count, output: output) { _, shower, z1, z2 in
                let source = latent + shower * per
                z1.baseAddress!.update(from: source, count: n1)
                z2.baseAddress!.update(from: source + n1, count: n2)
            }
        }
    }

    // MARK: - Checks

    private func check(_ energiesMeV: UnsafePointer<Double>, count: Int, output capacity: Int) throws {
        guard count >= 0 else { throw InferenceError.invalidArgument("shower count \(count) is negative") }
        let needed = count.multipliedReportingOverflow(by: cells)
        guard !needed.overflow else { throw InferenceError.invalidArgument("shower count \(count) is too large") }
        guard capacity >= needed.partialValue else {
            throw InferenceError.bufferTooSmall("the output buffer holds \(capacity) floats; \(count) showers need \(needed.partialValue) (\(cells) cells each)")
        }
        let range = model.energyRangeGeV
        for i in 0..<count {
            let e = energiesMeV[i]
            guard e.isFinite && e > 0 else {
                throw InferenceError.energy("incident energy \(i) is \(e) MeV; energies must be positive and finite (MeV)")
            }
            let gev = Double(Float(e / 1000))
            guard range.contains(gev) else {
                throw InferenceError.energy("incident energy \(i) is \(e) MeV, outside the model's training range "
                                            + "\(model.energyRangeText) (ModelTrigger should check caloflow_model_energy_range)")
            }
        }
    }

    /// Runs `body` while holding the context; `.busy` when another thread holds it.
    private func exclusively(_ body: () throws -> Void) throws {
        guard inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            throw InferenceError.busy("this context is in use by another thread; create one context per thread")
        }
        defer { inUse.store(false, ordering: .releasing) }
        try body()
    }

    /// Marks the context in use as another thread would (tests of the `.busy` error).
    public func withContextHeld<R>(_ body: () throws -> R) throws -> R {
        guard inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            throw InferenceError.busy("this context is in use by another thread; create one context per thread")
        }
        defer { inUse.store(false, ordering: .releasing) }
        return try body()
    }

    // MARK: - Passes

    /// Generates `count` checked showers in passes of at most `maxBatch`; `latent(b, shower,
    /// z1, z2)` fills the latent codes of the pass's shower b (index `shower` in the request).
    @inline(__always)
    private func run(_ energiesMeV: UnsafePointer<Double>, count: Int, output: UnsafeMutablePointer<Float>,
                     latent: (Int, Int, UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) {
        var start = 0
        while start < count {
            let n = min(maxBatch, count - start)
            let s1 = model.flowI.stride, s2 = model.flowII.stride
            for b in 0..<n {
                energies.pointer[b] = Float(energiesMeV[start + b] / 1000)
                latent(b, start + b,
                       UnsafeMutableBufferPointer(start: latentI.pointer + b * s1, count: model.flowILatentSize),
                       UnsafeMutableBufferPointer(start: latentII.pointer + b * s2, count: model.flowIILatentSize))
            }
            pass(n, output: output + start * cells)
            start += n
        }
    }

    /// One pass of `n` showers whose energies (GeV) and latent codes are in place.
    private func pass(_ n: Int, output: UnsafeMutablePointer<Float>) {
        let ws = workspace
        let c1 = paddedToEight(model.flowI.contextFeatures), c2 = paddedToEight(model.flowII.contextFeatures)
        for b in 0..<n {
            contextI.pointer[b * c1] = Float(Preprocessing.flowIContext(incidentGeV: Double(energies.pointer[b])))
        }
        let t = model.flowI.sample(latent: latentI.pointer, ldLatent: model.flowI.stride, context: contextI.pointer,
                                   batch: n, workspace: ws)
        let s1 = model.flowI.stride
        if !caloGAN { return genericPass(n, t: t, output: output) }
        for b in 0..<n {
            let e = model.flowIPreprocessing.layerEnergies(fromFlowI: t[b * s1], t[b * s1 + 1], t[b * s1 + 2],
                                                           incidentGeV: energies.pointer[b])
            layerEnergies.pointer[3 * b] = e.0
            layerEnergies.pointer[3 * b + 1] = e.1
            layerEnergies.pointer[3 * b + 2] = e.2
            Preprocessing.flowIIContext(incidentGeV: energies.pointer[b], layerEnergiesMeV: e, into: contextII.pointer + b * c2)
        }
        let x = model.flowII.sample(latent: latentII.pointer, ldLatent: model.flowII.stride, context: contextII.pointer,
                                    batch: n, workspace: ws)
        let s2 = model.flowII.stride
        for b in 0..<n {
            let e = (layerEnergies.pointer[3 * b], layerEnergies.pointer[3 * b + 1], layerEnergies.pointer[3 * b + 2])
            model.preprocessing.voxels(fromFlowII: x + b * s2, layerEnergiesMeV: e, into: output + b * cells,
                                       scratch: voxelScratch.pointer)
        }
    }

    /// The rest of a pass for a geometry other than CaloGAN (L layers, D cells), from Flow I's
    /// samples `t`: the same arithmetic as `ShowerGenerator` (generic `Preprocessing` paths).
    private func genericPass(_ n: Int, t: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let ws = workspace
        let c2 = paddedToEight(model.flowII.contextFeatures), s1 = model.flowI.stride
        for b in 0..<n {
            let e = layerEnergies.pointer + layers * b
            model.flowIPreprocessing.layerEnergies(fromFlowI: t + b * s1, layers: layers, incidentGeV: energies.pointer[b], into: e)
            Preprocessing.flowIIContext(incidentGeV: energies.pointer[b], layerEnergiesMeV: UnsafePointer(e), layers: layers,
                                        into: contextII.pointer + b * c2)
        }
        let x = model.flowII.sample(latent: latentII.pointer, ldLatent: model.flowII.stride, context: contextII.pointer,
                                    batch: n, workspace: ws)
        let s2 = model.flowII.stride
        for b in 0..<n {
            model.preprocessing.voxels(fromFlowII: x + b * s2, layerEnergiesMeV: UnsafePointer(layerEnergies.pointer + layers * b),
                                       layerRanges: layerRanges, capMeV: capMeV, into: output + b * cells, scratch: voxelScratch.pointer)
        }
    }
}
