import DequeModule
import ResolverCore

/// The service's side of the upstream share (docs/cache.md, "A fair share of the
/// upstreams"): what a lookup's leaving, finishing or being joined does to the share's
/// queues, its slots and the wait deadlines. Under the service's lock, like all of `State`;
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

    /// The last waiter of `shared` left. Waiting in its owner's queue, or about to be
    /// started from it: it goes unstarted (and gives its slot back). Started: it is
    /// detached and gives its slot back, while fewer than `detachedLimit` are; beyond,
    /// it is orphaned — keeps its slot and runs on — or, holding none, abandoned (its
    /// upstream lookup cancelled).
    mutating func lastWaiterLeft(_ shared: SharedLookup) -> Left {
        guard case .attached(_, let upstream) = shared.phase else { return .nothing }
        if inFlight[shared.key] === shared { inFlight[shared.key] = nil }
        var left = Left()
        if upstreamShare.withdraw(shared) {
            leftWaiting(shared)
            shared.phase = .finished
        } else if shared.queuedToStart {
            left.startNext = giveBackSlot(shared)
            shared.phase = .finished  // skipped by startQueued
        } else if detached < detachedLimit {
            left.startNext = giveBackSlot(shared)
            detached += 1
            shared.phase = .detached(upstream: upstream)
        } else if shared.holdsSlot {
            shared.phase = .orphaned
        } else {
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
        leftWaiting(next)
        return next
    }

    /// Another uid joined waiting lookup `shared`: it leaves its queue and starts now,
    /// over its owner's share.
    mutating func promote(_ shared: SharedLookup) -> Bool {
        guard upstreamShare.promote(shared) else { return false }
        shared.holdsSlot = true
        leftWaiting(shared)
        return true
    }

    /// Waiting lookup `shared` needs no upstream: it leaves its queue to start without
    /// a slot; false when it is no longer waiting.
    mutating func leave(_ shared: SharedLookup) -> Bool {
        guard upstreamShare.withdraw(shared) else { return false }
        leftWaiting(shared)
        return true
    }

    /// `shared` has left its share queue: its deadline there, if it has one, is a leftover.
    mutating func leftWaiting(_ shared: SharedLookup) {
        guard shared.hasWaitDeadline else { return }
        shared.hasWaitDeadline = false
        waitDeadlines.left { $0.hasWaitDeadline }
    }
}
