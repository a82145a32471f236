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
/// connection's backlog from standing before another's.
///
/// A waiting lookup is an `Item` (a value: the service's is whom the answer goes to) with a
/// ticket, in its connection's queue. Withdrawing one is O(1): its ticket leaves the set of
/// waiting tickets, and its entry stays in the queue until it comes up (skipped) or until
/// the withdrawn entries outnumber the waiting ones (swept) — so a queue holds at most about
/// twice what waits in it. Every operation is O(1) amortized but ``release(_:)``, which may
/// pass over the uid's connections that are at their own cap (at most
/// `max_connections_per_uid` of them).
///
/// It counts and queues the lookups it is given; it does not start, cancel, time out or
/// answer them (``LookupService`` does, with what ``acquire(_:ticket:owner:)`` and
/// ``release(_:)`` return). It is a value: its owner keeps it under its own lock
/// (LookupService's `state`), so a lookup costs no lock of its own.
struct UpstreamShare<Item> {
    typealias Owner = ShareOwner
    typealias Waiting = (ticket: UInt64, item: Item)

    /// One connection's lookups: how many are in flight, and its queue.
    fileprivate struct Connection {
        var inFlight = 0
        /// Its waiting lookups in order, and withdrawn ones not yet passed over or swept.
        var queue = Deque<Waiting>()
        /// How many of `queue` still wait.
        var waiting = 0
        /// In its uid's `turns`.
        var hasTurn = false
        var isIdle: Bool { inFlight == 0 && waiting == 0 }
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

        /// Charges a lookup to `connection` if the uid and the connection are under their caps
        /// and nothing of the connection waits: one probe of the table, not a read and then
        /// a write. A connection refused has its entry made here: it is about to queue.
        mutating func chargeIfRoom(_ connection: UInt64, perUID: Int, perConnection: Int) -> Bool {
            guard inFlight < perUID else { return false }
            let charged = Self.chargeIfRoom(&connections[connection, default: Connection()], perConnection: perConnection)
            if charged { inFlight += 1 }
            return charged
        }

        private static func chargeIfRoom(_ connection: inout Connection, perConnection: Int) -> Bool {
            // A connection with lookups waiting queues behind them, whatever the counts say.
            guard connection.inFlight < perConnection, connection.waiting == 0 else { return false }
            connection.inFlight += 1
            return true
        }

        /// A lookup of `connection` has finished: its count goes down, and an idle connection
        /// without a turn is forgotten — in one probe of the table.
        mutating func discharge(_ connection: UInt64) {
            inFlight -= 1
            Self.discharge(&connections[connection])
        }

        private static func discharge(_ connection: inout Connection?) {
            connection?.inFlight -= 1
            dropIfIdle(&connection)
        }

        /// Forgets a connection with nothing in flight, waiting or in the turns.
        mutating func dropIfIdle(_ connection: UInt64) {
            Self.dropIfIdle(&connections[connection])
        }

        private static func dropIfIdle(_ connection: inout Connection?) {
            if connection?.isIdle == true, connection?.hasTurn == false { connection = nil }
        }
    }

    var perUID: Int {
        didSet { perUID = max(1, perUID) }
    }

    /// The most one connection may hold of its uid's share: three quarters, so that a
    /// quarter always stays for the uid's other connections (at least one slot).
    var perConnection: Int { perUID < 2 ? perUID : perUID - max(1, perUID / 4) }

    private var buckets: [uid_t?: Bucket] = [:]
    /// The tickets that wait: one leaves when it is withdrawn or comes up.
    private var waitingTickets = Set<UInt64>()

    init(perUID: Int) {
        self.perUID = max(1, perUID)
    }

    /// Charges a lookup to `owner`: true when it may start now (it holds a slot until
    /// ``release(_:)``); false when `item` waits under `ticket` (unique while it waits), to
    /// be returned by a later ``release(_:)`` of the same uid, or taken out by
    /// ``withdraw(_:owner:)``.
    mutating func acquire(_ item: @autoclosure () -> Item, ticket: UInt64, owner: Owner) -> Bool {
        let (perUID, perConnection) = (self.perUID, self.perConnection)
        guard buckets[owner.uid, default: Bucket()].chargeIfRoom(owner.connection, perUID: perUID, perConnection: perConnection) else {
            Self.enqueue((ticket, item()), owner, &buckets[owner.uid, default: Bucket()])
            waitingTickets.insert(ticket)
            return false
        }
        return true
    }

    /// A lookup charged to `owner` has finished (or no longer needs its slot): the uid's
    /// next waiting lookup by turns, which takes the slot and must be started now, and its
    /// owner; or nil.
    mutating func release(_ owner: Owner) -> (item: Item, owner: Owner)? {
        let (perUID, perConnection) = (self.perUID, self.perConnection)
        return Self.release(owner, perUID, perConnection, &buckets[owner.uid, default: Bucket()], &waitingTickets)
    }

