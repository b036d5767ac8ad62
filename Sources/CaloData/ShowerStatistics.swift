/// Running mean and population standard deviation (Welford), in Double.
public struct RunningMoments: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    private var m2 = 0.0
    public private(set) var min = Double.infinity
    public private(set) var max = -Double.infinity

    public init() {}

    public mutating func add(_ x: Double) {
        count += 1
        let d = x - mean
        mean += d / Double(count)
        m2 += d * (x - mean)
        if x < min { min = x }
        if x > max { max = x }
    }

    /// Population standard deviation (divides by N); 0 for fewer than two values.
    public var standardDeviation: Double { count > 1 ? (m2 / Double(count)).squareRoot() : 0 }
}

/// Per-event summary statistics of showers of one geometry, accumulated batch by batch (for
/// `caloflow info`).
///
/// Units: incident energy in GeV, layer energies and overflow in MeV; the deposited fraction is
/// (sum of all voxels, MeV) / (E_inc * 1000), over events with E_inc > 0 (overflow excluded).
/// Layer entries are indexed like `geometry.layers`.
public struct ShowerStatistics: Sendable, Equatable {
    /// The geometry of the showers added.
    public let geometry: CalorimeterGeometry
    /// Events added.
    public private(set) var events = 0
    /// Incident energy E_inc, GeV.
    public private(set) var incidentEnergy = RunningMoments()
    /// Energy per layer per event, MeV.
    public private(set) var layerEnergy: [RunningMoments]
    /// Deposited voxel energy / E_inc per event (events with E_inc > 0).
    public private(set) var depositedFraction = RunningMoments()
    /// Energy in all voxels per event, MeV.
    public private(set) var totalEnergy = RunningMoments()
    /// Fraction of non-zero voxels per layer per event.
    public private(set) var nonzeroFraction: [RunningMoments]
    /// Overflow per layer per event, MeV (empty for a geometry without overflow).
    public private(set) var overflow: [RunningMoments]

    public init(geometry: CalorimeterGeometry = .calogan) {
        self.geometry = geometry
        layerEnergy = [RunningMoments](repeating: RunningMoments(), count: geometry.layerCount)
        nonzeroFraction = layerEnergy
        overflow = [RunningMoments](repeating: RunningMoments(), count: geometry.overflowWidth)
    }

    /// Each layer's share of the energy in all voxels: mean layer energy over mean total energy
    /// (0 when no energy was seen).
    public var layerShares: [Double] {
        let total = totalEnergy.mean
        return layerEnergy.map { total > 0 ? $0.mean / total : 0 }
    }

    /// Adds every shower of `batch` (which must have this geometry's voxels).
    public mutating func add(_ batch: ShowerBatch) {
        precondition(batch.geometry.hasSameVoxels(as: geometry), "ShowerStatistics of \(geometry.name) given showers of \(batch.geometry.name)")
        let c = geometry.voxelCount, L = geometry.layerCount, w = geometry.overflowWidth
        let ranges = geometry.layerRanges
        batch.voxels.storage.withUnsafeBufferPointer { v in
            batch.overflow.storage.withUnsafeBufferPointer { o in
                for i in 0..<batch.count {
                    let e = Double(batch.incidentEnergy[i])
                    incidentEnergy.add(e)
                    var total = 0.0
                    for l in 0..<L {
                        var sum = 0.0, nonzero = 0
                        for j in ranges[l] {
                            let x = v[i * c + j]
                            sum += Double(x)
                            nonzero += x != 0 ? 1 : 0
                        }
                        layerEnergy[l].add(sum)
                        nonzeroFraction[l].add(Double(nonzero) / Double(ranges[l].count))
                        total += sum
                    }
                    for k in 0..<w { overflow[k].add(Double(o[i * w + k])) }
                    totalEnergy.add(total)
                    if e > 0 { depositedFraction.add(total / (e * 1000)) }
                }
            }
        }
        events += batch.count
    }
}
