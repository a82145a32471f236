/// What becomes of a DNS question in flight when its last waiter leaves (a cancel, a close,
/// an op's deadline): one pure table, read by ``LookupService`` under its lock and tested
/// alone (docs/cache.md, "A question in flight").
///
/// ```
///  detached below the limit ─────────────► detached: slot given back, runs on,
///                                          its answer fills the cache
///  detached at the limit, holds a slot ──► orphaned: keeps the slot, runs on
///  detached at the limit, holds no slot ─► abandoned: the upstream query cancelled
/// ```
///
/// It does not count, lock, cancel or start anything: the service carries the decision
/// out. Why orphaned and not cancelled: c-ares keeps a cancelled query's slot until the
/// upstream answers or its tries run out, so cancelling frees nothing — the owner's share
/// is what bounds questions asked and abandoned against an upstream that never answers.
/// A question still waiting in its owner's share queue is not a question in flight: its
/// waiter leaving withdraws it from the queue (``UpstreamShare/withdraw(_:owner:)``), and
/// this table is not read.
enum LastWaiterRule: Equatable {
    case detach
    case orphan
    case abandon

    static func decide(detachedBelowLimit: Bool, holdsSlot: Bool) -> LastWaiterRule {
        if detachedBelowLimit { return .detach }
        return holdsSlot ? .orphan : .abandon
    }
}
