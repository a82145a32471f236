import NIOConcurrencyHelpers
import ResolvdProtocol
import Synchronization

/// The running `monitor`s of every connection and front end, and the one place a finished
/// lookup is reported to (``publish(uid:_:)``).
///
/// Cost when nobody monitors: ``isActive`` is one relaxed atomic load, checked once when a
/// lookup starts; nothing else on the lookup path looks at monitors (docs/performance.md).
/// Each monitor has a bounded queue of its own (``MonitorSubscription``), so a monitor
/// that does not read never slows lookups: its events are dropped and counted. How many run
/// is bounded like connections are, by a ``ConnectionShares`` of its own: `max_monitors` in
/// all, `max_monitors_per_uid` for a uid that is not an admin, and the last `admin_monitors`
/// slots for admins only, so that one local user can take neither every slot nor root's
/// (WSAENOBUFS beyond).
///
/// It does not write anything: each subscription's connection drains its queue on its
/// own event loop.
final class MonitorHub: Sendable {
    private struct State {
        var subscriptions: [MonitorSubscription] = []
        var shares = ConnectionShares()
    }

    private let count = Atomic<Int>(0)
    private let state = NIOLockedValueBox(State())

    /// True while at least one monitor runs.
    @inline(__always)
    var isActive: Bool { count.load(ordering: .relaxed) > 0 }

    /// Adds a monitor if its owner's share and `limits` allow; else the refusal. `isAdmin`
    /// is asked only when the decision depends on it.
    func subscribe(_ subscription: MonitorSubscription, limits: ConnectionShares.Limits, isAdmin: () -> Bool) -> ConnectionShares.Decision {
        state.withLockedValue { state in
            let decision = state.shares.admit(uid: subscription.owner, limits: limits, isAdmin: isAdmin)
            guard decision == .admit else { return decision }
            state.subscriptions.append(subscription)
            count.store(state.subscriptions.count, ordering: .relaxed)
            return decision
        }
    }

    func unsubscribe(_ subscription: MonitorSubscription) {
        subscription.end()
        state.withLockedValue { state in
            guard let index = state.subscriptions.firstIndex(where: { $0 === subscription }) else { return }
            state.subscriptions.remove(at: index)
            state.shares.release(uid: subscription.owner)
            count.store(state.subscriptions.count, ordering: .relaxed)
        }
    }

    /// Offers the event of a lookup made under `uid` (nil: unknown peer) to every monitor
    /// that may see it; `makeEvent` runs only if one of them has room, so a monitor that
    /// does not read costs a lookup a lock and a counter, not an event.
    func publish(uid: UInt32?, _ makeEvent: () -> MonitorEvent) {
        let targets = state.withLockedValue { state in
            state.subscriptions.filter { $0.accepts(uid: uid) && $0.hasRoomElseCountDrop() }
        }
        guard !targets.isEmpty else { return }
        let event = makeEvent()
        for target in targets { target.offer(event) }
    }
}

/// One monitor's queue of events not yet written, bounded to ``capacity``: offered from any
/// thread (the event loops of the connections whose lookups finish), drained by the
/// monitor's own connection on its event loop.
///
/// When the queue is full an event is dropped and counted; the next event queued carries
/// the count (`dropped`). It wakes its connection once per non-empty queue
/// (``offer(_:)`` calls `wake` when it queues into an idle queue), not once per event.
final class MonitorSubscription: Sendable {
    static let capacity = 1_024

    private struct State {
        var queue: [MonitorEvent] = []
        var dropped = 0
        /// A drain is scheduled or running: no more wake-ups until it has taken the queue.
        var drainPending = false
        var ended = false
    }

    /// Nil: an admin, who sees every client; else only lookups made under this uid.
    let uid: UInt32?
    /// The uid of the peer that runs the monitor (nil: unknown), whose share it counts in.
    let owner: UInt32?
    private let state = NIOLockedValueBox(State())
    private let wake: @Sendable () -> Void

    init(uid: UInt32?, owner: UInt32? = nil, wake: @escaping @Sendable () -> Void) {
        self.uid = uid
        self.owner = owner
        self.wake = wake
    }

    func accepts(uid lookupUID: UInt32?) -> Bool {
        guard let uid else { return true }
        return lookupUID == uid
    }

    func offer(_ event: MonitorEvent) {
        let wakeNow = state.withLockedValue { state -> Bool in
            guard !state.ended else { return false }
            guard state.queue.count < Self.capacity else {
                state.dropped += 1
                return false
            }
            var event = event
            event.dropped = state.dropped
            state.dropped = 0
            state.queue.append(event)
            guard !state.drainPending else { return false }
            state.drainPending = true
            return true
        }
        if wakeNow { wake() }
    }

    /// True when an event would be queued; else counts it as dropped (the event is then not
    /// even made). Another publisher may fill the queue before ``offer(_:)``, which then drops.
    func hasRoomElseCountDrop() -> Bool {
        state.withLockedValue { state in
            guard !state.ended else { return false }
            guard state.queue.count < Self.capacity else {
                state.dropped += 1
                return false
            }
            return true
        }
    }

    /// Everything queued; the next offer wakes the connection again.
    func takeAll() -> [MonitorEvent] {
        state.withLockedValue { state in
            state.drainPending = false
            defer { state.queue = [] }
            return state.queue
        }
    }

    /// Events dropped and not yet reported.
    var dropped: Int { state.withLockedValue { $0.dropped } }

    /// No more events are queued; what is queued is discarded.
    func end() {
        state.withLockedValue { state in
            state.ended = true
            state.queue = []
        }
    }
}
