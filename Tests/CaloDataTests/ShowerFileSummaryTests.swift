import Testing
import CaloData
import CaloTensor
import CaloTestSupport

@Suite struct ShowerFileSummaryTests {
    /// Two showers whose statistics are easy to work out by hand (see the expectations).
    func handMadeBatch() -> ShowerBatch {
        var b = ShowerBatch(count: 2)
        b.incidentEnergy = [10, 20]
        b.voxels[0, 0] = 100; b.voxels[0, 5] = 200; b.voxels[0, 288] = 50
        b.voxels[1, 10] = 300; b.voxels[1, 300] = 100; b.voxels[1, 301] = 150; b.voxels[1, 500] = 40
        b.overflow = Matrix([[1, 2, 3], [3, 4, 5]])
        return b
    }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

    @Test func statisticsMatchTheHandComputedValues() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("hand.h5")
        let w = try ShowerFileWriter(path: path, metadata: ShowerFileMetadata(particle: "piplus", generator: "hand", seed: 9))
        try w.append(handMadeBatch())
        try w.finish()

        let s = try ShowerFileSummary(path: path)
        let st = s.statistics
        #expect(s.events == 2 && st.events == 2)
        #expect(st.incidentEnergy.min == 10 && st.incidentEnergy.max == 20 && close(st.incidentEnergy.mean, 15))
        // Layer sums: layer 0: 300, 300; layer 1: 50, 250; layer 2: 0, 40 (MeV).
        #expect(close(st.layerEnergy[0].mean, 300) && close(st.layerEnergy[0].standardDeviation, 0))
        #expect(close(st.layerEnergy[1].mean, 150) && close(st.layerEnergy[1].standardDeviation, 100))
        #expect(close(st.layerEnergy[2].mean, 20) && close(st.layerEnergy[2].standardDeviation, 20))
        // Deposited / E_inc: 350 / 10000 and 590 / 20000.
        #expect(close(st.depositedFraction.mean, (0.035 + 0.0295) / 2))
        #expect(close(st.depositedFraction.standardDeviation, (0.035 - 0.0295) / 2))
        #expect(close(st.nonzeroFraction[0].mean, 1.5 / 288))
        #expect(close(st.nonzeroFraction[1].mean, 1.5 / 144))
        #expect(close(st.nonzeroFraction[2].mean, 0.5 / 72))
        #expect(st.overflow.map(\.mean) == [2, 3, 4])

        #expect(s.datasets.map(\.name) == ShowerFileLayout.datasetNames)
        #expect(s.datasets[1].shape == [2, 3, 96] && s.datasets[1].elementType == .float32)
        #expect(s.datasets[1].storage.contains("gzip 4"))
        let text = s.description
        for needle in ["events: 2", "particle: piplus", "generator: hand", "seed: 9", "layer_0", "(2, 3, 96) float32",
                       "units: energy: GeV; layer_*, overflow: MeV"] {
            #expect(text.contains(needle), "summary lacks '\(needle)':\n\(text)")
        }
    }

    @Test func streamingBatchSizeDoesNotChangeTheStatistics() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("r.h5")
        let w = try ShowerFileWriter(path: path)
        try w.append(randomBatch(250, seed: 21))
        try w.finish()
        let whole = try ShowerFileSummary(path: path, batchSize: 1000).statistics
        let small = try ShowerFileSummary(path: path, batchSize: 7).statistics
        #expect(whole.events == 250 && small.events == 250)
        for l in 0..<3 {
            #expect(close(whole.layerEnergy[l].mean, small.layerEnergy[l].mean))
            #expect(close(whole.layerEnergy[l].standardDeviation, small.layerEnergy[l].standardDeviation))
        }
        var direct = ShowerStatistics()
        direct.add(randomBatch(250, seed: 21))
        #expect(close(direct.depositedFraction.mean, whole.depositedFraction.mean))
    }

    @Test func zeroIncidentEnergyIsLeftOutOfTheDepositedFraction() {
        var b = ShowerBatch(count: 2)
        b.incidentEnergy = [0, 2]
        b.voxels[1, 0] = 500
        var s = ShowerStatistics()
        s.add(b)
        #expect(s.depositedFraction.count == 1 && s.depositedFraction.mean == 0.25)
        #expect(s.incidentEnergy.count == 2)
    }

    @Test func maxEventsLimitsTheSummary() throws {
        let s = try ShowerFileSummary(path: fixture("valid-f64-gzip.h5"), maxEvents: 5)
        #expect(s.events == 20 && s.eventsSummarized == 5 && s.statistics.events == 5)
        #expect(s.statistics.incidentEnergy.max == 5)
        #expect(s.description.contains("first 5"))
    }
}
