import ResolverTesting
import Synchronization
import Testing

@testable import ResolvdServer

/// ``UpstreamShare`` on its own, without sockets or clocks: the per-uid cap, the
/// per-connection cap within it, the turns between a uid's connections, withdraw in O(1)
/// with the withdrawn entries swept, and nothing left behind.
@Suite struct UpstreamShareTests {
    final class Lookup {
        static let tickets = Atomic<UInt64>(0)
        let name: String
        let ticket: UInt64
        /// Whose queue it waits in, once it waits.
        var owner: ShareOwner?

        init(_ name: String) {
            self.name = name
            ticket = Self.tickets.add(1, ordering: .relaxed).newValue
        }
    }

    /// The share behind a reference, so that its mutating calls can sit inside `#expect`.
    final class Share {
        var share: UpstreamShare<Lookup>
        init(perUID: Int) { share = UpstreamShare(perUID: perUID) }
        var perUID: Int {
            get { share.perUID }
            set { share.perUID = newValue }
        }
        var perConnection: Int { share.perConnection }
        var snapshot: [UInt32?: (inFlight: Int, waiting: Int)] { share.snapshot }
        func connection(_ owner: ShareOwner) -> (inFlight: Int, waiting: Int) { share.connection(owner) }
        func queueLength(_ owner: ShareOwner) -> Int { share.queueLength(owner) }
        func acquire(_ lookup: Lookup, owner: ShareOwner) -> Bool {
            lookup.owner = owner
            return share.acquire(lookup, ticket: lookup.ticket, owner: owner)
        }
        /// The next lookup, checked to come from the uid released and to carry its own owner.
        func release(_ owner: ShareOwner) -> Lookup? {
            guard let (next, nextOwner) = share.release(owner) else { return nil }
            #expect(nextOwner == next.owner && nextOwner.uid == owner.uid)
            return next
        }
        func withdraw(_ lookup: Lookup) -> Bool { share.withdraw(lookup.ticket, owner: lookup.owner!) }
    }

    static func owner(_ uid: UInt32?, _ connection: UInt64 = 1) -> ShareOwner { ShareOwner(uid: uid, connection: connection) }

    @Test func aUIDOverItsShareWaitsOnItsOwnLookupsOnly() {
        let share = Share(perUID: 2)
        let attacker = Self.owner(65534, 1)
        let other = Self.owner(65534, 2)
        let (a3, a4) = (Lookup("a3"), Lookup("a4"))
        #expect(share.acquire(Lookup("a1"), owner: attacker))
        #expect(share.acquire(Lookup("a2"), owner: other), "one connection holds at most its part; another takes the rest")
        #expect(!share.acquire(a3, owner: attacker) && !share.acquire(a4, owner: attacker))
        #expect(share.acquire(Lookup("root1"), owner: Self.owner(0)), "another uid is not held back")
        #expect(share.acquire(Lookup("unknown1"), owner: Self.owner(nil)))
        #expect(share.snapshot[65534]?.inFlight == 2 && share.snapshot[65534]?.waiting == 2)
        #expect(share.release(other) == nil, "the attacker's connection is at its own cap: the slot stays free")
        #expect(share.release(Self.owner(0)) == nil, "another uid's release starts nothing of this one")
        #expect(share.release(attacker) === a3, "the next in line starts, in order, keeping the slot")
        #expect(share.release(attacker) === a4)
        #expect(share.release(attacker) == nil)
        #expect(share.snapshot[65534] == nil && share.snapshot[0] == nil, "nothing left for either")
        #expect(share.snapshot[nil]?.inFlight == 1)
    }

