import CaloTensor
#if canImport(Glibc)
import Glibc
#endif

/// Incident-energy spectrum of a simulation run, in GeV.
///
/// The energy of event i depends only on (seed, i), never on batching or threads:
/// - `.uniform(lo...hi)`: lo + (hi − lo)·u with u from the dedicated stream
///   `Xoshiro256(seed: seed ^ EnergySpectrum.seedSalt, stream: i)` (independent of the event's
///   physics stream `Xoshiro256(seed: seed, stream: i)`). CaloGAN default: 1...100 GeV.
/// - `.fixed(E)`: every event has E.
/// - `.list(values)`: event i takes values[i mod count], i.e. the list is taken in order and
///   cycles when there are more events than values.
/// - `.logUniform(lo...hi)`: lo·(hi/lo)^u, u from the energy stream (CaloChallenge datasets 2
///   and 3: 1 GeV to 1 TeV).
/// - `.discrete(values)`: each event takes one of the values with equal probability, chosen with
///   u from the energy stream (CaloChallenge dataset 1: its 15 energies).
public enum EnergySpectrum: Sendable, Equatable {
    case uniform(ClosedRange<Double>)
    case fixed(Double)
    case list([Double])
    case logUniform(ClosedRange<Double>)
    case discrete([Double])

    /// CaloChallenge dataset 1: 256 MeV × 2^k, k = 0…14 (0.256 to 4194.304 GeV).
    public static let caloChallengeDataset1 = EnergySpectrum.discrete((0..<15).map { 0.256 * Double(1 << $0) })

    /// CaloGAN: flat in [1, 100] GeV.
    public static let caloGAN = EnergySpectrum.uniform(1...100)

    /// Salt that separates the energy stream from the physics stream of the same seed.
    public static let seedSalt: UInt64 = 0x6A09_E667_F3BC_C908

    /// Throws `SimulationError.invalidSpectrum` unless all energies are finite and in
    /// (0, `ShowerSimulator.maximumEnergy`] GeV and a list is non-empty.
    public func validate() throws {
        func check(_ e: Double, _ what: String) throws {
            guard e.isFinite, e > 0, e <= ShowerSimulator.maximumEnergy else {
                throw SimulationError.invalidSpectrum("\(what) \(e) GeV is outside (0, \(ShowerSimulator.maximumEnergy)] GeV")
            }
        }
        switch self {
        case .uniform(let r), .logUniform(let r):
            try check(r.lowerBound, "lower bound")
            try check(r.upperBound, "upper bound")
        case .fixed(let e):
            try check(e, "energy")
        case .list(let v), .discrete(let v):
            guard !v.isEmpty else { throw SimulationError.invalidSpectrum("the energy list is empty") }
            for (i, e) in v.enumerated() { try check(e, "list entry \(i)") }
        }
    }

    /// The lowest and highest energy the spectrum can give, GeV (a list's minimum and maximum).
    public var bounds: ClosedRange<Double> {
        switch self {
        case .uniform(let r), .logUniform(let r): return r
        case .fixed(let e): return e...e
        case .list(let v), .discrete(let v):
            guard let lo = v.min(), let hi = v.max() else { return 0...0 }
            return lo...hi
        }
    }

    /// Incident energy of event `index` (≥ 0) for run seed `seed`, GeV.
    public func energy(at index: Int, seed: UInt64) -> Double {
        switch self {
        case .uniform(let r):
            var rng = Xoshiro256(seed: seed ^ Self.seedSalt, stream: UInt64(index))
            return r.lowerBound + (r.upperBound - r.lowerBound) * rng.uniform()
        case .fixed(let e):
            return e
        case .list(let v):
            return v[index % v.count]
        case .logUniform(let r):
            var rng = Xoshiro256(seed: seed ^ Self.seedSalt, stream: UInt64(index))
            return r.lowerBound * exp(log(r.upperBound / r.lowerBound) * rng.uniform())
        case .discrete(let v):
            var rng = Xoshiro256(seed: seed ^ Self.seedSalt, stream: UInt64(index))
            return v[min(v.count - 1, Int(Double(v.count) * rng.uniform()))]
        }
    }

    /// Energies of events firstEventIndex ..< firstEventIndex + count.
    public func energies(count: Int, seed: UInt64, firstEventIndex: Int = 0) -> [Double] {
        (0..<max(0, count)).map { energy(at: firstEventIndex + $0, seed: seed) }
    }
}
