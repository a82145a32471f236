import NIOCore
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
/// of them, ``ResolvdDaemon/upstreamLookupsPerUID(_:resolver:)``), so another uid's lookup
/// finds a free slot at once, and a backlog waits only on its owner's own lookups. A lookup
/// of another uid that joins a waiting shared lookup (coalescing) starts it at once
/// (``promote(_:_:)``): nobody waits in another uid's queue. Each uid's queue is bounded by
/// what its connections may have in flight (`max_lookups_per_connection`,
/// `max_connections_per_uid`).
///
/// It counts and queues the lookups it is given; it does not start, cancel or answer them
/// (``LookupService`` does, with what ``acquire(_:_:)`` and ``release(_:)`` return). It is
/// a value: its owner keeps it under its own lock (LookupService's `state`), so a lookup
/// costs no lock of its own.
struct UpstreamShare<Lookup: AnyObject> {
    /// Who a lookup is charged to: a peer's uid, or nil for a peer without credentials
    /// (and the daemon's own callers), which share one bucket.
    typealias Owner = uid_t?

    fileprivate struct Bucket {
        var inFlight = 0
        var waiting = CircularBuffer<Lookup>()
    }

    var perUID: Int {
        didSet { perUID = max(1, perUID) }
    }

    private var buckets: [Owner: Bucket] = [:]

    init(perUID: Int) {
        self.perUID = max(1, perUID)
    }

    /// Charges `lookup` to `owner`: true when it may start now; false when it waits, to be
    /// returned by a later ``release(_:)`` of the same owner (or started by ``promote(_:_:)``).
    mutating func acquire(_ owner: Owner, _ lookup: Lookup) -> Bool {
        let perUID = self.perUID
        return modify(owner) { bucket in
            if bucket.inFlight < perUID {
                bucket.inFlight += 1
                return true
            }
            bucket.waiting.append(lookup)
            return false
        }
    }

    /// A lookup charged to `owner` has finished: the owner's next waiting lookup, which
    /// keeps the slot and must be started now, or nil (the slot is freed).
    mutating func release(_ owner: Owner) -> Lookup? {
        modify(owner) { bucket in
            if let next = bucket.waiting.popFirst() { return next }
            bucket.inFlight -= 1
            return nil
        }
    }

    /// Takes `lookup` out of `owner`'s queue to be started now, over the owner's share
    /// (another uid joined it); false if it is not waiting there.
    mutating func promote(_ owner: Owner, _ lookup: Lookup) -> Bool {
        modify(owner) { bucket in
            guard Self.remove(lookup, from: &bucket.waiting) else { return false }
            bucket.inFlight += 1
            return true
        }
    }

    /// Takes `lookup` out of `owner`'s queue for good (it waited past its own timeout);
    /// false if it is not waiting there (it has started, or finished).
    mutating func withdraw(_ owner: Owner, _ lookup: Lookup) -> Bool {
        modify(owner) { Self.remove(lookup, from: &$0.waiting) }
    }

    private static func remove(_ lookup: Lookup, from waiting: inout CircularBuffer<Lookup>) -> Bool {
        guard let index = waiting.firstIndex(where: { $0 === lookup }) else { return false }
        waiting.remove(at: index)
        return true
    }

    /// Upstream lookups in flight and waiting, per owner that has any (for tests).
    var snapshot: [Owner: (inFlight: Int, waiting: Int)] {
        buckets.filter { $0.value.inFlight > 0 || !$0.value.waiting.isEmpty }.mapValues { ($0.inFlight, $0.waiting.count) }
    }

    /// Runs `body` on `owner`'s bucket in place (one hash lookup). Buckets are kept once
    /// made: there are at most as many as uids that ever resolved, and a lookup at a time
    /// must not cost a bucket's allocation.
    private mutating func modify<T>(_ owner: Owner, _ body: (inout Bucket) -> T) -> T {
        body(&buckets[owner, default: Bucket()])
    }
}

extension ResolvdDaemon {
    /// `max_upstream_lookups_per_uid`, or by default a quarter of the channels' query
    /// slots (a lookup may take two: A and AAAA), so that no uid can take them all.
    static func upstreamLookupsPerUID(_ configuration: DaemonConfiguration, resolver: CoreResolver) -> Int {
        configuration.limits.maxUpstreamLookupsPerUID ?? max(1, resolver.configuration.channelCount * resolver.queryLimitPerChannel / 4)
    }
}

extension UpstreamShare: Sendable where Lookup: Sendable {}
extension UpstreamShare.Bucket: Sendable where Lookup: Sendable {}