    @Test func oneConnectionHoldsAtMostThreeQuartersOfItsUIDsShare() {
        let share = Share(perUID: 8)
        #expect(share.perConnection == 6)
        let program = Self.owner(1000, 1)
        let started = (0..<10).filter { share.acquire(Lookup("p\($0)"), owner: program) }.count
        #expect(started == 6 && share.connection(program).waiting == 4, "the cap was reached: \(started) started")
        let second = Self.owner(1000, 2)
        #expect(share.acquire(Lookup("s1"), owner: second) && share.acquire(Lookup("s2"), owner: second),
                "another program of the same user finds the quarter kept for it")
        #expect(!share.acquire(Lookup("s3"), owner: second), "and no more: the uid's share is full")
        #expect(share.release(program)?.name == "p6", "a slot of the capped connection goes back to it")
    }

    @Test func connectionsOfOneUIDTakeTurns() {
        let share = Share(perUID: 4)
        let (a, b, c) = (Self.owner(5, 1), Self.owner(5, 2), Self.owner(5, 3))
        // a holds 3 (its cap), b holds 1: the uid is full.
        for index in 0..<3 { #expect(share.acquire(Lookup("a\(index)"), owner: a)) }
        #expect(share.acquire(Lookup("b0"), owner: b))
        for index in 0..<100 { #expect(!share.acquire(Lookup("b\(index + 1)"), owner: b)) }
        #expect(!share.acquire(Lookup("c1"), owner: c))
        #expect(!share.acquire(Lookup("c2"), owner: c))
        // b queued a hundred first, yet c's lookups come after one of b's, not after all of them.
        var order: [String] = []
        for _ in 0..<4 {
            guard let next = share.release(b) else { break }
            order.append(next.name)
        }
        #expect(order == ["b1", "c1", "b2", "c2"], "\(order)")
    }

    @Test func aConnectionAtItsCapIsPassedOverNotWaitedFor() {
        let share = Share(perUID: 4)
        let (a, b) = (Self.owner(5, 1), Self.owner(5, 2))
        for index in 0..<3 { #expect(share.acquire(Lookup("a\(index)"), owner: a)) }
        #expect(!share.acquire(Lookup("a-waiting"), owner: a))
        #expect(share.acquire(Lookup("b0"), owner: b))
        #expect(!share.acquire(Lookup("b1"), owner: b))
        // b's slot frees; a is first in turn but at its cap: b's next starts.
        #expect(share.release(b)?.name == "b1")
    }

    @Test func aWithdrawnLookupLeavesTheQueueWithoutASlot() {
        let share = Share(perUID: 1)
        let owner = Self.owner(65534)
        let (a2, a3) = (Lookup("a2"), Lookup("a3"))
        #expect(share.acquire(Lookup("a1"), owner: owner))
        #expect(!share.acquire(a2, owner: owner) && !share.acquire(a3, owner: owner))
        #expect(share.withdraw(a2) && !share.withdraw(a2), "withdrawn once; then it is not waiting")
        #expect(share.snapshot[65534]?.inFlight == 1 && share.snapshot[65534]?.waiting == 1)
        #expect(share.release(owner) === a3, "the withdrawn lookup is skipped, the next one starts")
        #expect(!share.withdraw(a3), "a started lookup cannot be withdrawn")
        #expect(share.release(owner) == nil && share.snapshot[65534] == nil)
    }

    @Test func withdrawingFromTheMiddleKeepsTheOrderAndLeavesNothingBehind() {
        let share = Share(perUID: 1)
        let owner = Self.owner(9)
        #expect(share.acquire(Lookup("running"), owner: owner))
        let waiting = (0..<1_000).map { Lookup("w\($0)") }
        for lookup in waiting { #expect(!share.acquire(lookup, owner: owner)) }
        // Every odd one leaves (its last waiter cancelled), first, last and middle included.
        for (index, lookup) in waiting.enumerated() where index % 2 == 1 || index == 0 { #expect(share.withdraw(lookup)) }
        var started: [String] = []
        while let next = share.release(owner) { started.append(next.name) }
        let expected = waiting.enumerated().filter { $0.offset % 2 == 0 && $0.offset != 0 }.map(\.element.name)
        #expect(started == expected)
        #expect(share.snapshot.isEmpty && share.connection(owner) == (0, 0))
    }

    /// Withdrawn entries stay in the queue until they come up, but never more than about as
    /// many as still wait: a client asking and cancelling behind a full share cannot grow it.
    @Test func withdrawnEntriesAreSweptBeforeTheyOutnumberTheWaitingOnes() {
        let share = Share(perUID: 1)
        let owner = Self.owner(65534)
        #expect(share.acquire(Lookup("running"), owner: owner))
        let staying = (0..<100).map { Lookup("s\($0)") }
        for lookup in staying { #expect(!share.acquire(lookup, owner: owner)) }
        var longest = 0
        for cycle in 0..<100_000 {
            let churn = Lookup("c\(cycle)")
            #expect(!share.acquire(churn, owner: owner))
            #expect(share.withdraw(churn))
            longest = max(longest, share.queueLength(owner))
        }
        #expect(share.connection(owner).waiting == 100)
        #expect(longest > 200, "the sweep's bound was reached: \(longest)")
        #expect(longest <= 2 * 100 + 17, "the queue held \(longest) entries for 100 waiting")
        var started: [String] = []
        while let next = share.release(owner) { started.append(next.name) }
        #expect(started == staying.map(\.name))
        #expect(share.snapshot.isEmpty && share.queueLength(owner) == 0)
    }

    @Test func theShareIsAtLeastOne() {
        let share = Share(perUID: 0)
        #expect(share.perUID == 1 && share.perConnection == 1)
        share.perUID = -5
        #expect(share.perUID == 1)
        #expect(share.acquire(Lookup("a"), owner: Self.owner(1)) && !share.acquire(Lookup("b"), owner: Self.owner(1)))
    }

    /// Random acquire/release/withdraw against a model that counts what must hold: the caps
    /// are never passed, every waiting lookup is started or withdrawn exactly once, and
    /// nothing is left behind.
    @Test func randomOperationsKeepTheInvariants() {
        let seed = UInt64(0x5EED_0020)
        var random = SplitMix64(seed: seed)
        let share = Share(perUID: 6)
        var running: [(Lookup, ShareOwner)] = []
        var waiting: [(Lookup, ShareOwner)] = []
        for step in 0..<20_000 {
            let owner = Self.owner(UInt32(random.next() % 2), random.next() % 3 + 1)
            switch random.next() % 4 {
            case 0, 1:
                let lookup = Lookup("l\(step)")
                if share.acquire(lookup, owner: owner) { running.append((lookup, owner)) } else { waiting.append((lookup, owner)) }
            case 2 where !running.isEmpty:
                let (_, owner) = running.remove(at: Int(random.next() % UInt64(running.count)))
                if let next = share.release(owner) {
                    let index = waiting.firstIndex { $0.0 === next }
                    #expect(index != nil, "seed \(seed): started a lookup that was not waiting")
                    if let index { running.append(waiting.remove(at: index)) }
                }
            case 3 where !waiting.isEmpty:
                let index = Int(random.next() % UInt64(waiting.count))
                #expect(share.withdraw(waiting[index].0))
                #expect(!share.withdraw(waiting[index].0), "seed \(seed): withdrawn twice")
                waiting.remove(at: index)
            default:
                break
            }
            for uid: UInt32? in [0, 1] {
                let inFlight = running.count { $0.1.uid == uid }
                #expect(share.snapshot[uid]?.inFlight ?? 0 == inFlight, "seed \(seed) step \(step)")
                let waitingCount = waiting.count { $0.1.uid == uid }
                #expect(share.snapshot[uid]?.waiting ?? 0 == waitingCount, "seed \(seed) step \(step)")
                #expect(waitingCount == 0 || inFlight > 0, "seed \(seed) step \(step): lookups wait with nothing running to start them")
            }
            #expect(running.count { $0.1.uid == 0 } <= 6 && running.count { $0.1.uid == 1 } <= 6, "seed \(seed)")
        }
        for (lookup, _) in waiting { #expect(share.withdraw(lookup)) }
        for (_, owner) in running { #expect(share.release(owner) == nil) }
        #expect(share.snapshot.isEmpty, "seed \(seed): \(share.snapshot)")
    }
}
