#if canImport(Glibc)
import Glibc
#endif

/// Who may call c-ares on a ``ChannelLoop``'s channel right now: a plain pthread mutex,
/// held by the loop thread whenever it is awake, and taken — only if free — by a thread
/// that submits a lookup while the loop sleeps, so that the lookup starts at once instead
/// of after a wake-up of the loop thread (docs/architecture.md, "Threads").
///
/// It does not order anything by itself and is not recursive: a holder that tries again
/// (a lookup's completion that submits another, inside a start) gets `false` and queues
/// the lookup for the loop thread instead. A pthread mutex rather than
/// `Synchronization.Mutex`, because the holder's critical section spans a whole turn of
/// the loop, not one closure, and ThreadSanitizer understands pthread mutexes.
final class ChannelOwnership: @unchecked Sendable {
    // Safe: the mutex is allocated once, never moved, and only touched through pthread calls.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Waits for the channel (the loop thread, after `epoll_wait`).
    func take() {
        pthread_mutex_lock(mutex)
    }

    /// Takes the channel only if nobody holds it.
    func takeIfFree() -> Bool {
        pthread_mutex_trylock(mutex) == 0
    }

    func release() {
        pthread_mutex_unlock(mutex)
    }
}
