#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread mutex, for a critical section that spans more than one closure (a
/// ``ChannelLoop``'s ownership of its channel: held by the loop thread for a whole turn,
/// taken by a submitting thread only if free) and for the test fixtures' locks.
///
/// It is not recursive: `tryLock` by the holder returns false. A pthread mutex rather than
/// `Synchronization.Mutex`, which cannot be held across a turn of a loop and whose hand-over
/// ThreadSanitizer does not see (ResolvdServer's `InlineMutex` makes it visible where a
/// lock must be stored inline). It costs an allocation, so per-lookup state does not use it.
package final class PthreadMutex: @unchecked Sendable {
    // Safe: the mutex is allocated once, never moved, and only touched through pthread calls.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    package func lock() {
        pthread_mutex_lock(mutex)
    }

    /// Takes the mutex only if nobody holds it.
    package func tryLock() -> Bool {
        pthread_mutex_trylock(mutex) == 0
    }

    package func unlock() {
        pthread_mutex_unlock(mutex)
    }

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
