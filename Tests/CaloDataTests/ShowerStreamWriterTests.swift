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
}
