import Testing
import Synchronization
import CaloTensor

/// `SubnormalMode`: what each mode does to a subnormal result and a subnormal input, that `with`
/// restores the thread's mode, and that `Parallel` and `ComputeThreads` workers compute in the
/// mode of the thread that started the loop.
@Suite struct SubnormalModeTests {
    /// Values the optimizer cannot see through (read at run time from a global).
    nonisolated(unsafe) static var smallestNormal: Float = .leastNormalMagnitude
    nonisolated(unsafe) static var subnormal: Float = .leastNormalMagnitude / 4

    @inline(never) static func half(_ x: Float) -> Float { x * 0.5 }
    @inline(never) static func timesMillion(_ x: Float) -> Float { x * 1_048_576 }

    @Test func theModeIsKnownOnThisArchitecture() {
        #expect(SubnormalMode.current != nil)
    }

    @Test func ieeeKeepsSubnormalsAndFlushToZeroRemovesThem() {
        SubnormalMode.with(.ieee) {
            #expect(Self.half(Self.smallestNormal) == Float.leastNormalMagnitude / 2)
            #expect(Self.half(Self.smallestNormal).isSubnormal)
            // A subnormal input is read as it is: 2^-128 * 2^20 = 2^-108.
            #expect(Self.timesMillion(Self.subnormal) == Float(sign: .plus, exponent: -108, significand: 1))
        }
        SubnormalMode.with(.flushToZero) {
            // A subnormal result is written as 0 ...
            #expect(Self.half(Self.smallestNormal) == 0)
            // ... and a subnormal input read as 0.
            #expect(Self.timesMillion(Self.subnormal) == 0)
            // Normal values are untouched.
            #expect(Self.half(1.5 * Self.smallestNormal * 2) == 1.5 * Float.leastNormalMagnitude)
        }
    }

    @Test func withRestoresTheThreadsMode() throws {
        let own = try #require(SubnormalMode.current)
        for mode in SubnormalMode.allCases {
            SubnormalMode.with(mode) {
                #expect(SubnormalMode.current == mode)
                SubnormalMode.with(mode == .ieee ? .flushToZero : .ieee) {}
                #expect(SubnormalMode.current == mode)
            }
            #expect(SubnormalMode.current == own)
        }
    }

    final class Seen: Sendable {
        let modes = Mutex<[SubnormalMode?]>([]), halves = Mutex<[Float]>([])
        func record() {
            let h = SubnormalModeTests.half(SubnormalModeTests.smallestNormal)
            modes.withLock { $0.append(SubnormalMode.current) }
            halves.withLock { $0.append(h) }
        }
    }

    @Test(arguments: SubnormalMode.allCases)
    func parallelWorkersComputeInTheCallersMode(mode: SubnormalMode) throws {
        let expected: Float = mode == .ieee ? Float.leastNormalMagnitude / 2 : 0
        try SubnormalMode.with(mode) {
            let chunks = Seen(), items = Seen(), workers = Seen()
            // Enough work per call that the loops really use several threads.
            Parallel.forEachChunk(64, minChunk: 1) { _ in chunks.record() }
            Parallel.forEach(64) { _ in items.record() }
            try ComputeThreads.onWorkers(4, singleThreadedBLAS: false) { _ in workers.record() }
            for seen in [chunks, items, workers] {
                #expect(seen.modes.withLock { $0 }.allSatisfy { $0 == mode })
                #expect(seen.halves.withLock { $0 }.allSatisfy { $0 == expected })
            }
        }
    }
}
