import ResolverCore
import Synchronization

/// `Synchronization.Mutex` — stored inline, no allocation — whose hand-over from one holder
/// to the next ThreadSanitizer sees.
///
/// On Linux the standard library's `Mutex` is a futex word, and the library is not built
/// with the sanitizer: two threads that hold it one after the other look, to
/// ThreadSanitizer, like a race on what it guards. (Seen on `OpLookup.state`: two event
/// loops aborting the same op on SIGTERM, one in `turnCame`, one in `finish`.) Under the
/// sanitizer, each holder releases an atomic as it leaves and the next acquires it as it
/// enters, which the sanitizer does model; elsewhere that costs one predictable branch.
///
/// It does not do more than `Mutex.withLock`: it is not recursive, has no `tryLock`, and
/// cannot be held across closures (``PthreadMutex`` can).
struct InlineMutex<Value: ~Copyable>: ~Copyable, Sendable {
    private let mutex: Mutex<Value>
    /// Touched only under ThreadSanitizer: the hand-over it can see.
    private let handOver = Atomic<Int>(0)

    init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            guard ThreadSanitizer.isLoaded else { return try body(&value) }
            _ = handOver.load(ordering: .acquiring)
            defer { handOver.wrappingAdd(1, ordering: .releasing) }
            return try body(&value)
        }
    }
}
