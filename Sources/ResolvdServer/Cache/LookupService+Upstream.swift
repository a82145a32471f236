import ResolverCore

/// Starting a shared lookup on the resolver and finishing it: one closure per lookup kind
/// straight to `complete`, which fills the cache, answers the waiters (serve-stale where
/// the upstreams failed) and hands the freed slot of the share on.
extension LookupService {
    func startUpstream(_ shared: SharedLookup) {
        // The one place a lookup is given to a resolver: its name's route decides which.
        let route = routes.route(for: shared.key.key)
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

    /// Starts lookups that a finished one freed a slot for, in one loop per thread at a
    /// time: a start can complete before it returns (a resolver shutting down, a cancel
    /// of an abandoned lookup), and that completion frees the next slot — which is queued
    /// here for the loop already running instead of started from inside the completion, so
    /// that the stack stays flat however long the queue (a recursion here once took 99,803
    /// frames and the daemon with it). A thread that finds another thread starting hands
    /// its lookups over and returns.
    func startQueued(_ first: SharedLookup) {
        let runs = state.withLockedValue { state -> Bool in
            first.queuedToStart = true
            state.toStart.append(first)
            guard !state.starting else { return false }
            state.starting = true
            return true
        }
        guard runs else { return }
        while let next = state.withLockedValue({ $0.nextToStart() }) {
            startUpstream(next)
        }
    }

    /// One closure per lookup, straight to `complete` (no intermediate `finish` closure).
    /// A lookup that waited in its owner's share queue has only what is left of its own
    /// timeout for the upstream, so that it is answered by its `timeout_ms` counted from
    /// its start, not twice that.
    private func startUpstream(_ shared: SharedLookup, on resolver: CoreResolver) -> LookupHandle {
        let key = shared.waitDeadline.map { shared.key.key.withTimeout(MonotonicClock.millisecondsLeft(until: $0)) } ?? shared.key.key
        switch key {
        case .addressInfo(let request):
            return resolver.addressInfo(request) { [self] in complete(shared, with: $0.map(LookupValue.addressInfo)) }
        case .nameInfo(let request):
            return resolver.nameInfo(request) { [self] in complete(shared, with: $0.map(LookupValue.nameInfo)) }
        case .query(let name, let type, let timeout):
            return resolver.query(name, type: type, timeout: timeout) { [self] in complete(shared, with: $0.map(LookupValue.query)) }
        case .hostByName(let name, let family, let bufferLength, let timeout):
            return resolver.hostByName(name, family: family, bufferLength: bufferLength, timeout: timeout) { [self] in
                complete(shared, with: $0.map(LookupValue.host))
            }
        case .hostByAddress(let address, let bufferLength, let timeout):
            return resolver.hostByAddress(address, bufferLength: bufferLength, timeout: timeout) { [self] in
                complete(shared, with: $0.map(LookupValue.host))
            }
        case .serviceByName(let name, let proto, let bufferLength):
            return resolver.serviceByName(name, proto: proto, bufferLength: bufferLength) { [self] in
                complete(shared, with: $0.map(LookupValue.service))
            }
        case .serviceByPort(let port, let proto, let bufferLength):
            return resolver.serviceByPort(port, proto: proto, bufferLength: bufferLength) { [self] in
                complete(shared, with: $0.map(LookupValue.service))
            }
        case .protocolByName(let name, let bufferLength):
            return resolver.protocolByName(name, bufferLength: bufferLength) { [self] in
                complete(shared, with: $0.map(LookupValue.protocolEntry))
            }
        case .protocolByNumber(let number, let bufferLength):
            return resolver.protocolByNumber(number, bufferLength: bufferLength) { [self] in
                complete(shared, with: $0.map(LookupValue.protocolEntry))
            }
        }
    }

    private func complete(_ shared: SharedLookup, with result: Result<LookupValue, ResolverError>) {
        let now = MonotonicClock.milliseconds()
        let (waiters, stale, next) = state.withLockedValue { state -> ([Waiter], LookupValue?, SharedLookup?) in
            if shared.isPrefetch { state.prefetching -= 1 }
            // Its slot goes to the owner's next waiting lookup, if any.
            let next = state.giveBackSlot(shared)
            let waiters = state.finish(shared)
            guard state.cacheEnabled, shared.key.key.isCacheable else { return (waiters, nil, next) }
            guard Self.isTransient(result) else {
                state.cache.store(shared.key, result: result, now: now)
                return (waiters, nil, next)
            }
            // The upstreams failed: serve-stale answers those waiters that allow it.
            return (waiters, state.staleAnswer(shared.key, for: waiters, now: now), next)
        }
        Self.answer(waiters, stale: stale, otherwise: result)
        if let next { startQueued(next) }
    }

    /// Answers each waiter of a finished lookup: with `stale` where there is one and it
    /// allows it, else with `result`.
    static func answer(_ waiters: [SharedLookup.Waiter], stale: LookupValue?, otherwise result: Result<LookupValue, ResolverError>) {
        for waiter in waiters {
            if let stale, waiter.allowsStale { waiter.completion(.success(stale)) } else { waiter.completion(result) }
        }
    }
}
