import Foundation
import Testing
import CaloData
import CaloSimulation

/// Lateral profile, spot sampling and cell mapping.
@Suite struct LateralTests {
    @Test func oracleIsANormalizedDensity() {
        let r = 25.0
        #expect(abs(LateralOracle.containment(x1: -1e7, x2: 1e7, y1: -1e7, y2: 1e7, scale: r) - 1) < 1e-5)
        // Circle of radius R holds 1/2 of the radial law r²/(r²+R²); the inscribed square less.
        let sq = LateralOracle.containment(x1: -r / 2.squareRoot(), x2: r / 2.squareRoot(),
                                           y1: -r / 2.squareRoot(), y2: r / 2.squareRoot(), scale: r)
        #expect(sq < 0.5 && sq > 0.25)
        // Quadrant symmetry and additivity.
        let a = LateralOracle.containment(x1: 0, x2: 40, y1: 0, y2: 40, scale: r)
        #expect(abs(LateralOracle.containment(x1: -40, x2: 40, y1: -40, y2: 40, scale: r) - 4 * a) < 1e-14)
        // The oracle's own density derivative: mixed difference ≈ R²/(π(x²+y²+R²)²) × area.
        let (x, y, h) = (13.0, -7.0, 1e-3)
        let num = LateralOracle.containment(x1: x, x2: x + h, y1: y, y2: y + h, scale: r) / (h * h)
        let dens = r * r / (Double.pi * pow(x * x + y * y + r * r, 2))
        #expect(abs(num / dens - 1) < 1e-3)
    }

    @Test func lateralParametersMatchTheSpecAt10GeV() {
        let lat = EMLateralProfile(energyGeV: 10)
        let rows: [(tau: Double, rc: Double, rt: Double, p: Double)] = [(0.5, 3.0, 33, 0.99), (1, 4.5, 22, 0.91),
                                                                         (2, 7.7, 28, 0.62), (3, 10.9, 46, 0.38)]
        for row in rows {
            let q = lat.parameters(age: row.tau)
            #expect(abs(q.coreRadius - row.rc) < 0.1 && abs(q.tailRadius - row.rt) < 1 && abs(q.coreProbability - row.p) < 0.01,
                    "τ=\(row.tau): \(q)")
        }
    }

    /// Expected energy of e+ shower `s` in the rectangle of layer `l`, from its sampled profile,
    /// the step grid, the lateral parameters and the analytic single-component oracle.
    func expectedInRectangle(_ s: SimulatedShower, layer l: Int, x: ClosedRange<Double>, y: ClosedRange<Double>) -> Double {
        let r = s.emRealization!, e = s.incidentEnergy
        let lat = EMLateralProfile(energyGeV: e)
        var total = 0.0
        for step in DepthGrid.caloGAN.steps where step.layer == l {
            let de = 1000 * e * r.energyFraction(from: step.x0Low, to: step.x0High)
            let q = lat.parameters(age: r.ageScale * 0.5 * (step.x0Low + step.x0High))
            func c(_ scale: Double) -> Double {
                LateralOracle.containment(x1: x.lowerBound, x2: x.upperBound, y1: y.lowerBound, y2: y.upperBound, scale: scale)
            }
            total += de * (q.coreProbability * c(q.coreRadius) + (1 - q.coreProbability) * c(q.tailRadius))
        }
        return total
    }

    /// Central cells of each layer: simulated energy vs the oracle expectation, per shower
    /// (paired differences; tolerance 4 standard errors).
    @Test func centralCellsMatchTheAnalyticContainment() throws {
        let n = 800
        let showers = try ShowerSimulator(particle: .eplus).simulateEvents(energies: Array(repeating: 10, count: n), seed: 21)
        let cases: [(layer: Int, x: ClosedRange<Double>, y: ClosedRange<Double>, cells: (Int, Int) -> Bool)] = [
            (0, -80...80, -5...5, { ix, iy in ix == 1 && (iy == 47 || iy == 48) }),
            (1, -40...40, -40...40, { ix, iy in (ix == 5 || ix == 6) && (iy == 5 || iy == 6) }),
            (2, -40...40, -80...80, { ix, iy in (ix == 5 || ix == 6) && (iy == 2 || iy == 3) }),
        ]
        for c in cases {
            let d = showers.map { (cellSum($0, layer: c.layer, c.cells) - expectedInRectangle($0, layer: c.layer, x: c.x, y: c.y)) / 10_000 }
            let share = showers.reduce(0) { $0 + cellSum($1, layer: c.layer, c.cells) } / showers.reduce(0) { $0 + $1.layerEnergy(c.layer) }
            let s = Stats(d)
            print("layer \(c.layer) central cells: share of layer energy \(share); mean(observed − oracle)/E = \(s.mean) ± \(s.se)")
            #expect(abs(s.mean) < 4 * s.se + 1e-6, "layer \(c.layer)")
        }
    }

    /// Mean images are symmetric under x → −x and y → −y (paired per-shower differences).
    /// Tolerance 5 standard errors: layer-2 differences come from a few large single-spot
    /// steps, a heavy-tailed distribution for which the normal approximation is slow.
    @Test(arguments: [Particle.eplus, .piplus])
    func meanImagesAreMirrorSymmetric(particle: Particle) throws {
        let n = 800
        let energies = (0..<n).map { 5 + 45 * Double($0 % 10) / 9 }
        let showers = try ShowerSimulator(particle: particle).simulateEvents(energies: energies, seed: 22)
        for l in 0..<3 {
            let nx = CaloGANGeometry.nx[l], ny = CaloGANGeometry.ny[l]
            let lr = Stats(showers.map { (cellSum($0, layer: l) { ix, _ in ix < nx / 2 } - cellSum($0, layer: l) { ix, _ in ix >= (nx + 1) / 2 }) / 1000 })
            let ud = Stats(showers.map { (cellSum($0, layer: l) { _, iy in iy < ny / 2 } - cellSum($0, layer: l) { _, iy in iy >= ny / 2 }) / 1000 })
            print("\(particle) layer \(l): left−right \(lr.mean) ± \(lr.se) GeV, down−up \(ud.mean) ± \(ud.se) GeV")
            #expect(abs(lr.mean) < 5 * lr.se + 1e-9)
            #expect(abs(ud.mean) < 5 * ud.se + 1e-9)
        }
    }
}
