/// What becomes of a DNS question in flight when its last waiter leaves (a cancel, a close,
/// an op's deadline): one pure table, read by ``LookupService`` under its lock and tested
/// alone (docs/cache.md, "A question in flight").
///
/// ```
///  waiting in its owner's share queue ─────────────► leaves the queue unstarted
///  handed to the start loop, not started ──────────► dropped unstarted, slot given back
///  started, detached below the limit ──────────────► detached: slot given back, runs on,
///                                                    its answer fills the cache
///  started, detached at the limit, holds a slot ───► orphaned: keeps the slot, runs on
///  started, detached at the limit, holds no slot ──► abandoned: the upstream query cancelled
/// ```
///
/// It does not count, lock, cancel or start anything: the service carries the decision
/// out. Why orphaned and not cancelled: c-ares keeps a cancelled query's slot until the
/// upstream answers or its tries run out, so cancelling frees nothing — the owner's share
/// is what bounds questions asked and abandoned against an upstream that never answers.
enum LastWaiterRule: Equatable {
    case leaveQueue
    case dropUnstarted
    case detach
    case orphan
    case abandon

    static func decide(waitingInQueue: Bool, queuedToStart: Bool, detachedBelowLimit: Bool, holdsSlot: Bool) -> LastWaiterRule {
        if waitingInQueue { return .leaveQueue }
        if queuedToStart { return .dropUnstarted }
        if detachedBelowLimit { return .detach }
        return holdsSlot ? .orphan : .abandon
    }

    /// Whether the question's slot of the share goes back (to the owner's next waiting question).
    var givesSlotBack: Bool { self == .dropUnstarted || self == .detach }
}
