import DequeModule
import ResolverCore

/// The service's side of the upstream share (docs/cache.md, "A fair share of the
/// upstreams"): what a question's last waiter leaving, its finishing or its being joined
/// does to the share's queues and slots. Under the service's lock, like all of `State`;
/// the resolver is called by the caller afterwards, with what these return.
extension LookupService.State {
    /// The next lookup ``LookupService/startQueued(_:)`` starts, skipping those nobody
    /// waits for any more; nil (and nobody starting) when there is none.
    mutating func nextToStart() -> SharedLookup? {
        while let next = toStart.popFirst() {
            next.queuedToStart = false
            if case .finished = next.phase { continue }
            return next
        }
        starting = false
        return nil
    }

    /// What the last waiter's leaving asks of the resolver and the share, to be done
    /// outside the lock.
    struct Left {
        var cancelUpstream: SharedLookup.Upstream?
        var startNext: SharedLookup?
        static let nothing = Left()
    }

    /// The last waiter of `shared` left: what ``LastWaiterRule`` decides, done to the share
    /// and the phase; the rest (a cancel, the next start) is for the caller.
    mutating func lastWaiterLeft(_ shared: SharedLookup) -> Left {
        guard case .attached(_, let upstream) = shared.phase else { return .nothing }
        if inFlight[shared.key] === shared { inFlight[shared.key] = nil }
        let rule = LastWaiterRule.decide(
            waitingInQueue: upstreamShare.withdraw(shared), queuedToStart: shared.queuedToStart,
            detachedBelowLimit: detached < detachedLimit, holdsSlot: shared.holdsSlot)
        var left = Left()
        if rule.givesSlotBack { left.startNext = giveBackSlot(shared) }
        switch rule {
        case .leaveQueue, .dropUnstarted:
            shared.phase = .finished  // skipped by startQueued
        case .detach:
            detached += 1
            shared.phase = .detached(upstream: upstream)
        case .orphan:
            shared.phase = .orphaned
        case .abandon:
            shared.phase = .abandoned
            left.cancelUpstream = upstream
        }
        return left
    }

    /// `shared` no longer needs its slot of the share: the owner's next waiting lookup,
    /// which now holds it and must be started, or nil.
    mutating func giveBackSlot(_ shared: SharedLookup) -> SharedLookup? {
        guard shared.holdsSlot, let owner = shared.owner else { return nil }
        shared.holdsSlot = false
        guard let next = upstreamShare.release(owner) else { return nil }
        next.holdsSlot = true
        return next
    }

    /// Another uid joined waiting lookup `shared`: it leaves its queue and starts now,
    /// over its owner's share.
    mutating func promote(_ shared: SharedLookup) -> Bool {
        guard upstreamShare.promote(shared) else { return false }
        shared.holdsSlot = true
        return true
    }
}
