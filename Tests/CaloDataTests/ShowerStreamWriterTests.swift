import Foundation
import Testing
import CaloData
import CaloTensor
import CaloTestSupport

/// Streaming writes with the writer thread overlapped with making the next batch: the file holds
/// exactly the batches made, in order; errors from either side leave no file behind.
@Suite struct ShowerStreamWriterTests {
    struct MadeTooFew: Error {}

    @Test(arguments: [true, false])
    func streamedFileHoldsEveryBatchInOrder(_ overlap: Bool) throws {
        let dir = TemporaryDirectory()
        let all = randomBatch(1000, seed: 7)
        let w = try ShowerFileWriter(path: dir.file("s.h5"), chunkEvents: 64)
        var reported = [Int](), indices = [Int]()
        let timing = try ShowerStreamWriter.write(count: 1000, batch: 300, into: w, overlap: overlap,
                                                  written: { reported.append($0) }) { range, index in
            indices.append(index)
            return all.slice(range)
        }
        #expect(indices == [0, 1, 2, 3])
        #expect(reported == [300, 600, 900, 1000])
        #expect(timing.writeSeconds > 0 && timing.writeSeconds <= timing.totalSeconds)
        #expect(try ShowerFileReader(path: dir.file("s.h5")).readAll() == all)
        #expect(dir.contents == ["s.h5"])
    }

    @Test func anErrorWhileMakingABatchLeavesNoFile() throws {
        let dir = TemporaryDirectory()
        let all = randomBatch(100, seed: 8)
        let w = try ShowerFileWriter(path: dir.file("s.h5"))
        #expect(throws: MadeTooFew.self) {
            try ShowerStreamWriter.write(count: 100, batch: 30, into: w) { range, index in
                if index == 2 { throw MadeTooFew() }
                return all.slice(range)
            }
        }
        #expect(dir.contents.isEmpty)
    }

    @Test func aBatchTheWriterRejectsStopsTheStreamAndLeavesNoFile() throws {
        let dir = TemporaryDirectory()
        var bad = randomBatch(40, seed: 9)
        bad.voxels[3, 17] = .nan
        let good = randomBatch(40, seed: 10)
        let w = try ShowerFileWriter(path: dir.file("s.h5"))
        var made = 0
        do {
            try ShowerStreamWriter.write(count: 400, batch: 40, into: w) { _, index in
                made += 1
                return index == 1 ? bad : good
            }
            Issue.record("a NaN voxel was written")
        } catch {
            #expect("\(error)".contains("NaN") || "\(error)".lowercased().contains("finite"), "\(error)")
        }
        // The rejection is seen at the latest when the batch after the next one is handed over.
        #expect(made <= 3)
        #expect(dir.contents.isEmpty)
    }

    @Test func aBatchOfTheWrongSizeIsRejectedAndLeavesNoFile() throws {
        let dir = TemporaryDirectory()
        let all = randomBatch(100, seed: 11)
        let w = try ShowerFileWriter(path: dir.file("s.h5"))
        do {
            try ShowerStreamWriter.write(plan: ShowerBatchPlan(count: 100, batchSize: 30), into: w) { range, index in
                index == 1 ? all.slice(range.lowerBound..<(range.upperBound - 1)) : all.slice(range)
            }
            Issue.record("a short batch was written")
        } catch {
            #expect("\(error)".contains("30..<60"), "\(error)")
        }
        #expect(dir.contents.isEmpty)
    }
}

/// The batch boundaries every streaming producer and writer share.
@Suite struct ShowerBatchPlanTests {
    @Test func batchesPartitionTheRunInOrderWithOnlyTheLastOneShorter() {
        for (count, size) in [(0, 5), (1, 5), (10, 5), (11, 5), (7, 100), (100_001, 10_000)] {
            let plan = ShowerBatchPlan(count: count, batchSize: size)
            let ranges = (0..<plan.batches).map(plan.range(ofBatch:))
            #expect(ranges.first?.lowerBound ?? 0 == 0)
            #expect(ranges.last?.upperBound ?? 0 == count)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(ranges.dropLast().allSatisfy { $0.count == size })
            #expect(ranges.allSatisfy { !$0.isEmpty && $0.count <= size })
            for (b, r) in ranges.enumerated() { #expect(plan.batch(containing: r.lowerBound) == b && plan.batch(containing: r.upperBound - 1) == b) }
        }
        #expect(ShowerBatchPlan(count: -3, batchSize: 0) == ShowerBatchPlan(count: 0, batchSize: 1))
    }
}
