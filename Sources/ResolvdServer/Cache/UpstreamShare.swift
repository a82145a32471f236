import NIOConcurrencyHelpers
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// A fair share of the upstream capacity: each uid may have at most `perUID` upstream
/// lookups in flight; the lookups it starts beyond that wait in a queue of its own, and
/// the next one starts when one of its lookups finishes.
///
/// The channels' query slots (`channels` × `max_in_flight_per_channel`) and their FIFO wait
/// queues are shared by everyone; without this, one uid holding thousands of lookups on an
/// upstream that never answers filled every slot and everyone else's uncached lookups
/// waited behind them. With it, one uid holds at most `perUID` slots (by default a quarter
/// of them, ``LookupService``), so another uid's lookup finds a free slot at once, and its
/// backlog waits only on its own lookups. A lookup of another uid that joins a waiting
/// shared lookup (coalescing) starts it at once (``promote(_:)``): nobody waits in another
/// uid's queue. Each uid's queue is bounded by what its connections may have in flight
/// (`max_lookups_per_connection`, `max_connections_per_uid`).
///
/// It counts and queues; it does not start, cancel or answer lookups (``LookupService``
/// does, through the closures it hands over). Closures run outside its lock.
final class UpstreamShare: Sendable {
    typealias Start = @Sendable () -> Void

    /// Who a lookup is charged to: a peer's uid, or nil for a peer without credentials
    /// (and the daemon's own callers), which share one bucket.
    typealias Owner = uid_t?

    private struct Waiting {
        let key: ObjectIdentifier
        let start: Start
    }

    private struct Bucket {
        var inFlight = 0
        var waiting: [Waiting] = []
        /// Index of the first entry of `waiting` not yet started (a FIFO without shifting).
        var head = 0
    }

    private struct State {
        var perUID: Int
        var buckets: [Owner: Bucket] = [:]
    }

    private let state: NIOLockedValueBox<State>

    init(perUID: Int) {
        self.state = NIOLockedValueBox(State(perUID: max(1, perUID)))
    }

    /// A new share, e.g. after a reload; lookups already counted keep their slots.
    func update(perUID: Int) {
        state.withLockedValue { $0.perUID = max(1, perUID) }
    }

    var perUID: Int { state.withLockedValue { $0.perUID } }

    /// Charges a lookup to `owner`: true when it may start now; else `start` runs when one
    /// of the owner's lookups finishes (or ``promote(_:)``). `key` names the lookup.
    func acquire(_ owner: Owner, key: ObjectIdentifier, start: @escaping Start) -> Bool {
        state.withLockedValue { state in
            let perUID = state.perUID
            return Self.modify(&state.buckets, owner) { bucket in
                if bucket.inFlight < perUID {
                    bucket.inFlight += 1
                    return true
                }
                bucket.waiting.append(Waiting(key: key, start: start))
                return false
            }
        }
    }

    /// A lookup charged to `owner` has finished: the owner's next waiting lookup starts
    /// (keeping the slot), or the slot is freed.
    func release(_ owner: Owner) {
        let next = state.withLockedValue { state -> Start? in
            Self.modify(&state.buckets, owner) { bucket in
                if bucket.head < bucket.waiting.count {
                    let next = bucket.waiting[bucket.head].start
                    bucket.head += 1
                    if bucket.head == bucket.waiting.count {
                        bucket.waiting.removeAll(keepingCapacity: false)
                        bucket.head = 0
                    }
                    return next
                }
                bucket.inFlight -= 1
                return nil
            }
        }
        next?()
    }

    /// Starts the waiting lookup `key` of `owner` now, over its share (another uid joined
    /// it); false if it is not waiting. It is charged to `owner` as if it had started in turn.
    @discardableResult
    func promote(_ owner: Owner, key: ObjectIdentifier) -> Bool {
        let start = state.withLockedValue { state -> Start? in
            Self.modify(&state.buckets, owner) { bucket in
                guard let index = bucket.waiting[bucket.head...].firstIndex(where: { $0.key == key }) else { return nil }
                let entry = bucket.waiting.remove(at: index)
                bucket.inFlight += 1
                return entry.start
            }
        }
        start?()
        return start != nil
    }

    /// Upstream lookups in flight and waiting, per owner (for tests and `stats`).
    func snapshot() -> [Owner: (inFlight: Int, waiting: Int)] {
        state.withLockedValue { state in
            state.buckets.mapValues { ($0.inFlight, $0.waiting.count - $0.head) }
        }
    }

    /// Runs `body` on `owner`'s bucket and drops the bucket when it is empty again.
    private static func modify<T>(_ buckets: inout [Owner: Bucket], _ owner: Owner, _ body: (inout Bucket) -> T) -> T {
        var bucket = buckets.removeValue(forKey: owner) ?? Bucket()
        let result = body(&bucket)
        if bucket.inFlight > 0 || bucket.head < bucket.waiting.count { buckets[owner] = bucket }
        return result
    }
}

extension ResolvdDaemon {
    /// `max_upstream_lookups_per_uid`, or by default a quarter of the channels' query
    /// slots (a lookup may take two: A and AAAA), so that no uid can take them all.
    static func upstreamLookupsPerUID(_ configuration: DaemonConfiguration, resolver: CoreResolver) -> Int {
        configuration.limits.maxUpstreamLookupsPerUID ?? max(1, resolver.configuration.channelCount * resolver.queryLimitPerChannel / 4)
    }
}
