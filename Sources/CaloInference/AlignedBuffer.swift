#if canImport(Glibc)
import Glibc
#endif

/// Zero-filled memory for `count` values of `T` at a 64-byte boundary, freed with the object.
///
/// Allocation goes through `posix_memalign`, so running out of memory is an error the library
/// can return (`InferenceError.outOfMemory`) instead of a trap in the host process.
///
/// `hugePages`: a buffer of at least 2 MiB starts at a 2 MiB boundary and asks the kernel for
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`, before the memory is first touched). The
/// packed weights use it: a batch-1 shower streams ~100 MB of them, and with 4 KiB pages every
/// page costs a TLB miss and restarts the hardware prefetcher, which stops at 4 KiB boundaries.
/// Where the kernel gives no huge pages (THP "never"), the buffer is an ordinary one.
public final class AlignedBuffer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int

    /// Bytes from which a `hugePages` buffer is 2 MiB-aligned and advised.
    static var hugePageBytes: Int { 2 << 20 }

    public init(count: Int, hugePages: Bool = false) throws {
        let n = max(1, count)
        var raw: UnsafeMutableRawPointer? = nil
        let bytes = n * MemoryLayout<T>.stride
        let huge = hugePages && bytes >= Self.hugePageBytes
        guard posix_memalign(&raw, huge ? Self.hugePageBytes : 64, bytes) == 0, let raw else {
            throw InferenceError.outOfMemory("cannot allocate \(bytes) bytes")
        }
        // Advice only: a kernel without THP ignores it (and an error changes nothing).
        if huge { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: T.self, capacity: n)
        self.count = n
    }

    deinit { free(pointer) }

    var bytes: Int { count * MemoryLayout<T>.stride }
}

/// `n` rounded up to a multiple of 8 (the kernels read inputs eight at a time).
@inline(__always) func paddedToEight(_ n: Int) -> Int { (n + 7) / 8 * 8 }
