import NIOConcurrencyHelpers
import Testing

@testable import ResolvdServer

/// ``UpstreamShare`` on its own: the per-uid cap, each uid's own FIFO, promotion.
@Suite struct UpstreamShareTests {
    final class Key {}

    @Test func aUIDOverItsShareWaitsOnItsOwnLookupsOnly() {
        let share = UpstreamShare(perUID: 2)
        let started = NIOLockedValueBox<[String]>([])
        func acquire(_ owner: UInt32?, _ name: String) -> Bool {
            share.acquire(owner, key: ObjectIdentifier(Key())) { started.withLockedValue { $0.append(name) } }
        }
        #expect(acquire(65534, "a1") && acquire(65534, "a2"))
        #expect(!acquire(65534, "a3") && !acquire(65534, "a4"))
        #expect(acquire(0, "root1"), "another uid is not held back")
        #expect(acquire(nil, "unknown1"))
        #expect(share.snapshot()[65534]?.inFlight == 2 && share.snapshot()[65534]?.waiting == 2)
        share.release(65534)
        #expect(started.withLockedValue { $0 } == ["a3"], "the next in line starts, in order")
        share.release(0)
        #expect(started.withLockedValue { $0 } == ["a3"], "another uid's release starts nothing of this one")
        share.release(65534)
        share.release(65534)
        share.release(65534)
        #expect(started.withLockedValue { $0 } == ["a3", "a4"])
        #expect(share.snapshot()[65534] == nil && share.snapshot()[0] == nil, "empty buckets are dropped")
    }

    @Test func promotionStartsAWaitingLookupAtOnce() {
        let share = UpstreamShare(perUID: 1)
        let started = NIOLockedValueBox<[String]>([])
        let waiting = Key()
        #expect(share.acquire(7, key: ObjectIdentifier(Key())) {})
        #expect(!share.acquire(7, key: ObjectIdentifier(waiting)) { started.withLockedValue { $0.append("joined") } })
        #expect(!share.promote(7, key: ObjectIdentifier(Key())), "not waiting: nothing to promote")
        #expect(share.promote(7, key: ObjectIdentifier(waiting)))
        #expect(started.withLockedValue { $0 } == ["joined"])
        #expect(share.snapshot()[7]?.inFlight == 2 && share.snapshot()[7]?.waiting == 0)
        share.release(7)
        share.release(7)
        #expect(share.snapshot()[7] == nil)
    }
}
