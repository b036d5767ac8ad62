import CaloData
import CaloPipeline
import CaloTensor
import Testing

/// `GenerationPartition`: the blocks of a run cut into parts cover it in order, start on the
/// run's pass boundaries, are balanced, and a stream of each block (`firstShower`) gives exactly
/// the whole run's showers, bit for bit: what `mpirun caloflow generate` and `--part` rely on.
@Suite("GenerationPartition: parts of a generation run")
struct GenerationPartitionTests {
    @Test("blocks cover the run in order, start at a multiple of the unit and differ by at most one unit",
          arguments: [(300, 100, 1000, 3), (300, 100, 1000, 2), (25_000, 10_000, 1000, 4), (25_000, 2500, 1000, 7),
                      (150, 40, 16, 5), (5, 100, 1000, 3), (0, 10, 10, 2)])
    func coverage(_ c: (Int, Int, Int, Int)) {
        let p = GenerationPartition(count: c.0, batchSize: c.1, flowBatch: c.2, parts: c.3)
        #expect(p.unit == (c.1 % c.2 == 0 ? c.2 : c.1))
        var next = 0
        var sizes = [Int]()
        for i in 0..<p.parts {
            let r = p.range(ofPart: i)
            #expect(r.lowerBound == next, "part \(i) starts at \(r.lowerBound), not \(next)")
            #expect(r.isEmpty || r.lowerBound % p.unit == 0)
            next = r.upperBound
            sizes.append(r.count)
        }
        #expect(next == c.0)
        if c.0 >= p.unit * p.parts { #expect(sizes.max()! - sizes.min()! <= p.unit, "\(sizes)") }
    }

    @Test("the streams of the blocks give the whole run's showers bit for bit", arguments: [2, 3, 5])
    func blocksEqualTheWholeRun(_ parts: Int) throws {
        let g = try ShowerGeneratorTests.untrainedGenerator()
        g.flowBatch = 16
        let all = ShowerGeneratorTests.energies(150)
        func run(_ showers: Range<Int>) throws -> [Float] {
            let first = showers.lowerBound
            return try g.stream(plan: ShowerBatchPlan(count: showers.count, batchSize: 40), seed: 4, firstShower: first, workers: 2,
                                singleThreadedBLAS: false, energies: { Array(all[(first + $0.lowerBound)..<(first + $0.upperBound)]) }) { stream in
                var voxels = [Float]()
                while let b = try stream.next() { voxels += b.voxels.storage }
                return voxels
            }
        }
        let whole = try run(0..<150)
        let partition = GenerationPartition(count: 150, batchSize: 40, flowBatch: g.flowBatch, parts: parts)
        let joined = try (0..<parts).flatMap { try run(partition.range(ofPart: $0)) }
        #expect(joined.map(\.bitPattern) == whole.map(\.bitPattern))
    }
}
