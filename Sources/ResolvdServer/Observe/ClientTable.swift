import NIOConcurrencyHelpers
import ResolvdProtocol
import Synchronization

/// One client uid's counters: shared by that uid's connections, which count into it with
/// relaxed atomics on the lookup path (no lock, no dictionary per lookup).
final class ClientCounters: Sendable {
    let uid: UInt32
    let lookups = Atomic<Int>(0)
    let cacheHits = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let cancelled = Atomic<Int>(0)
    /// Lookups answered; `lookups - finished` are in flight (one atomic add per event, not two).
    let finished = Atomic<Int>(0)
    /// Open connections of this uid: an entry with none may be forgotten (``ClientTable``).
    let connections = Atomic<Int>(0)

    init(uid: UInt32) {
        self.uid = uid
    }

    @inline(__always)
    func lookupStarted() {
        lookups.add(1, ordering: .relaxed)
    }

    /// A lookup's reply, by its result code; `fromCache` when the cache answered it.
    @inline(__always)
    func lookupFinished(_ code: Int32, fromCache: Bool) {
        finished.add(1, ordering: .relaxed)
        if fromCache { cacheHits.add(1, ordering: .relaxed) }
        switch LookupEnding(code) {
        case .answered: break
        case .cancelled, .aborted: cancelled.add(1, ordering: .relaxed)
        case .timedOut, .failed: failures.add(1, ordering: .relaxed)
        }
    }

    var statistics: ClientStatistics {
        // Two relaxed loads are no snapshot: a lookup finishing in between must not make it negative.
        let finished = self.finished.load(ordering: .relaxed)
        let lookups = self.lookups.load(ordering: .relaxed)
        return ClientStatistics(
            uid: uid, lookups: lookups, cacheHits: cacheHits.load(ordering: .relaxed), failures: failures.load(ordering: .relaxed),
            cancelled: cancelled.load(ordering: .relaxed), inFlight: max(0, lookups - finished))
    }
}

/// The per-uid counters behind `stats`' `clients`, bounded: at most ``capacity`` uids are
/// kept; a new uid beyond that replaces the least busy uid that has no open connection
/// (its counts are forgotten). Connections register once, when their peer credentials are
/// read, and count into their ``ClientCounters`` afterwards without this table's lock.
final class ClientTable: Sendable {
    static let capacity = 256

    private let table = NIOLockedValueBox<[UInt32: ClientCounters]>([:])

    /// The counters of `uid`, with one more open connection.
    func register(uid: UInt32) -> ClientCounters {
        table.withLockedValue { table in
            if let counters = table[uid] {
                counters.connections.add(1, ordering: .relaxed)
                return counters
            }
            if table.count >= Self.capacity,
               let idle = table.values.filter({ $0.connections.load(ordering: .relaxed) == 0 })
                .min(by: { $0.lookups.load(ordering: .relaxed) < $1.lookups.load(ordering: .relaxed) }) {
                table[idle.uid] = nil
            }
            let counters = ClientCounters(uid: uid)
            counters.connections.add(1, ordering: .relaxed)
            table[uid] = counters
            return counters
        }
    }

    /// A connection of `counters`' uid closed.
    func release(_ counters: ClientCounters) {
        counters.connections.subtract(1, ordering: .relaxed)
    }

    /// The `limit` uids with the most lookups, most first.
    func busiest(_ limit: Int) -> [ClientStatistics] {
        let all = table.withLockedValue { Array($0.values) }
        return all.map(\.statistics).sorted { ($0.lookups, $1.uid) > ($1.lookups, $0.uid) }.prefix(limit).map { $0 }
    }

    /// The row of `uid` alone (none if it has no counters).
    func statistics(of uid: UInt32) -> [ClientStatistics] {
        table.withLockedValue { $0[uid] }.map { [$0.statistics] } ?? []
    }

    var count: Int { table.withLockedValue { $0.count } }
}
