import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

/// ``WaitDeadlines`` on its own, without sockets or clocks (times are plain numbers): due
/// lookups in deadline order and only once, leftovers skipped and swept, what is held
/// bounded by twice the live entries.
@Suite struct WaitDeadlinesTests {
    final class Lookup {
        let name: String
        var waiting = true
        init(_ name: String) { self.name = name }
    }

    @Test func dueLookupsComeInDeadlineOrderOnce() {
        var deadlines = WaitDeadlines<Lookup>()
        let (a, b, c) = (Lookup("a"), Lookup("b"), Lookup("c"))
        deadlines.add(c, at: 300)
        deadlines.add(a, at: 100)
        deadlines.add(b, at: 200)
        #expect(deadlines.earliest == 100)
        #expect(deadlines.expired(at: 99) { $0.waiting }.isEmpty, "nothing before its time")
        #expect(deadlines.expired(at: 200) { $0.waiting }.map(\.name) == ["a", "b"])
        #expect(deadlines.live == 1 && deadlines.earliest == 300)
        #expect(deadlines.expired(at: 200) { $0.waiting }.isEmpty, "never twice")
        #expect(deadlines.expired(at: 1_000) { $0.waiting }.map(\.name) == ["c"])
        #expect(deadlines.live == 0 && deadlines.earliest == nil)
    }

    /// A deadline in whole milliseconds is rounded up, never down (a timeout must not be
    /// answered before it has passed), and saturates rather than wraps.
    @Test func aMillisecondDeadlineIsRoundedUp() {
        #expect(MonotonicClock.millisecondDeadline(after: .milliseconds(100), from: 1_000_900_000) == 1_101)
        #expect(MonotonicClock.millisecondDeadline(after: .milliseconds(100), from: 1_000_000_000) == 1_100)
        #expect(MonotonicClock.millisecondDeadline(after: .nanoseconds(1), from: 1_000_000_000) == 1_001)
        #expect(MonotonicClock.millisecondDeadline(after: .seconds(Int64.max), from: 1_000_000_000) == UInt64.max / 1_000_000)
    }

    @Test func aLookupThatLeftIsSkippedWhenItsTimeComes() {
        var deadlines = WaitDeadlines<Lookup>()
        let (a, b) = (Lookup("a"), Lookup("b"))
        deadlines.add(a, at: 100)
        deadlines.add(b, at: 200)
        a.waiting = false
        deadlines.left { $0.waiting }
        #expect(deadlines.live == 1 && deadlines.count == 2, "below the floor: the leftover stays until it comes up")
        #expect(deadlines.expired(at: 500) { $0.waiting }.map(\.name) == ["b"])
        #expect(deadlines.count == 0 && deadlines.live == 0)
    }

    /// 100,000 lookups added, nine in ten leave before their time (seeded order): what is
    /// held never exceeds twice the live ones (plus the floor), and exactly the ones still
    /// waiting come due, each once.
    @Test func leftoversAreSweptSoWhatIsHeldStaysBounded() {
        let seed: UInt64 = 0x5EED_D1E5
        var random = SplitMix64(seed: seed)
        var deadlines = WaitDeadlines<Lookup>()
        var lookups: [Lookup] = []
        var worst = 0
        for index in 0..<100_000 {
            let lookup = Lookup("l\(index)")
            lookups.append(lookup)
            deadlines.add(lookup, at: random.next() % 10_000)
            if random.next() % 10 != 0 {
                let leaving = lookups[Int(random.next() % UInt64(lookups.count))]
                if leaving.waiting {
                    leaving.waiting = false
                    deadlines.left { $0.waiting }
                }
            }
            worst = max(worst, deadlines.count - 2 * deadlines.live)
        }
        #expect(worst <= WaitDeadlines<Lookup>.sweepFloor + 1, "seed \(seed): held \(worst) more than twice the live entries")
        let due = deadlines.expired(at: .max) { $0.waiting }
        #expect(due.count == lookups.count { $0.waiting }, "seed \(seed)")
        #expect(Set(due.map(\.name)).count == due.count, "seed \(seed): a lookup came due twice")
        #expect(deadlines.count == 0 && deadlines.live == 0)
    }
}
