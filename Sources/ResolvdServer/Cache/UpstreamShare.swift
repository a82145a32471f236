import DequeModule
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// A fair share of the upstream capacity: each uid may have at most `perUID` upstream
/// lookups in flight, and each of its connections at most ``perConnection`` of those; the
/// lookups beyond wait in their connection's queue, and the uid's connections take turns
/// (round-robin) when one of the uid's lookups finishes.
///
/// The channels' query slots (`channels` × `max_in_flight_per_channel`) and their FIFO wait
/// queues are shared by everyone; without this, one uid holding thousands of lookups on an
/// upstream that never answers filled every slot and everyone else's uncached lookups
/// waited behind them. With it, one uid holds at most `perUID` slots (by default a quarter
/// of them, ``ResolvdDaemon/upstreamLookupsPerUID(_:resolver:)``), so another uid's lookup
/// finds a free slot at once. Within a uid, one connection (one program) holds at most
/// three quarters of the uid's share, so the same user's other programs find slots too —
/// under nss-resolve every program of a user shares one uid — and the turns keep one
/// connection's backlog from standing before another's. A lookup of another uid that
/// joins a waiting lookup (coalescing) starts it at once (``promote(_:)``): nobody waits
/// in another uid's queue.
///
/// Every operation is O(1) but ``release(_:)``, which may pass over the uid's connections
/// that are at their own cap (at most `max_connections_per_uid` of them): a waiting lookup
/// is a node of its connection's doubly linked list, found through one dictionary, so a
/// lookup whose last waiter leaves is ``withdraw(_:)``n at once and leaves nothing behind.
///
/// It counts and queues the lookups it is given; it does not start, cancel, time out or
/// answer them (``LookupService`` does, with what ``acquire(_:owner:)`` and
/// ``release(_:)`` return). It is a value: its owner keeps it under its own lock
/// (LookupService's `state`), so a lookup costs no lock of its own.
struct UpstreamShare<Lookup: AnyObject> {
    typealias Owner = ShareOwner

    /// One connection's lookups: how many are in flight, and its queue.
    fileprivate struct Connection {
        var inFlight = 0
        var first: ObjectIdentifier?
        var last: ObjectIdentifier?
        var waiting = 0
        /// In its uid's `turns`.
        var hasTurn = false
        var isIdle: Bool { inFlight == 0 && waiting == 0 }

        mutating func enqueue(_ id: ObjectIdentifier) {
            if first == nil { first = id }
            last = id
            waiting += 1
        }

        mutating func unlink(_ id: ObjectIdentifier, previous: ObjectIdentifier?, next: ObjectIdentifier?) {
            if first == id { first = next }
            if last == id { last = previous }
            waiting -= 1
        }
    }

    /// One uid's lookups. Buckets are kept once made: there are at most as many as uids
    /// that ever resolved, and a lookup at a time must not cost a bucket's allocation.
    fileprivate struct Bucket {
        var inFlight = 0
        var waiting = 0
        var connections: [UInt64: Connection] = [:]
        /// Connections with waiting lookups, in the order they take turns.
        var turns = Deque<UInt64>()

        mutating func charge(_ connection: UInt64) {
            inFlight += 1
            connections[connection, default: Connection()].inFlight += 1
        }

        /// Forgets a connection with nothing in flight, waiting or in the turns.
        mutating func dropIfIdle(_ connection: UInt64) {
            if let state = connections[connection], state.isIdle, !state.hasTurn { connections[connection] = nil }
        }
    }

    /// A waiting lookup: a node of its connection's list.
    fileprivate struct Node {
        let lookup: Lookup
        let owner: Owner
        var previous: ObjectIdentifier?
        var next: ObjectIdentifier?
    }

    var perUID: Int {
        didSet { perUID = max(1, perUID) }
    }

    /// The most one connection may hold of its uid's share: three quarters, so that a
    /// quarter always stays for the uid's other connections (at least one slot).
    var perConnection: Int { perUID < 2 ? perUID : perUID - max(1, perUID / 4) }

    private var buckets: [uid_t?: Bucket] = [:]
    private var nodes: [ObjectIdentifier: Node] = [:]

    init(perUID: Int) {
        self.perUID = max(1, perUID)
    }

    /// Charges `lookup` to `owner`: true when it may start now (it holds a slot until
    /// ``release(_:)``); false when it waits, to be returned by a later ``release(_:)`` of
    /// the same uid, or taken out by ``promote(_:)`` or ``withdraw(_:)``.
    mutating func acquire(_ lookup: Lookup, owner: Owner) -> Bool {
        let (perUID, perConnection) = (self.perUID, self.perConnection)
        return Self.acquire(lookup, owner, perUID, perConnection, &buckets[owner.uid, default: Bucket()], &nodes)
    }

    /// A lookup charged to `owner` has finished (or no longer needs its slot): the uid's
    /// next waiting lookup by turns, which takes the slot and must be started now, or nil.
    mutating func release(_ owner: Owner) -> Lookup? {
        let (perUID, perConnection) = (self.perUID, self.perConnection)
        return Self.release(owner, perUID, perConnection, &buckets[owner.uid, default: Bucket()], &nodes)
    }

    /// Takes `lookup` out of its queue to be started now, over its owner's share (another
    /// uid joined it); false if it is not waiting.
    mutating func promote(_ lookup: Lookup) -> Bool {
        guard let owner = nodes[ObjectIdentifier(lookup)]?.owner else { return false }
        Self.take(ObjectIdentifier(lookup), &buckets[owner.uid, default: Bucket()], &nodes)
        buckets[owner.uid, default: Bucket()].charge(owner.connection)
        return true
    }

