@testable import ResolvdServer
import ResolvdProtocol
import Testing

/// The bounds of the observe parts, in process: the per-uid table and a monitor's queue.
@Suite struct ObserveUnitTests {
    /// A client can make the daemon hold a counter per uid only up to the table's capacity:
    /// a new uid replaces the least busy one with no open connection.
    @Test func theClientTableIsBounded() {
        let table = ClientTable()
        let busy = table.register(uid: 1)
        for _ in 0..<10 { busy.lookupStarted() }
        for uid in UInt32(1000)..<UInt32(1000 + 2 * ClientTable.capacity) {
            let counters = table.register(uid: uid)
            counters.lookupStarted()
            table.release(counters)
        }
        #expect(table.count == ClientTable.capacity)
        let top = table.busiest(3)
        #expect(top.first == ClientStatistics(uid: 1, lookups: 10, inFlight: 10), "an open connection's uid is kept")
        #expect(top.count == 3)
        busy.lookupFinished(10111, fromCache: false)
        busy.lookupFinished(0, fromCache: true)
        busy.lookupFinished(11001, fromCache: true)
        #expect(table.busiest(1).first == ClientStatistics(uid: 1, lookups: 10, cacheHits: 2, failures: 1, cancelled: 1, inFlight: 7))
    }

    /// Monitors count in their owner's share, and an ended one gives its slot back; a
    /// refusal names the share it hit. `isActive` follows what runs.
    @Test func monitorsCountInTheirOwnersShareUntilTheyEnd() {
        let hub = MonitorHub()
        let limits = ConnectionShares.Limits(maxConnections: 6, perUID: 2, adminReserved: 1)
        func monitor(_ owner: UInt32?) -> MonitorSubscription { MonitorSubscription(uid: owner, owner: owner) {} }
        let first = monitor(1000)
        #expect(!hub.isActive)
        #expect(hub.subscribe(first, limits: limits) { false } == .admit && hub.isActive)
        #expect(hub.subscribe(monitor(1000), limits: limits) { false } == .admit)
        #expect(hub.subscribe(monitor(1000), limits: limits) { false } == .refuseUIDShare)
        hub.unsubscribe(first)
        #expect(hub.subscribe(monitor(1000), limits: limits) { false } == .admit, "the ended monitor's slot is free again")
        for uid: UInt32 in [2000, 3000, 4000] { #expect(hub.subscribe(monitor(uid), limits: limits) { false } == .admit) }
        #expect(hub.subscribe(monitor(5000), limits: limits) { false } == .refuseReservedForAdmins)
        #expect(hub.subscribe(monitor(0), limits: limits) { true } == .admit)
        #expect(hub.subscribe(monitor(0), limits: limits) { true } == .refuseFull)
        #expect(ConnectionShares.Decision.refuseUIDShare.message(limits, uid: 1000, things: "monitors running")
            == "too many monitors running for uid 1000 (limit 2 per uid)")
    }

    /// A full queue drops and counts; the next event queued carries the count; ending discards.
    @Test func aMonitorQueueDropsAndCounts() {
        let wakes = WakeCounter()
        let subscription = MonitorSubscription(uid: 1000) { wakes.increment() }
        #expect(subscription.accepts(uid: 1000) && !subscription.accepts(uid: 0) && !subscription.accepts(uid: nil))
        let event = MonitorEvent(
            time: "2026-11-29T18:40:01.000000Z", peer: nil, frontend: "v1", operation: .query, status: 0, error: nil, source: .cache,
            latencyMicroseconds: 1, summary: "")
        for _ in 0..<(MonitorSubscription.capacity + 5) {
            if subscription.hasRoomElseCountDrop() { subscription.offer(event) }
        }
        #expect(wakes.value == 1, "one wake-up per non-empty queue")
        #expect(subscription.dropped == 5)
        #expect(subscription.takeAll().count == MonitorSubscription.capacity)
        subscription.offer(event)
        let next = subscription.takeAll()
        #expect(next.map(\.dropped) == [5] && subscription.dropped == 0 && wakes.value == 2)
        subscription.end()
        subscription.offer(event)
        #expect(subscription.takeAll().isEmpty)
    }
}

private final class WakeCounter: @unchecked Sendable {
    // Only touched by the test's own thread (the subscription wakes synchronously in offer).
    private(set) var value = 0
    func increment() { value += 1 }
}
