import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The two process-wide thread settings (OpenBLAS threads, `Parallel.maxWorkers`), changed
/// under one lock.
///
/// Results are reproducible for a given thread count, but not across a change of it in the
/// middle of a computation (OpenBLAS may split a product differently). Code that changes the
/// settings for a while and code that must not see them change (tests comparing two runs bit
/// for bit hold `with` for the whole comparison) therefore serialise on this lock. The lock is
/// recursive: a thread holding it may nest `with`, `set` and `onWorkers` (a command run inside
/// such a test applies its own settings); other threads wait.
public enum ComputeThreads {
    private nonisolated(unsafe) static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(m, &attributes)
        pthread_mutexattr_destroy(&attributes)
        return m
    }()

    private static func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Sets both counts (at least 1) for the rest of the process.
    public static func set(blas: Int, workers: Int) {
        locked {
            setBLAS(blas)
            Parallel.maxWorkers = max(1, workers)
        }
    }

    /// Runs `body` with the given counts (`blas` nil: OpenBLAS left as it is) and restores the
    /// previous ones afterwards.
    public static func with<R>(blas: Int?, workers: Int, _ body: () throws -> R) rethrows -> R {
        try locked {
            let savedBLAS = BLASRuntime.threads, savedWorkers = Parallel.maxWorkers
            if let blas { setBLAS(blas) }
            Parallel.maxWorkers = max(1, workers)
            defer { setBLAS(savedBLAS); Parallel.maxWorkers = savedWorkers }
            return try body()
        }
    }

    /// Changes OpenBLAS's thread count only when it differs: resizing its thread pool while
    /// another thread is inside a product is not safe in OpenBLAS 0.3.21 (seen as a product
    /// spinning forever for a worker that no longer exists), so the fewer changes the better.
    private static func setBLAS(_ n: Int) {
        if BLASRuntime.threads != max(1, n) { BLASRuntime.threads = n }
    }

    /// Runs `body(w)` for w in 0..<workers on concurrent threads, each a whole unit of work:
    /// OpenBLAS on one thread (unless `singleThreadedBLAS` is false) and `Parallel` loops serial
    /// inside, so the cores never synchronise with each other; each computes in the calling
    /// thread's `SubnormalMode`. Rethrows the first error (all
    /// workers run to the end first).
    public static func onWorkers(_ workers: Int, singleThreadedBLAS: Bool = true,
                                 _ body: @Sendable (Int) throws -> Void) throws {
        let failure = FirstError()
        let mode = SubnormalMode.current
        with(blas: singleThreadedBLAS ? 1 : nil, workers: 1) {
            DispatchQueue.concurrentPerform(iterations: max(1, workers)) { w in
                SubnormalMode.run(in: mode) {
                    do { try body(w) } catch { failure.record(error) }
                }
            }
        }
        if let e = failure.error { throw e }
    }

    private final class FirstError: Sendable {
        private let value = Mutex<(any Error)?>(nil)
        func record(_ e: any Error) { value.withLock { if $0 == nil { $0 = e } } }
        var error: (any Error)? { value.withLock { $0 } }
    }
}
