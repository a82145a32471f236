import ResolverCore

/// One DNS question in flight upstream and the waiters it serves — the ops of every front
/// end that asked it (docs/cache.md, "A question in flight").
///
/// It does not take a lock: every read and write of its `var`s is under LookupService's
/// `state` lock, and the resolver is called outside it.
final class SharedLookup: @unchecked Sendable {
    typealias Completion = LookupService.QuestionCompletion
    /// The upstream lookup, once it has started: what cancelling it takes.
    typealias Upstream = (resolver: CoreResolver, handle: LookupHandle)
    /// Whom a waiter's outcome goes to. An op's question names its op, round and index
    /// rather than a closure over them: every waiting lookup has a waiter per question, and
    /// each closure's context would be an allocation (docs/performance.md, row 7d).
    /// It is also what waits in the owner's share queue while a question waits for a slot
    /// (``SharedLookup+Recipient``).
    enum Recipient: Sendable {
        case op(OpLookup, round: Int32, index: Int32)
        /// A question asked on its own (the DNS stub's).
        case lone(LoneQuestion)
    }
    /// `allowsStale`: false for a request with `"stale": false` (serve-stale, docs/cache.md).
    typealias Waiter = (id: UInt64, allowsStale: Bool, source: LookupSource, recipient: Recipient)

    enum Phase {
        /// In `State.inFlight`, joinable; `upstream` is nil until the start call has
        /// returned its handle.
        case attached(waiters: Waiters, upstream: Upstream?)
        /// The last waiter left; still running so that its answer fills the cache, and
        /// counted in `State.detached`.
        case detached(upstream: Upstream?)
        /// The last waiter left when the detached bound was reached, and it holds a slot of
        /// its owner's share: it keeps the slot and runs to its end (its answer still fills
        /// the cache). Cancelling it would free nothing — c-ares keeps the query until the
        /// upstream answers or its tries run out — so its owner's share is what bounds it.
        case orphaned
        /// The last waiter left when the detached bound was reached, and it holds no slot (a
        /// prefetch, or a lookup answered without the upstreams): its upstream lookup has
        /// been cancelled, or is cancelled as soon as it starts.
        case abandoned
        /// Its completion has run; every waiter has been answered.
        case finished
    }

    let key: QuestionKey
    /// The question as its first waiter wrote it (what goes upstream).
    let question: DNSQuestion
    /// Its first waiter's op's channel (``Resolver/ask(_:owner:channelHint:completion:)``).
    var channelHint: Int?
    var phase: Phase
    /// Whose share of the upstream capacity it is charged to (``UpstreamShare``): its
    /// first waiter's uid and connection; nil for a prefetch, which has its own bound
    /// (`prefetch_share_percent`).
    let owner: ShareOwner?
    /// It holds a slot of its owner's share, to be given back when it finishes or when
    /// nobody waits for it any more. False for prefetches and for those that gave theirs back.
    var holdsSlot = false

    var isPrefetch: Bool { owner == nil }

    /// A question that starts now, holding a slot of `owner`'s share.
    init(_ question: DNSQuestion, key: QuestionKey, first: Waiter, owner: ShareOwner) {
        self.key = key
        self.question = question
        self.phase = .attached(waiters: Waiters(first), upstream: nil)
        self.owner = owner
        self.holdsSlot = true
    }

    init(prefetching question: DNSQuestion, key: QuestionKey) {
        self.key = key
        self.question = question
        self.phase = .attached(waiters: Waiters(), upstream: nil)
        self.owner = nil
    }

    /// A new waiter for a lookup in `State.inFlight` (always attached).
    func join(_ waiter: Waiter) {
        guard case .attached(var waiters, let upstream) = phase else {
            preconditionFailure("joined a shared lookup that is not attached: \(phase)")
        }
        phase = .finished  // drop the enum's reference to the array, so that append does not copy it
        waiters.append(waiter)
        phase = .attached(waiters: waiters, upstream: upstream)
    }

    /// Removes waiter `id` if it is still waiting: whether it was the last (nil when it was
    /// not waiting).
    func remove(waiter id: UInt64) -> Bool? {
        guard case .attached(var waiters, let upstream) = phase else { return nil }
        phase = .finished
        defer { phase = .attached(waiters: waiters, upstream: upstream) }
        guard waiters.remove(id: id) != nil else { return nil }
        return waiters.isEmpty
    }
}
