import ResolverCore

/// What the service asks of a waiter's asker — an op's question, or a lone question — when
/// its question waits in its owner's share queue: there, a question is only its recipient
/// (about 24 bytes), not a ``SharedLookup``; its question, owner and flags are its asker's.
/// When its turn comes (``LookupService/takeTurn(_:)``) the asker says whether it still
/// waits for that question and keeps the token of where it now waits.
///
/// Called under the service's lock; the asker's own lock is taken inside it, never the other
/// way round.
extension SharedLookup.Recipient {
    var owner: ShareOwner {
        switch self {
        case .op(let op, _, _): op.owner
        case .lone(let lone): lone.owner
        }
    }

    var allowsStale: Bool {
        switch self {
        case .op(let op, _, _): op.allowsStale
        case .lone(let lone): lone.allowsStale
        }
    }

    var consultingCache: Bool {
        switch self {
        case .op(let op, _, _): op.consultingCache
        case .lone(let lone): lone.consultingCache
        }
    }

    var question: DNSQuestion {
        switch self {
        case .op(let op, let round, let index): op.recipe.rounds.question(Int(round), Int(index))
        case .lone(let lone): lone.question
        }
    }

    /// The channel its question goes to: an op's questions go to one channel, so that its
    /// A and AAAA ride the same connection; a lone question's goes anywhere.
    var channelHint: Int? {
        switch self {
        case .op(let op, _, _): LookupService.channelHint(for: op)
        case .lone: nil
        }
    }

    /// Its turn in the share queue came: when its asker still waits for the question,
    /// `place` puts it somewhere (answered, joined, started) and its token is kept; false
    /// when nobody waits for it any more (`place` is not called).
    func turnCame(_ place: () -> LookupService.QuestionToken) -> Bool {
        switch self {
        case .op(let op, let round, let index):
            return op.turnCame(round: Int(round), index: Int(index), place)
        case .lone(let lone):
            return lone.state.withLock { state in
                guard !state.done else { return false }
                state.token = place()
                return true
            }
        }
    }

    /// The question in flight it waits on now, if its turn has come (serve-stale's timer).
    var waitingOn: SharedLookup? {
        switch self {
        case .op(let op, let round, let index): op.token(round: Int(round), index: Int(index))?.shared
        case .lone(let lone): lone.state.withLock { $0.token?.shared }
        }
    }
}
