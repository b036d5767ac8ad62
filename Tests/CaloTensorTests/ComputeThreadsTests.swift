import Testing
import Synchronization
import CaloTensor

/// `ComputeThreads.onWorkers`: every worker index runs once, with serial `Parallel` loops inside,
/// and a worker's error reaches the caller. OpenBLAS's thread count is left alone here (other
/// tests in this process use it concurrently).
@Suite struct ComputeThreadsTests {
    struct Failed: Error {}

    final class Seen: Sendable {
        let indices = Mutex<[Int]>([]), innerWorkers = Mutex<[Int]>([])
    }

    @Test func everyWorkerRunsOnceWithSerialLoopsInside() throws {
        let seen = Seen()
        try ComputeThreads.onWorkers(3, singleThreadedBLAS: false) { w in
            seen.indices.withLock { $0.append(w) }
            seen.innerWorkers.withLock { $0.append(Parallel.maxWorkers) }
        }
        #expect(seen.indices.withLock { $0 }.sorted() == [0, 1, 2])
        #expect(seen.innerWorkers.withLock { $0 } == [1, 1, 1])
    }

    @Test func aWorkersErrorIsRethrownAfterAllWorkersFinish() {
        let seen = Seen()
        #expect(throws: Failed.self) {
            try ComputeThreads.onWorkers(4, singleThreadedBLAS: false) { w in
                seen.indices.withLock { $0.append(w) }
                if w == 2 { throw Failed() }
            }
        }
        #expect(seen.indices.withLock { $0 }.count == 4)
    }
}
