import NIOConcurrencyHelpers
import Synchronization

/// The table of pending lookups, by handle, and the handle counter.
///
/// It answers "is this handle pending, finished, or never issued?" and "what does this
/// owner have pending?". It never completes a lookup itself and never holds its lock
/// while running anyone's code, so completions may call back into the resolver.
final class LookupRegistry: Sendable {
    private struct Table {
        var pending: [LookupHandle: LookupRecord] = [:]
        var isClosed = false
    }

    private let lastIssuedHandle = Atomic<UInt64>(0)
    private let lastOwner = Atomic<UInt64>(0)
    private let table = NIOLockedValueBox(Table())

    /// A new handle, never issued before; never zero.
    func issueHandle() -> LookupHandle {
        LookupHandle(rawValue: lastIssuedHandle.add(1, ordering: .relaxed).newValue)
    }

    func makeOwner() -> LookupOwner {
        LookupOwner(id: lastOwner.add(1, ordering: .relaxed).newValue)
    }

    /// The last handle issued (0 before the first): every handle in 1 … this has been
    /// issued (pending or finished), which is how ``CancelRules`` tells finished from
    /// never issued.
    var lastIssued: UInt64 { lastIssuedHandle.load(ordering: .relaxed) }

    /// Adds a pending lookup; false once the registry is closed (the resolver shut down).
    func insert(_ record: LookupRecord) -> Bool {
        table.withLockedValue { table in
            guard !table.isClosed else { return false }
            table.pending[record.handle] = record
            return true
        }
    }

    /// Refuses further inserts and returns what is pending, in start order; nil when
    /// already closed. A lookup inserted before this call is in the list, so nothing
    /// can slip in between a shutdown's snapshot and its loops stopping.
    func close() -> [LookupRecord]? {
        table.withLockedValue { table in
            guard !table.isClosed else { return nil }
            table.isClosed = true
            return table.pending.values.sorted { $0.handle < $1.handle }
        }
    }

    func remove(_ record: LookupRecord) {
        table.withLockedValue { table in
            table.pending[record.handle] = nil
        }
    }

    func record(for handle: LookupHandle) -> LookupRecord? {
        table.withLockedValue { $0.pending[handle] }
    }

    /// The owner's pending lookups, sorted by handle (the order they were started).
    ///
    /// A scan of everything pending: cancel-all is rare, and keeping a per-owner index
    /// would cost every lookup two more hash updates under the lock.
    func pending(of owner: LookupOwner) -> [LookupRecord] {
        table.withLockedValue { table in
            table.pending.values.filter { $0.owner == owner }.sorted { $0.handle < $1.handle }
        }
    }

    func allPending() -> [LookupRecord] {
        table.withLockedValue { table in
            table.pending.values.sorted { $0.handle < $1.handle }
        }
    }

    var pendingCount: Int {
        table.withLockedValue { $0.pending.count }
    }
}
