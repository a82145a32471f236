import Testing

@testable import ResolvdServer

/// ``UpstreamShare`` on its own: the per-uid cap, each uid's own FIFO, promotion.
@Suite struct UpstreamShareTests {
    final class Lookup {
        let name: String
        init(_ name: String) { self.name = name }
    }

    @Test func aUIDOverItsShareWaitsOnItsOwnLookupsOnly() {
        var share = UpstreamShare<Lookup>(perUID: 2)
        let (a3, a4) = (Lookup("a3"), Lookup("a4"))
        let r1 = share.acquire(65534, Lookup("a1"))
        let r2 = share.acquire(65534, Lookup("a2"))
        #expect(r1 && r2)
        let r3 = share.acquire(65534, a3)
        let r4 = share.acquire(65534, a4)
        #expect(!r3 && !r4)
        let r5 = share.acquire(0, Lookup("root1"))
        #expect(r5, "another uid is not held back")
        let r6 = share.acquire(nil, Lookup("unknown1"))
        #expect(r6)
        #expect(share.snapshot[65534]?.inFlight == 2 && share.snapshot[65534]?.waiting == 2)
        let r7 = share.release(65534)
        #expect(r7 === a3, "the next in line starts, in order, keeping the slot")
        let r8 = share.release(0)
        #expect(r8 == nil, "another uid's release starts nothing of this one")
        let r9 = share.release(65534)
        #expect(r9 === a4)
        let r10 = share.release(65534)
        let r11 = share.release(65534)
        #expect(r10 == nil && r11 == nil)
        #expect(share.snapshot[65534] == nil && share.snapshot[0] == nil, "nothing left for either")
        #expect(share.snapshot[nil]?.inFlight == 1)
    }

    @Test func aWithdrawnLookupLeavesTheQueueWithoutASlot() {
        var share = UpstreamShare<Lookup>(perUID: 1)
        let (a2, a3) = (Lookup("a2"), Lookup("a3"))
        let r1 = share.acquire(65534, Lookup("a1"))
        let r2 = share.acquire(65534, a2)
        let r3 = share.acquire(65534, a3)
        #expect(r1 && !r2 && !r3)
        let w1 = share.withdraw(65534, a2)
        let w2 = share.withdraw(65534, a2)
        #expect(w1 && !w2, "withdrawn once; then it is not waiting")
        #expect(share.snapshot[65534]?.inFlight == 1 && share.snapshot[65534]?.waiting == 1)
        let next = share.release(65534)
        #expect(next === a3, "the withdrawn lookup is skipped, the next one starts")
        let w3 = share.withdraw(65534, a3)
        #expect(!w3, "a started lookup cannot be withdrawn")
        let last = share.release(65534)
        #expect(last == nil && share.snapshot[65534] == nil)
    }

    @Test func promotionStartsAWaitingLookupAtOnce() {
        var share = UpstreamShare<Lookup>(perUID: 1)
        let waiting = Lookup("joined")
        let r12 = share.acquire(7, Lookup("first"))
        #expect(r12)
        let r13 = share.acquire(7, waiting)
        #expect(!r13)
        let r14 = share.promote(7, Lookup("other"))
        #expect(!r14, "not waiting: nothing to promote")
        let r15 = share.promote(7, waiting)
        #expect(r15)
        #expect(share.snapshot[7]?.inFlight == 2 && share.snapshot[7]?.waiting == 0)
        let r16 = share.release(7)
        let r17 = share.release(7)
        #expect(r16 == nil && r17 == nil)
        #expect(share.snapshot[7] == nil)
    }

    @Test func theShareIsAtLeastOne() {
        var share = UpstreamShare<Lookup>(perUID: 0)
        #expect(share.perUID == 1)
        share.perUID = -5
        #expect(share.perUID == 1)
        let r18 = share.acquire(1, Lookup("a"))
        let r19 = share.acquire(1, Lookup("b"))
        #expect(r18 && !r19)
    }
}
