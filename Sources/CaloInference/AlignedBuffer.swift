#if canImport(Glibc)
import Glibc
#endif

/// Zero-filled memory for `count` values of `T` at a 64-byte boundary, freed with the object.
///
/// Allocation goes through `posix_memalign` (or `mmap`, below), so running out of memory is an
/// error the library can return (`InferenceError.outOfMemory`) instead of a trap in the host.
///
/// `hugePages`: a buffer of at least 2 MiB is mapped fresh from the kernel at a 2 MiB boundary
/// and advised for transparent huge pages (`madvise(MADV_HUGEPAGE)`) before it is first touched.
/// The packed weights use it: a batch-1 shower streams ~100 MB of them, and with 4 KiB pages
/// every page costs a TLB miss and restarts the hardware prefetcher, which stops at 4 KiB
/// boundaries. (Memory from `malloc` may be recycled heap pages already backed by 4 KiB pages,
/// which the advice does not change, hence the mapping.) Where the kernel has no THP, the
/// advice is ignored and the buffer is an ordinary one.
public final class AlignedBuffer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int
    /// Bytes of the `mmap` behind a huge-page buffer; 0 when the buffer came from `posix_memalign`.
    private let mappedBytes: Int

    /// Bytes from which a `hugePages` buffer is mapped on a 2 MiB boundary.
    static var hugePageBytes: Int { 2 << 20 }

    public init(count: Int, hugePages: Bool = false) throws {
        let n = max(1, count)
        let bytes = n * MemoryLayout<T>.stride
        if hugePages && bytes >= Self.hugePageBytes, let (p, mapped) = Self.mapHugeAligned(bytes) {
            pointer = p.bindMemory(to: T.self, capacity: n)  // fresh anonymous pages are zero
            mappedBytes = mapped
        } else {
            var raw: UnsafeMutableRawPointer? = nil
            guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
                throw InferenceError.outOfMemory("cannot allocate \(bytes) bytes")
            }
            memset(raw, 0, bytes)
            pointer = raw.bindMemory(to: T.self, capacity: n)
            mappedBytes = 0
        }
        self.count = n
    }

    /// A fresh anonymous mapping of `bytes` (rounded up to 4 KiB pages) starting at a 2 MiB
    /// boundary, advised for huge pages; nil when the kernel refuses the mapping (the caller
    /// falls back to `posix_memalign`, which reports a real shortage).
    private static func mapHugeAligned(_ bytes: Int) -> (UnsafeMutableRawPointer, Int)? {
        let page = 4096, align = hugePageBytes
        let length = (bytes + page - 1) / page * page
        guard let raw = mmap(nil, length + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { return nil }
        let start = Int(bitPattern: raw), aligned = (start + align - 1) / align * align
        // Give back the parts before the boundary and after the buffer.
        if aligned > start { munmap(raw, aligned - start) }
        let end = start + length + align, used = aligned + length
        if end > used { munmap(UnsafeMutableRawPointer(bitPattern: used), end - used) }
        let p = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(p, length, MADV_HUGEPAGE)  // advice only: an error changes nothing
        return (p, length)
    }

    deinit {
        if mappedBytes > 0 { munmap(pointer, mappedBytes) } else { free(pointer) }
    }

    var bytes: Int { count * MemoryLayout<T>.stride }
}

/// `n` rounded up to a multiple of 8 (the kernels read inputs eight at a time).
@inline(__always) func paddedToEight(_ n: Int) -> Int { (n + 7) / 8 * 8 }
