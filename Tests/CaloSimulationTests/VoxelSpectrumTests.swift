import Foundation
import Testing
import CaloData
import CaloSimulation

/// The cell-energy spectrum is smooth (issue #14 item 3).
///
/// The spectrum is histogrammed in log bins of 1/5 decade (N_k non-zero cells per bin, e+ over
/// 1-100 GeV) and its curvature in log-log, c_k = ln N_(k−1) − 2 ln N_k + ln N_(k+1), must stay
/// below 0.35 + 4σ_k (σ_k from Poisson counts) over the range where spot sampling decides the
/// cell energies: 0.01-40 MeV for argon deposits, 0.01-100 MeV for total ones. The
/// simulator with equal-energy spots (≈ 11 MeV each) failed this at 10 MeV with c = 2.8: the
/// bin [10, 16) MeV held 92 053 cells, its lower neighbour 4 258 (its spectrum, 4000 showers,
/// is in plots/simulator/). A broad maximum is allowed: in argon, one gap crossing leaves
/// ≈ 1 MeV, a physical scale that a real liquid-argon calorimeter without noise shows as well;
/// a spike or a step is not. Above the tested ranges the spectrum has structure of another
/// origin (the central cells scale with E_inc, which is uniform in 1-100 GeV).
@Suite struct VoxelSpectrumTests {
    static func curvatures(_ b: ShowerBatch, from lo: Double, to hi: Double) -> [(energy: Double, c: Double, sigma: Double)] {
        let perDecade = 5.0
        let first = Int((log10(lo) * perDecade).rounded(.down)) - 1, last = Int((log10(hi) * perDecade).rounded(.up)) + 1
        var counts = [Int](repeating: 0, count: last - first + 1)
        for v in b.voxels.storage where v > 0 {
            let k = Int((log10(Double(v)) * perDecade).rounded(.down)) - first
            if k >= 0 && k < counts.count { counts[k] += 1 }
        }
        return (1..<(counts.count - 1)).compactMap { k in
            let (a, m, c) = (Double(counts[k - 1]), Double(counts[k]), Double(counts[k + 1]))
            let e = pow(10, Double(k + first) / perDecade)   // lower edge of bin k
            guard e >= lo * (1 - 1e-9), e < hi else { return nil }
            guard a > 0, m > 0, c > 0 else { return (e, .infinity, 0) }
            return (e, log(a) - 2 * log(m) + log(c), (1 / a + 4 / m + 1 / c).squareRoot())
        }
    }

    @Test(arguments: [(DepositMode.active, 40.0), (.total, 100.0)])
    func cellSpectrumHasNoSpike(deposit: DepositMode, upTo hi: Double) throws {
        let b = try ShowerSimulator(particle: .eplus, options: SimulationOptions(depositMode: deposit)).simulate(count: 3000, seed: 106)
        let curv = Self.curvatures(b, from: 0.01, to: hi)
        let worst = curv.max { abs($0.c) - 4 * $0.sigma < abs($1.c) - 4 * $1.sigma }!
        print("\(deposit): largest log-log curvature of the cell spectrum in [0.01, \(hi)] MeV: \(worst.c) ± \(worst.sigma) at \(worst.energy) MeV")
        for k in curv { #expect(abs(k.c) < 0.35 + 4 * k.sigma, "\(deposit): curvature \(k.c) at \(k.energy) MeV") }
    }
}
