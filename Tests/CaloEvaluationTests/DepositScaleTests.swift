import Testing
import CaloData
import CaloEvaluation
import CaloSimulation

/// Argon (active) and lead + argon (total) deposits differ by a factor of about five: the
/// feature histograms whose scale depends on that follow the data, and a comparison across
/// the two kinds is flagged.
@Suite struct DepositScaleTests {
    static let active = try! ShowerSimulator(particle: .eplus).simulate(count: 600, seed: 61)
    static let total = try! ShowerSimulator(particle: .eplus, options: SimulationOptions(depositMode: .total)).simulate(count: 600, seed: 62)

    /// E_tot / E_inc of argon deposits (0.19 ± a few %) spreads over many bins instead of the
    /// one or two 0.02-wide bins of the fixed [0, 1.2] range; total deposits likewise. Two
    /// samples of one kind compare with a small separation power.
    @Test(arguments: [true, false])
    func responseHistogramFollowsTheData(active: Bool) throws {
        let a = active ? Self.active : Self.total
        let b = active ? try ShowerSimulator(particle: .eplus).simulate(count: 600, seed: 63)
                       : try ShowerSimulator(particle: .eplus, options: SimulationOptions(depositMode: .total)).simulate(count: 600, seed: 64)
        let cmp = try FeatureComparison.compareAll(reference: try HighLevelFeatures(a), generated: try HighLevelFeatures(b))
        let r = cmp.first { $0.name == "E_tot_over_E_inc" }!
        let filled = r.reference.counts.filter { $0 > 0 }.count
        print("E_tot/E_inc (\(active ? "active" : "total")): bins [\(r.reference.binning.lower), \(r.reference.binning.upper)], \(filled) filled, separation \(r.separationPower ?? -1)")
        #expect(filled >= 10)
        #expect(r.reference.underflow + r.reference.overflow < 10)
        #expect(r.separationPower! < 0.1)
        let e = cmp.first { $0.name == "E_tot" }!
        #expect(e.reference.counts.filter { $0 > 0 }.count >= 20)
    }

    /// pi+ showers put several per cent of their energy in the last layer, e+ showers less than
    /// one per mille: f_2's bins follow the data for both, so two samples of one particle fill
    /// many bins with little overflow and compare with a small separation power.
    @Test(arguments: [Particle.piplus, .eplus])
    func lastLayerShareFollowsTheData(particle: Particle) throws {
        let a = try ShowerSimulator(particle: particle).simulate(count: 800, seed: 65)
        let b = try ShowerSimulator(particle: particle).simulate(count: 800, seed: 66)
        let cmp = try FeatureComparison.compareAll(reference: try HighLevelFeatures(a), generated: try HighLevelFeatures(b))
        let f = cmp.first { $0.name == "f_2" }!
        let filled = f.reference.counts.filter { $0 > 0 }.count
        #expect(filled >= 10, "\(particle): \(filled) filled bins in [\(f.reference.binning.lower), \(f.reference.binning.upper)]")
        #expect(f.reference.overflow + f.generated.overflow < 10, "\(particle): overflow \(f.reference.overflow), \(f.generated.overflow)")
        #expect(f.separationPower! < 0.1, "\(particle): separation power \(f.separationPower!) between two simulated samples")
    }

    @Test func mixedDepositKindsAreFlagged() {
        #expect(DepositConsistency.warning(reference: Self.active, generated: Self.total, referenceDeposit: nil, generatedDeposit: nil) != nil)
        #expect(DepositConsistency.warning(reference: Self.active, generated: Self.active, referenceDeposit: "active", generatedDeposit: "total") != nil)
        #expect(DepositConsistency.warning(reference: Self.total, generated: Self.total, referenceDeposit: nil, generatedDeposit: "total") == nil)
        #expect(DepositConsistency.warning(reference: Self.active, generated: Self.active, referenceDeposit: "active", generatedDeposit: nil) == nil)
        let r = DepositConsistency.meanResponse(Self.active)
        #expect(r > 0.17 && r < 0.2)
    }
}