    /// Takes the lookup waiting under `ticket` out of `owner`'s queue for good (nobody waits
    /// for it any more, or it was answered otherwise); false if it does not wait (it has
    /// come up, or left already).
    mutating func withdraw(_ ticket: UInt64, owner: Owner) -> Bool {
        guard waitingTickets.remove(ticket) != nil else { return false }
        Self.withdrawn(owner, &buckets[owner.uid, default: Bucket()], waitingTickets)
        return true
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

    /// The entries `owner`'s queue holds, withdrawn ones not yet passed over included (tests).
    func queueLength(_ owner: Owner) -> Int {
        buckets[owner.uid]?.connections[owner.connection]?.queue.count ?? 0
    }

    // MARK: The queues (static, so that a bucket and the tickets can be borrowed at once)

    private static func enqueue(_ waiting: Waiting, _ owner: Owner, _ bucket: inout Bucket) {
        bucket.waiting += 1
        bucket.connections[owner.connection, default: Connection()].queue.append(waiting)
        bucket.connections[owner.connection, default: Connection()].waiting += 1
        if !bucket.connections[owner.connection, default: Connection()].hasTurn {
            bucket.connections[owner.connection, default: Connection()].hasTurn = true
            bucket.turns.append(owner.connection)
        }
    }

    private static func withdrawn(_ owner: Owner, _ bucket: inout Bucket, _ waitingTickets: Set<UInt64>) {
        bucket.waiting -= 1
        guard bucket.connections[owner.connection] != nil else { return }
        Self.withdrawn(from: &bucket.connections[owner.connection]!, waitingTickets)
        // Left in the turns while it has one: `nextInTurn` drops it when it comes up.
        bucket.dropIfIdle(owner.connection)
    }

    private static func withdrawn(from connection: inout Connection, _ waitingTickets: Set<UInt64>) {
        connection.waiting -= 1
        if connection.waiting == 0 {
            connection.queue.removeAll()
        } else if connection.queue.count > 2 * connection.waiting + 16 {
            // Withdrawn entries outnumber the waiting ones: sweep them (amortized O(1) each).
            connection.queue.removeAll { !waitingTickets.contains($0.ticket) }
        }
    }

    private static func release(
        _ owner: Owner, _ perUID: Int, _ perConnection: Int, _ bucket: inout Bucket, _ waitingTickets: inout Set<UInt64>
    ) -> (item: Item, owner: Owner)? {
        bucket.discharge(owner.connection)
        guard bucket.inFlight < perUID, let next = nextInTurn(&bucket, perConnection: perConnection, &waitingTickets) else { return nil }
        let nextOwner = Owner(uid: owner.uid, connection: next.connection)
        bucket.charge(next.connection)
        return (next.item, nextOwner)
    }

    /// Takes the first waiting lookup of the first connection in turn that is under its own
    /// cap; that connection goes to the back of the turns (it still has its turn while
    /// lookups wait). Connections with nothing waiting any more leave the turns here.
    private static func nextInTurn(
        _ bucket: inout Bucket, perConnection: Int, _ waitingTickets: inout Set<UInt64>
    ) -> (item: Item, connection: UInt64)? {
        var passed = 0
        while passed < bucket.turns.count, let connectionID = bucket.turns.popFirst() {
            // Its counts only: a copy of the connection would make the queue's buffer copy on write.
            guard let waiting = bucket.connections[connectionID]?.waiting, let inFlight = bucket.connections[connectionID]?.inFlight else { continue }
            guard waiting > 0 else {
                bucket.connections[connectionID]!.hasTurn = false
                bucket.connections[connectionID]!.queue.removeAll()
                bucket.dropIfIdle(connectionID)
                continue
            }
            bucket.turns.append(connectionID)
            guard inFlight < perConnection else {
                passed += 1
                continue
            }
            bucket.waiting -= 1
            return (takeFirst(from: &bucket.connections[connectionID]!, &waitingTickets), connectionID)
        }
        return nil
    }

    /// The first entry of `connection`'s queue that waits (it has one); withdrawn entries
    /// ahead of it are passed over for good.
    private static func takeFirst(from connection: inout Connection, _ waitingTickets: inout Set<UInt64>) -> Item {
        while let first = connection.queue.popFirst() {
            guard waitingTickets.remove(first.ticket) != nil else { continue }
            connection.waiting -= 1
            return first.item
        }
        preconditionFailure("a connection counted waiting lookups with none in its queue")
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

extension UpstreamShare: Sendable where Item: Sendable {}
extension UpstreamShare.Connection: Sendable where Item: Sendable {}
extension UpstreamShare.Bucket: Sendable where Item: Sendable {}
