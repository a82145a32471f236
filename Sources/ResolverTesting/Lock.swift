import Glibc
import ResolverCore

/// The fixtures' lock: ResolverCore's pthread mutex.
typealias Lock = PthreadMutex

/// A value that is only read or written while `lock` is held.
final class Locked<Value>: @unchecked Sendable {
    // Safe: every access to `value` goes through `withLock`, under `lock`.
    private let lock = Lock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&value) }
    }

    var current: Value { withLock { $0 } }
}
