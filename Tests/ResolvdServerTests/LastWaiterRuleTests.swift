import Testing

@testable import ResolvdServer

/// The last-waiter table alone: every combination of its four inputs.
@Suite struct LastWaiterRuleTests {
    @Test(arguments: [false, true], [false, true])
    func aQuestionStillInTheQueueLeavesItWhateverElse(detachedBelowLimit: Bool, holdsSlot: Bool) {
        for queued in [false, true] {
            #expect(LastWaiterRule.decide(waitingInQueue: true, queuedToStart: queued, detachedBelowLimit: detachedBelowLimit, holdsSlot: holdsSlot) == .leaveQueue)
        }
    }

    @Test(arguments: [false, true], [false, true])
    func oneHandedToTheStartLoopIsDroppedUnstarted(detachedBelowLimit: Bool, holdsSlot: Bool) {
        let rule = LastWaiterRule.decide(waitingInQueue: false, queuedToStart: true, detachedBelowLimit: detachedBelowLimit, holdsSlot: holdsSlot)
        #expect(rule == .dropUnstarted && rule.givesSlotBack)
    }

    @Test func aStartedOneIsDetachedBelowTheLimitElseOrphanedOrAbandoned() {
        #expect(LastWaiterRule.decide(waitingInQueue: false, queuedToStart: false, detachedBelowLimit: true, holdsSlot: true) == .detach)
        #expect(LastWaiterRule.decide(waitingInQueue: false, queuedToStart: false, detachedBelowLimit: true, holdsSlot: false) == .detach)
        #expect(LastWaiterRule.decide(waitingInQueue: false, queuedToStart: false, detachedBelowLimit: false, holdsSlot: true) == .orphan)
        #expect(LastWaiterRule.decide(waitingInQueue: false, queuedToStart: false, detachedBelowLimit: false, holdsSlot: false) == .abandon)
    }

    /// Only a question that stops needing its slot gives it back: an orphan keeps it (that is
    /// what bounds it), one leaving the queue never had one.
    @Test func whoGivesTheSlotBack() {
        #expect([LastWaiterRule.leaveQueue, .dropUnstarted, .detach, .orphan, .abandon].map(\.givesSlotBack) == [false, true, true, false, false])
    }
}
