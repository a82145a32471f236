import Testing

@testable import ResolvdServer

/// The last-waiter table alone: every combination of its two inputs.
@Suite struct LastWaiterRuleTests {
    @Test func detachedBelowTheLimitElseOrphanedWithASlotOrAbandonedWithout() {
        #expect(LastWaiterRule.decide(detachedBelowLimit: true, holdsSlot: true) == .detach)
        #expect(LastWaiterRule.decide(detachedBelowLimit: true, holdsSlot: false) == .detach)
        #expect(LastWaiterRule.decide(detachedBelowLimit: false, holdsSlot: true) == .orphan)
        #expect(LastWaiterRule.decide(detachedBelowLimit: false, holdsSlot: false) == .abandon)
    }
}
