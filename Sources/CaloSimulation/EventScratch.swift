import CaloData

/// Per-worker buffers for one shower at a time: cell sums in Double plus bookkeeping. Allocated
/// once per worker chunk and reset per event, so the spot loop never allocates.
///
/// Layout of each cell buffer (510 Doubles): 504 voxels (CaloGAN flat order) ‖ overflow[3] ‖
/// lost[3], where "lost" is energy landing beyond the ±500 mm block (dropped from the output).
/// `cells` holds what is stored; in the active mode the electromagnetic and hadronic spots first
/// add their *mean* argon deposits to `emSignal` and `hadronSignal`, which
/// `ShowerEngine.finishActive` turns into fluctuating cell deposits.
final class EventScratch {
    static let overflowBase = CaloGANGeometry.voxelCount
    static let lostBase = CaloGANGeometry.voxelCount + CaloGANGeometry.layerCount
    static let size = CaloGANGeometry.voxelCount + 2 * CaloGANGeometry.layerCount

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

    init() {
        cells = .allocate(capacity: Self.size)
        cells.initialize(repeating: 0, count: Self.size)
        emSignal = .allocate(capacity: Self.size)
        emSignal.initialize(repeating: 0, count: Self.size)
        hadronSignal = .allocate(capacity: Self.size)
        hadronSignal.initialize(repeating: 0, count: Self.size)
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
        cells.update(repeating: 0, count: Self.size)
        if active {
            emSignal.update(repeating: 0, count: Self.size)
            hadronSignal.update(repeating: 0, count: Self.size)
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

/// Cell binning of one readout layer, CaloGAN conventions: cells span −240..240 mm, index
/// ⌊(x + 240)/Δx⌋ (strict upper edge), flat id offset + ix·ny + iy; |x| or |y| ≥ 240 but both
/// < 500 mm → overflow[layer]; beyond → lost.
struct LayerBinning: Sendable {
    let layer: Int
    let offset: Int
    let nx: Int, ny: Int
    let dx: Double, dy: Double
    let invDx: Double, invDy: Double
    let halfWidth: Double

    init(layer: Int) {
        halfWidth = CaloGANGeometry.halfWidth
        self.layer = layer
        offset = CaloGANGeometry.layerOffsets[layer]
        nx = CaloGANGeometry.nx[layer]
        ny = CaloGANGeometry.ny[layer]
        dx = CaloGANGeometry.cellSizeX[layer]
        dy = CaloGANGeometry.cellSizeY[layer]
        invDx = 1 / dx
        invDy = 1 / dy
    }

    static let blockHalfWidth = 500.0

    /// ⌊v / width⌋ for v ∈ [0, count·width), exactly: a multiply by the reciprocal, then a
    /// correction for the last-bit error so that v exactly on an edge goes to the upper bin.
    @inline(__always)
    static func bin(_ v: Double, width: Double, inverse: Double, count: Int) -> Int {
        var i = Int(v * inverse)
        if Double(i) * width > v { i -= 1 } else if Double(i + 1) * width <= v { i += 1 }
        return min(max(i, 0), count - 1)
    }

    /// Adds `e` MeV at (x, y) mm.
    @inline(__always)
    func deposit(_ cells: UnsafeMutablePointer<Double>, x: Double, y: Double, e: Double) {
        let h = halfWidth
        if abs(x) < h && abs(y) < h {
            let ix = Self.bin(x + h, width: dx, inverse: invDx, count: nx)
            let iy = Self.bin(y + h, width: dy, inverse: invDy, count: ny)
            cells[offset + ix * ny + iy] += e
        } else if abs(x) < Self.blockHalfWidth && abs(y) < Self.blockHalfWidth {
            cells[EventScratch.overflowBase + layer] += e
        } else {
            cells[EventScratch.lostBase + layer] += e
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
