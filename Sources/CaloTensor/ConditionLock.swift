#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with one condition variable: hand-offs between producer and consumer
/// threads (a thread waits inside `withLock` until another changes the guarded state and
/// broadcasts).
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Releases the lock until another thread broadcasts, then takes it again. Call only inside
    /// `withLock`, in a loop that rechecks the awaited state (wake-ups may be spurious).
    public func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Wakes every thread waiting in `wait` (call inside `withLock`, after changing the state).
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
