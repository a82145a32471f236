import ResolverCore

/// Asking a question upstream and finishing it: `complete` stores the reply in the cache,
/// answers the waiters (serve-stale where the upstreams failed) and hands the freed slot of
/// the share on.
extension LookupService: QuestionListener {
    func startUpstream(_ shared: SharedLookup) {
        // The one place a lookup is given to a resolver: its name's route decides which.
        let route = routes.route(for: shared.question.name)
        route.upstreams.lookups.add(1, ordering: .relaxed)
        let resolver = route.resolver
        let handle = startUpstream(shared, on: resolver)
        let cancelNow = state.withLockedValue { _ -> Bool in
            // Under the lock: SharedLookup's phase is guarded by it.
            switch shared.phase {
            case .attached(let waiters, _):
                shared.phase = .attached(waiters: waiters, upstream: (resolver, handle))
            case .detached:
                shared.phase = .detached(upstream: (resolver, handle))
            case .orphaned:
                break
            case .abandoned:
                return true
            case .finished:
                break  // completed inside the start call
            }
            return false
        }
        if cancelNow { resolver.cancel(handle) }
    }

    /// Takes the turns of queued questions that a finished one freed a slot for, in one loop
    /// per thread at a time: a start can complete before it returns (a resolver shutting
    /// down, a cancel of an abandoned lookup), and that completion frees the next slot —
    /// which is queued here for the loop already running instead of taken from inside the
    /// completion, so that the stack stays flat however long the queue (a recursion here once
    /// took 99,803 frames and the daemon with it). A thread that finds another thread taking
    /// turns hands its turn over and returns.
    func startQueued(_ first: Turn) {
        let runs = state.withLockedValue { state -> Bool in
            state.toStart.append(first)
            guard !state.starting else { return false }
            state.starting = true
            return true
        }
        guard runs else { return }
        while let next = state.withLockedValue({ $0.nextToStart() }) {
            takeTurn(next)
        }
    }

    /// A queued question's turn (``LookupService/State/takeTurn(_:question:key:now:)``):
    /// started, answered from the cache, joined, or passed over when nobody waits for it.
    private func takeTurn(_ turn: Turn) {
        let question = turn.recipient.question
        let key = questionKey(question)
        let now = MonotonicClock.milliseconds()
        switch state.withLockedValue({ $0.takeTurn(turn, question: question, key: key, now: now) }) {
        case .start(let shared, let staleKept):
            // Serve-stale's timer runs from the question's ask (``armStaleTimer(queued:_:key:)``
            // finds it here if it fires later); this one covers an entry that expired while
            // the question waited.
            if staleKept { armStaleTimer(shared) }
            startUpstream(shared)
        case .answered(let outcome):
            deliver(outcome, stale: false, source: .cache, to: turn.recipient)
        case .nothing:
            break
        }
    }

    private func startUpstream(_ shared: SharedLookup, on resolver: CoreResolver) -> LookupHandle {
        // The service hears every question itself, the question's SharedLookup as context:
        // a closure over the two was an allocation per question.
        resolver.ask(shared.question, channelHint: shared.channelHint, listener: self, context: shared)
    }

    func question(_ context: AnyObject & Sendable, finished result: Result<QuestionOutcome, ResolverError>) {
        // Only `startUpstream` asks with a listener, and always with a SharedLookup.
        let shared = unsafeDowncast(context, to: SharedLookup.self)
        switch result {
        case .success(let outcome): complete(shared, with: outcome)
        case .failure(let error): complete(shared, with: .failure(error))  // aborted (shutdown) or cancelled
        }
    }

    private func complete(_ shared: SharedLookup, with outcome: QuestionOutcome) {
        let now = MonotonicClock.milliseconds()
        let (waiters, stale, next) = state.withLockedValue { state -> (SharedLookup.Waiters, QuestionOutcome?, Turn?) in
            if shared.isPrefetch { state.prefetching -= 1 }
            // Its slot goes to the owner's next queued question, if any.
            let next = state.giveBackSlot(shared)
            let waiters = state.finish(shared)
            guard state.cacheEnabled else { return (waiters, nil, next) }
            switch outcome {
            case .records, .nameError, .noData:
                state.cache.store(outcome, for: shared.key, now: now)
                return (waiters, nil, next)
            case .passedThrough:
                return (waiters, nil, next)  // a DNSSEC question's: never cached
            case .failure, .malformed:
                break
            }
            // The upstreams failed: serve-stale answers those waiters that allow it.
            return (waiters, state.staleAnswer(shared.key, for: waiters, now: now), next)
        }
        answer(waiters, stale: stale, otherwise: outcome)
        if let next { startQueued(next) }
    }

    /// Answers each waiter of a finished question: with `stale` where there is one and it
    /// allows it, else with `outcome`.
    func answer(_ waiters: SharedLookup.Waiters, stale: QuestionOutcome?, otherwise outcome: QuestionOutcome) {
        for waiter in waiters {
            if let stale, waiter.allowsStale {
                deliver(stale, stale: true, source: waiter.source, to: waiter.recipient)
            } else {
                deliver(outcome, stale: false, source: waiter.source, to: waiter.recipient)
            }
        }
    }

    /// Gives a waiter its question's outcome: to its op (which may complete or ask its next
    /// round) or to its completion.
    func deliver(_ outcome: QuestionOutcome, stale: Bool, source: LookupSource, to recipient: SharedLookup.Recipient) {
        switch recipient {
        case .op(let op, let round, let index):
            carryOut(op.answered(round: Int(round), index: Int(index), outcome: outcome, stale: stale, source: source), for: op)
        case .lone(let lone):
            lone.answer(outcome, stale: stale, source: source)
        }
    }
}
