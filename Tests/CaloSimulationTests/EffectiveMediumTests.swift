import Testing
import CaloSimulation

/// Effective-medium constants and the depth map against the values derived in
/// reference-simulator.md section 1 (quoted there to 3–4 digits; tolerances = last digit).
@Suite struct EffectiveMediumTests {
    let m = SamplingMedium.caloGAN

    @Test func effectiveConstantsMatchTheSpec() {
        #expect(abs(m.effectiveZ - 69.41) < 0.01)
        #expect(abs(m.effectiveA - 174.3) < 0.1)
        #expect(abs(m.effectiveDensity - 4.710) < 0.001)
        #expect(abs(m.radiationLength - 15.59) < 0.01)
        #expect(abs(m.criticalEnergy - 8.96) < 0.01)
        #expect(abs(m.moliereRadius - 36.9) < 0.05)
        #expect(abs(m.samplingFs - 2.599) < 0.001)
        #expect(abs(m.eHat - 0.691) < 0.001)
        #expect(abs(m.interactionLength - 374.6) < 0.1)
        #expect(abs(m.mipSamplingFraction - 0.249) < 0.001)
        #expect(abs(m.eHat * m.mipSamplingFraction - 0.172) < 0.001)   // GFlash's e response
        #expect(abs(Material.lead.criticalEnergyMeV - 7.36) < 0.01)
        #expect(abs(Material.liquidArgon.criticalEnergyMeV - 29.1) < 0.05)
    }

    @Test func depthMapIsThePiecewisePbLArMap() {
        let g = DepthGrid.caloGAN
        let b = g.layerBoundariesX0
        #expect(b.count == 4)
        #expect(abs(b[1] - 5.772) < 0.001 && abs(b[2] - 28.083) < 0.001 && abs(b[3] - 30.784) < 0.001)
        let l = g.layerBoundaries.map { g.interactionLengths(atDepth: $0) }
        #expect(abs(l[1] - 0.240) < 0.001 && abs(l[2] - 1.167) < 0.002 && abs(l[3] - 1.281) < 0.001)
        // Inside one period: 2 mm Pb (0.1782 X0/mm) then 4 mm LAr (0.00711 X0/mm).
        #expect(abs((g.radiationLengths(atDepth: 1) - g.radiationLengths(atDepth: 0)) - 0.1782) < 1e-4)
        #expect(abs((g.radiationLengths(atDepth: 4) - g.radiationLengths(atDepth: 3)) - 0.00711) < 1e-5)
        // The piecewise map equals the uniform map d / X0_eff at period ends, is within 0.06 X0
        // of it at the layer boundaries, and within the Pb excess 2 mm (1/X0_Pb − 1/X0_eff) anywhere.
        for k in 0...80 {
            #expect(abs(g.radiationLengths(atDepth: 6 * Double(k)) - 6 * Double(k) / m.radiationLength) < 1e-12)
        }
        for d in g.layerBoundaries { #expect(abs(g.radiationLengths(atDepth: d) - d / m.radiationLength) < 0.06) }
        let excess = 2 * (1 / Material.lead.radiationLengthMM - 1 / m.radiationLength)
        for d in stride(from: 0.0, through: 480, by: 0.25) {
            #expect(abs(g.radiationLengths(atDepth: d) - d / m.radiationLength) <= excess + 1e-12)
        }
    }

    @Test func stepGridHas81StepsWithTheReadoutLayers() {
        let s = DepthGrid.caloGAN.steps
        #expect(s.count == 81)
        #expect(s.filter { $0.layer == 0 }.count == 15)
        #expect(s.filter { $0.layer == 1 }.count == 58)
        #expect(s.filter { $0.layer == 2 }.count == 8)
        for k in 1..<s.count {
            #expect(s[k].depthLow == s[k - 1].depthHigh)
            #expect(s[k].x0Low == s[k - 1].x0High && s[k].lambdaLow == s[k - 1].lambdaHigh)
            #expect(s[k].layer >= s[k - 1].layer)
        }
        let split = s.firstIndex { $0.layer == 2 }!
        #expect(s[split].depthLow == 437 && s[split - 1].depthLow == 432)
        #expect(DepthGrid.caloGAN.stepIndex(atX0: 5.8) == 15)
        #expect(DepthGrid.caloGAN.stepIndex(atX0: 31) == nil)
    }
}
