import Testing
import CaloInference

/// The packed weights' buffers: zero-filled, 64-byte aligned, and from 2 MiB on (with
/// `hugePages`) at a 2 MiB boundary, where the kernel can back them with transparent huge pages.
@Suite struct AlignedBufferTests {
    @Test func alignmentAndZeroFill() throws {
        let big = try AlignedBuffer<Float>(count: 3 << 19, hugePages: true)  // 6 MiB
        #expect(Int(bitPattern: big.pointer) % (2 << 20) == 0)
        #expect(UnsafeBufferPointer(start: big.pointer, count: big.count).allSatisfy { $0 == 0 })
        for (count, huge) in [(1000, true), (3 << 19, false), (1, false)] {
            let b = try AlignedBuffer<Float>(count: count, hugePages: huge)
            #expect(Int(bitPattern: b.pointer) % 64 == 0)
            #expect(UnsafeBufferPointer(start: b.pointer, count: b.count).allSatisfy { $0 == 0 })
        }
    }
}