    /// Takes `lookup` out of its queue for good (nobody waits for it any more, or it waited
    /// past its own timeout); false if it is not waiting (it has started, or finished).
    mutating func withdraw(_ lookup: Lookup) -> Bool {
        guard let owner = nodes[ObjectIdentifier(lookup)]?.owner else { return false }
        Self.take(ObjectIdentifier(lookup), &buckets[owner.uid, default: Bucket()], &nodes)
        return true
    }

    /// Whether `lookup` waits in a queue.
    func isWaiting(_ lookup: Lookup) -> Bool {
        nodes[ObjectIdentifier(lookup)] != nil
    }

    /// Upstream lookups in flight and waiting, per uid that has any (for tests and stats).
    var snapshot: [uid_t?: (inFlight: Int, waiting: Int)] {
        buckets.filter { $0.value.inFlight > 0 || $0.value.waiting > 0 }.mapValues { ($0.inFlight, $0.waiting) }
    }

    /// Upstream lookups in flight and waiting of one connection (for tests).
    func connection(_ owner: Owner) -> (inFlight: Int, waiting: Int) {
        let connection = buckets[owner.uid]?.connections[owner.connection]
        return (connection?.inFlight ?? 0, connection?.waiting ?? 0)
    }

    // MARK: The queues (static, so that a bucket and the nodes can be borrowed at once)

    private static func acquire(
        _ lookup: Lookup, _ owner: Owner, _ perUID: Int, _ perConnection: Int, _ bucket: inout Bucket, _ nodes: inout [ObjectIdentifier: Node]
    ) -> Bool {
        let connection = bucket.connections[owner.connection]
        // A connection with lookups waiting queues behind them, whatever the counts say.
        if bucket.inFlight < perUID, (connection?.inFlight ?? 0) < perConnection, (connection?.waiting ?? 0) == 0 {
            bucket.charge(owner.connection)
            return true
        }
        let id = ObjectIdentifier(lookup)
        let last = connection?.last
        if let last { nodes[last]?.next = id }
        nodes[id] = Node(lookup: lookup, owner: owner, previous: last, next: nil)
        bucket.connections[owner.connection, default: Connection()].enqueue(id)
        bucket.waiting += 1
        if !bucket.connections[owner.connection, default: Connection()].hasTurn {
            bucket.connections[owner.connection, default: Connection()].hasTurn = true
            bucket.turns.append(owner.connection)
        }
        return false
    }

    private static func release(
        _ owner: Owner, _ perUID: Int, _ perConnection: Int, _ bucket: inout Bucket, _ nodes: inout [ObjectIdentifier: Node]
    ) -> Lookup? {
        bucket.inFlight -= 1
        bucket.connections[owner.connection]?.inFlight -= 1
        bucket.dropIfIdle(owner.connection)
        guard bucket.inFlight < perUID, let next = nextInTurn(&bucket, perConnection: perConnection),
              let node = nodes[next] else { return nil }
        take(next, &bucket, &nodes)
        bucket.charge(node.owner.connection)
        return node.lookup
    }

    /// The first waiting lookup of the first connection in turn that is under its own cap;
    /// that connection goes to the back of the turns (it still has its turn while lookups
    /// wait). Connections with nothing waiting any more (withdrawn) leave the turns here.
    private static func nextInTurn(_ bucket: inout Bucket, perConnection: Int) -> ObjectIdentifier? {
        var passed = 0
        while passed < bucket.turns.count, let connectionID = bucket.turns.popFirst() {
            guard let connection = bucket.connections[connectionID], let first = connection.first else {
                bucket.connections[connectionID]?.hasTurn = false
                bucket.dropIfIdle(connectionID)
                continue
            }
            bucket.turns.append(connectionID)
            guard connection.inFlight < perConnection else {
                passed += 1
                continue
            }
            return first
        }
        return nil
    }

    /// Unlinks waiting lookup `id` (which waits in `bucket`); the slot counts are the caller's.
    private static func take(_ id: ObjectIdentifier, _ bucket: inout Bucket, _ nodes: inout [ObjectIdentifier: Node]) {
        guard let node = nodes.removeValue(forKey: id) else { return }
        if let previous = node.previous { nodes[previous]?.next = node.next }
        if let next = node.next { nodes[next]?.previous = node.previous }
        bucket.waiting -= 1
        bucket.connections[node.owner.connection]?.unlink(id, previous: node.previous, next: node.next)
        // Left in the turns while it has one: `nextInTurn` drops it when it comes up.
        bucket.dropIfIdle(node.owner.connection)
    }
}

/// Who a lookup is charged to: a peer's uid (nil for a peer without credentials and the
/// daemon's own callers, which share one bucket) and its connection.
struct ShareOwner: Hashable, Sendable {
    var uid: uid_t?
    var connection: UInt64

    init(uid: uid_t?, connection: UInt64) {
        self.uid = uid
        self.connection = connection
    }
}

extension ResolvdDaemon {
    /// `max_upstream_lookups_per_uid`, or by default a quarter of the channels' query
    /// slots (a lookup may take two: A and AAAA), so that no uid can take them all.
    static func upstreamLookupsPerUID(_ configuration: DaemonConfiguration, resolver: CoreResolver) -> Int {
        configuration.limits.maxUpstreamLookupsPerUID ?? resolver.quarterOfQueryCapacity
    }
}

extension UpstreamShare: Sendable where Lookup: Sendable {}
extension UpstreamShare.Node: Sendable where Lookup: Sendable {}
extension UpstreamShare.Bucket: Sendable where Lookup: Sendable {}
