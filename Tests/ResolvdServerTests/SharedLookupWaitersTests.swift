import ResolverCore
import Testing

@testable import ResolvdServer

/// ``SharedLookup/Waiters``: the first waiter inline, the others in order after it, any one
/// of them taken out by id.
@Suite struct SharedLookupWaitersTests {
    static func waiter(_ id: UInt64, allowsStale: Bool = true) -> SharedLookup.Waiter {
        let lone = LoneQuestion(
            DNSQuestion(name: "www.example.test", type: 1), owner: ShareOwner(uid: nil, connection: 0), allowsStale: allowsStale, consultingCache: true
        ) { _, _, _ in }
        return (id, allowsStale, .upstream, .lone(lone))
    }

    @Test func keepsTheOrderTheyCameIn() {
        var waiters = SharedLookup.Waiters()
        #expect(waiters.isEmpty && Array(waiters).isEmpty)
        for id: UInt64 in 1...4 { waiters.append(Self.waiter(id)) }
        #expect(waiters.map(\.id) == [1, 2, 3, 4])
        #expect(SharedLookup.Waiters(Array(waiters)).map(\.id) == [1, 2, 3, 4])
        #expect(SharedLookup.Waiters([]).isEmpty)
    }

    @Test func anyOneComesOutByIDAndTheNextFirstTakesItsPlace() {
        var waiters = SharedLookup.Waiters(Self.waiter(1))
        for id: UInt64 in 2...4 { waiters.append(Self.waiter(id)) }
        #expect(waiters.remove(id: 3)?.id == 3)
        #expect(waiters.remove(id: 3) == nil, "taken out once")
        #expect(waiters.remove(id: 1)?.id == 1)
        #expect(waiters.map(\.id) == [2, 4])
        #expect(waiters.remove(id: 2)?.id == 2 && waiters.remove(id: 4)?.id == 4)
        #expect(waiters.isEmpty)
        waiters.append(Self.waiter(5))
        #expect(waiters.map(\.id) == [5], "empty again, the next is first")
    }

    @Test func filtersAsAnyCollection() {
        var waiters = SharedLookup.Waiters()
        for id: UInt64 in 1...5 { waiters.append(Self.waiter(id, allowsStale: id % 2 == 1)) }
        #expect(waiters.filter(\.allowsStale).map(\.id) == [1, 3, 5])
        #expect(waiters.contains { !$0.allowsStale })
    }
}
