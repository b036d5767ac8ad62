#if canImport(Glibc)
import Glibc
#endif

/// Zero-filled memory for `count` values of `T` at a 64-byte boundary, freed with the object.
///
/// Allocation goes through `posix_memalign`, so running out of memory is an error the library
/// can return (`InferenceError.outOfMemory`) instead of a trap in the host process.
public final class AlignedBuffer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int

    public init(count: Int) throws {
        let n = max(1, count)
        var raw: UnsafeMutableRawPointer? = nil
        let bytes = n * MemoryLayout<T>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw InferenceError.outOfMemory("cannot allocate \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: T.self, capacity: n)
        self.count = n
    }

    deinit { free(pointer) }

    var bytes: Int { count * MemoryLayout<T>.stride }
}

/// `n` rounded up to a multiple of 8 (the kernels read inputs eight at a time).
@inline(__always) func paddedToEight(_ n: Int) -> Int { (n + 7) / 8 * 8 }
