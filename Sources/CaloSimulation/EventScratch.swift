import CaloData
#if canImport(Glibc)
import Glibc
#endif

/// Per-worker buffers for one shower at a time: cell sums in Double plus bookkeeping. Allocated
/// once per worker chunk and reset per event, so the spot loop never allocates.
///
/// Layout of each cell buffer (`size` Doubles): the geometry's voxels in flat order ‖
/// overflow[layers] ‖ lost[layers] ‖ unrecorded (CaloGAN: 504 + 3 + 3 + 1). Overflow is energy outside a layer's
/// readout window (CaloGAN: |x| or |y| ≥ 240 mm inside the ±500 mm block, written to the file;
/// a polar binning: beyond its outer radius, not written); "lost" is energy beyond the CaloGAN
/// block (dropped from the output); "unrecorded" is energy deposited in stack sections without
/// a readout layer (`DetectorStack`: dead material, non-voxelised layers).
/// `cells` holds what is stored; in the active mode the electromagnetic and hadronic spots first
/// add their *mean* argon deposits to `emSignal` and `hadronSignal`, which
/// `ShowerEngine.finishActive` turns into fluctuating cell deposits.
final class EventScratch {
    /// Voxels and layers of the geometry the buffers are laid out for.
    let voxelCount: Int, layerCount: Int
    /// First overflow slot (= voxelCount), first lost slot, the unrecorded slot and the buffer length.
    let overflowBase: Int, lostBase: Int, unrecordedIndex: Int, size: Int

    let cells: UnsafeMutablePointer<Double>
    /// Mean argon deposits of electromagnetic spots (active mode), MeV.
    let emSignal: UnsafeMutablePointer<Double>
    /// Mean argon deposits of non-electromagnetic hadronic spots (active mode), MeV.
    let hadronSignal: UnsafeMutablePointer<Double>
    private(set) var weights: UnsafeMutablePointer<Double>
    private(set) var weightCapacity: Int

    // Event information for the single-event API and tests.
    /// e+: the shower; γ: the e+e− pair's showers (the second is nil when its energy was
    /// deposited as one spot).
    var emComponents: (EMShowerComponent?, EMShowerComponent?) = (nil, nil)
    var conversionDepth: Double?
    var pairFraction: Double?
    var interactionDepth: Double?
    var mipEnergy: Double = 0
    var emFraction: Double?

    /// Buffers for a geometry of `voxelCount` voxels in `layerCount` layers (CaloGAN by default).
    init(voxelCount: Int = CaloGANGeometry.voxelCount, layerCount: Int = CaloGANGeometry.layerCount) {
        self.voxelCount = voxelCount
        self.layerCount = layerCount
        overflowBase = voxelCount
        lostBase = voxelCount + layerCount
        unrecordedIndex = voxelCount + 2 * layerCount
        size = unrecordedIndex + 1
        cells = .allocate(capacity: size)
        cells.initialize(repeating: 0, count: size)
        emSignal = .allocate(capacity: size)
        emSignal.initialize(repeating: 0, count: size)
        hadronSignal = .allocate(capacity: size)
        hadronSignal.initialize(repeating: 0, count: size)
        weightCapacity = 256
        weights = .allocate(capacity: weightCapacity)
    }

    deinit {
        cells.deallocate()
        emSignal.deallocate()
        hadronSignal.deallocate()
        weights.deallocate()
    }

    /// Zeroes the cells (and the signal buffers when `active`) and clears the event information.
    func reset(active: Bool) {
        cells.update(repeating: 0, count: size)
        if active {
            emSignal.update(repeating: 0, count: size)
            hadronSignal.update(repeating: 0, count: size)
        }
        emComponents = (nil, nil)
        conversionDepth = nil
        pairFraction = nil
        interactionDepth = nil
        mipEnergy = 0
        emFraction = nil
    }

    /// Makes room for `n` spot weights (grows geometrically; rare after the first events).
    func reserveWeights(_ n: Int) {
        if n <= weightCapacity { return }
        weights.deallocate()
        weightCapacity = max(n, 2 * weightCapacity)
        weights = .allocate(capacity: weightCapacity)
    }
}

/// One electromagnetic shower of an event: its energy, start depth and sampled profile.
public struct EMShowerComponent: Sendable, Equatable {
    /// Shower energy, GeV.
    public var energyGeV: Double
    /// Start depth in X0 from the front face.
    public var start: Double
    public var realization: EMShowerRealization
}

/// cos/sin of 4096 azimuths (k + ½)·2π/4096, interleaved Float pairs (32 KB): the half-bin
/// offset makes the table symmetric under x → −x and y → −y, so mean images stay symmetric.
final class AngleTable: @unchecked Sendable {
    static let bits = 12
    static let count = 1 << bits
    static let shared = AngleTable()
    let pointer: UnsafeMutablePointer<Float>

    private init() {
        pointer = .allocate(capacity: 2 * Self.count)
        for k in 0..<Self.count {
            let phi = (Double(k) + 0.5) * 2 * Double.pi / Double(Self.count)
            pointer[2 * k] = Float(cos(phi))
            pointer[2 * k + 1] = Float(sin(phi))
        }
    }
}

