import DequeModule
import ResolverCore

/// The service's side of the upstream share (docs/cache.md, "A fair share of the
/// upstreams"): what a question's last waiter leaving or its finishing does to the share's
/// slots, and what a queued question does when its turn comes. Under the service's lock,
/// like all of `State`; the resolver is called by the caller afterwards, with what these return.
extension LookupService.State {
    /// The next turn ``LookupService/startQueued(_:)`` takes; nil (and nobody taking them)
    /// when there is none.
    mutating func nextToStart() -> LookupService.Turn? {
        if let next = toStart.popFirst() { return next }
        starting = false
        return nil
    }

    /// What the last waiter's leaving asks of the resolver and the share, to be done
    /// outside the lock.
    struct Left {
        var cancelUpstream: SharedLookup.Upstream?
        var startNext: LookupService.Turn?
        static let nothing = Left()
    }

    /// The last waiter of `shared` left: what ``LastWaiterRule`` decides, done to the share
    /// and the phase; the rest (a cancel, the next turn) is for the caller.
    mutating func lastWaiterLeft(_ shared: SharedLookup) -> Left {
        guard case .attached(_, let upstream) = shared.phase else { return .nothing }
        if inFlight[shared.key] === shared { inFlight[shared.key] = nil }
        let rule = LastWaiterRule.decide(detachedBelowLimit: detached < detachedLimit, holdsSlot: shared.holdsSlot)
        var left = Left()
        switch rule {
        case .detach:
            left.startNext = giveBackSlot(shared)
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

    /// `shared` no longer needs its slot of the share: the owner's next queued question,
    /// whose turn it now is, or nil.
    mutating func giveBackSlot(_ shared: SharedLookup) -> LookupService.Turn? {
        guard shared.holdsSlot, let owner = shared.owner else { return nil }
        shared.holdsSlot = false
        return upstreamShare.release(owner).map { ($0.item, $0.owner) }
    }

    /// What a queued question does when its turn comes.
    enum TurnTaken {
        /// Its question starts upstream on the slot.
        case start(SharedLookup, staleKept: Bool)
        /// The cache has answered it meanwhile (the answer for its recipient).
        case answered(QuestionOutcome)
        /// It joined the question in flight, or nobody waits for it any more.
        case nothing
    }

    /// `turn`'s question came up holding a slot of its owner's share: answered from the cache
    /// or joined in flight when someone asked the same meanwhile, else started; when it does
    /// not start, the slot goes to the owner's next queued question at once (queued to
    /// `toStart`, for the loop that runs this).
    mutating func takeTurn(_ turn: LookupService.Turn, question: DNSQuestion, key: QuestionKey, now: UInt64) -> TurnTaken {
        var taken = TurnTaken.nothing
        nextToken += 1
        let id = nextToken
        let stillWaits = turn.recipient.turnCame { () -> LookupService.QuestionToken in
            var staleKept = false
            if turn.recipient.consultingCache, cacheEnabled {
                switch cache.answer(key, now: now) {
                case .hit(let outcome, _):
                    taken = .answered(outcome)
                    return LookupService.QuestionToken(id: id, place: .answered, source: .cache)
                case .miss(let kept):
                    staleKept = kept
                }
            }
            if let shared = inFlight[key] { return join(shared, id: id, turn.recipient) }
            let (shared, token) = startQuestion(question, key: key, id: id, turn.recipient, owner: turn.owner)
            taken = .start(shared, staleKept: staleKept)
            return token
        }
        if stillWaits, case .start = taken { return taken }
        if let next = upstreamShare.release(turn.owner) { toStart.append((next.item, next.owner)) }
        return taken
    }
}
