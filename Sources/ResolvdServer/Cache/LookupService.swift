#if canImport(Glibc)
import Glibc
#endif

import Dispatch
import NIOConcurrencyHelpers
import ResolverCore

/// Between connections and the resolver: answers from the cache, shares one upstream
/// lookup among identical callers (coalescing), and fills the cache with what comes back.
///
/// Every caller is a *waiter* with its own ``Token``. Waiters are counted per shared
/// lookup: cancelling one waiter answers that waiter at once (before ``cancel(_:with:)``
/// returns) and never disturbs the others — the bug golang/go#22724 had. When the last
/// waiter leaves, the shared lookup is detached, not cancelled: its late answer still
/// fills the cache — for up to ``maxDetached`` detached lookups at a time; beyond that the
/// upstream lookup is cancelled in the resolver, so that lookups started and cancelled
/// against an upstream that never answers cannot pile up without bound. Timeouts are per
/// shared lookup, which is why the timeout is part of the ``LookupKey``.
///
/// It does not speak the protocol or know connections; the ``ConnectionHandler`` maps
/// request ids to tokens.
final class LookupService: Sendable {
    typealias Completion = @Sendable (Result<LookupValue, ResolverError>) -> Void

    /// One caller of a (possibly shared) lookup.
    struct Token: Hashable, Sendable {
        fileprivate let id: UInt64
        /// The shared lookup it waits on; nil for an answer from the cache.
        fileprivate let shared: SharedLookup?
        /// Where its answer comes from, for `monitor` events (LookupService+Source.swift).
        let source: LookupSource

        func hash(into hasher: inout Hasher) { hasher.combine(id) }
        static func == (lhs: Token, rhs: Token) -> Bool { lhs.id == rhs.id }
    }

    /// The upstream lookup, once it has started: what cancelling it takes.
    fileprivate typealias Upstream = (resolver: CoreResolver, handle: LookupHandle)
    /// `allowsStale`: false for a request with `"stale": false` (serve-stale, docs/cache.md).
    fileprivate typealias Waiter = (id: UInt64, allowsStale: Bool, completion: Completion)

    /// One upstream lookup and the waiters it serves (docs/cache.md, "A shared lookup's
    /// states").
    ///
    /// It does not take the lock: every read and write of `phase` is under
    /// LookupService's `state` lock, and the resolver is called outside it.
    fileprivate final class SharedLookup: @unchecked Sendable {
        // `phase` is touched only under LookupService's `state` lock; `key` is immutable.
        enum Phase {
            /// In `State.inFlight`, joinable; `upstream` is nil until the start call has
            /// returned its handle.
            case attached(waiters: [Waiter], upstream: Upstream?)
            /// The last waiter left; still running so that its answer fills the cache, and
            /// counted in `State.detached`.
            case detached(upstream: Upstream?)
            /// The last waiter left when `maxDetached` lookups were detached already: its
            /// upstream lookup has been cancelled, or is cancelled as soon as it starts.
            case abandoned
            /// Its completion has run; every waiter has been answered.
            case finished
        }

        let key: HashedKey
        var phase: Phase
        /// Whose share of the upstream capacity it uses (``UpstreamShare``): its first waiter's.
        /// A prefetch's is nil and it takes no slot of the share: prefetches have their own
        /// bound (`prefetch_share_percent`).
        let owner: Owner
        /// A prefetch: started by a hit, with no waiter of its own (others may join).
        let isPrefetch: Bool

        init(key: HashedKey, first: Waiter, owner: Owner) {
            self.key = key
            self.phase = .attached(waiters: [first], upstream: nil)
            self.owner = owner
            self.isPrefetch = false
        }

        init(prefetching key: HashedKey) {
            self.key = key
            self.phase = .attached(waiters: [], upstream: nil)
            self.owner = nil
            self.isPrefetch = true
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

        /// Removes waiter `id` if it is still waiting: its completion, and whether it was the last.
        func remove(waiter id: UInt64) -> (completion: Completion, wasLast: Bool)? {
            guard case .attached(var waiters, let upstream) = phase,
                  let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            phase = .finished
            let completion = waiters.remove(at: index).completion
            phase = .attached(waiters: waiters, upstream: upstream)
            return (completion, waiters.isEmpty)
        }
    }

    private struct State: Sendable {
        var cache: AnswerCache
        var cacheEnabled: Bool
        var inFlight: [HashedKey: SharedLookup] = [:]
        var nextToken: UInt64 = 0
        var coalesced = 0
        var detached = 0
        var upstreamShare: UpstreamShare<SharedLookup>
        /// Waiters answered from an expired entry (serve-stale).
        var staleAnswers = 0
        /// Prefetches started, and running now (at most `prefetchLimit`).
        var prefetches = 0
        var prefetching = 0
        var prefetchLimit = 0

        /// A background refresh of `key`, unless one (or any lookup of it) runs already or
        /// the prefetch bound is reached.
        mutating func startPrefetch(_ key: HashedKey) -> SharedLookup? {
            guard prefetching < prefetchLimit, inFlight[key] == nil else { return nil }
            let shared = SharedLookup(prefetching: key)
            inFlight[key] = shared
            prefetching += 1
            prefetches += 1
            return shared
        }

        /// Takes `shared` out of the coalescing table and marks it finished; returns its
        /// waiters, for the caller to answer once the lock is released.
        mutating func finish(_ shared: SharedLookup) -> [Waiter] {
            if inFlight[shared.key] === shared { inFlight[shared.key] = nil }
            var waiters: [Waiter] = []
            switch shared.phase {
            case .attached(let attached, _): waiters = attached
            case .detached: detached -= 1
            case .abandoned, .finished: break
            }
            shared.phase = .finished
            return waiters
        }

        /// Serve-stale for `waiters` whose lookup failed: the kept expired answer when one of
        /// them allows it (counted), else nil.
        mutating func staleAnswer(_ key: HashedKey, for waiters: [Waiter], now: UInt64) -> LookupValue? {
            let allowing = waiters.count { $0.allowsStale }
            guard allowing > 0, let stale = cache.staleAnswer(key, now: now) else { return nil }
            staleAnswers += allowing
            return stale
        }
    }

    /// The most prefetches at once: `prefetchSharePercent` of the resolver's capacity.
    private static func prefetchLimit(_ resolver: CoreResolver, _ settings: AnswerCache.Settings) -> Int {
        let capacity = resolver.configuration.channelCount * resolver.queryLimitPerChannel
        return settings.prefetchSharePercent <= 0 ? 0 : max(1, capacity * settings.prefetchSharePercent / 100)
    }

    /// Detached lookups left running so that their late answers fill the cache.
    static let maxDetached = 1_024

    private let state: NIOLockedValueBox<State>
    private let resolverBox: NIOLockedValueBox<CoreResolver>

    /// Who an upstream lookup is charged to (``UpstreamShare``): a uid, or nil.
    typealias Owner = uid_t?

    /// - Parameter upstreamLookupsPerUID: each uid's share of the upstream lookups in flight.
    init(resolver: CoreResolver, cacheEnabled: Bool, settings: AnswerCache.Settings, upstreamLookupsPerUID: Int = .max) {
        self.resolverBox = NIOLockedValueBox(resolver)
        var state = State(
            cache: AnswerCache(settings: settings), cacheEnabled: cacheEnabled, upstreamShare: UpstreamShare(perUID: upstreamLookupsPerUID))
        state.prefetchLimit = Self.prefetchLimit(resolver, settings)
        self.state = NIOLockedValueBox(state)
    }

    /// A new share of the upstream capacity per uid (reload); lookups already counted keep their slots.
    func updateUpstreamShare(perUID: Int) {
        state.withLockedValue { $0.upstreamShare.perUID = perUID }
    }

    /// Upstream lookups in flight and waiting per owner (tests).
    var upstreamShareSnapshot: [Owner: (inFlight: Int, waiting: Int)] {
        state.withLockedValue { $0.upstreamShare.snapshot }
    }

    var resolver: CoreResolver { resolverBox.withLockedValue { $0 } }

    /// Swaps in a new resolver (reload); shared lookups in flight keep theirs.
    func replace(resolver: CoreResolver, cacheEnabled: Bool, settings: AnswerCache.Settings) -> CoreResolver {
        state.withLockedValue { state in
            state.cacheEnabled = cacheEnabled
            state.cache.update(settings: settings)
            state.prefetchLimit = Self.prefetchLimit(resolver, settings)
            if !cacheEnabled { state.cache.flush() }
        }
        return resolverBox.withLockedValue { current in
            let old = current
            current = resolver
            return old
        }
    }

    /// Starts (or joins, or answers from the cache) a lookup. A cache hit completes before
    /// this returns; otherwise `completion` runs later on a resolver thread. An upstream
    /// lookup is charged to `owner`'s share (``UpstreamShare``); `allowsStale` false (a
    /// request's `"stale": false`) opts out of serve-stale.
    func start(_ lookupKey: LookupKey, owner: Owner = nil, allowsStale: Bool = true, completion: @escaping Completion) -> Token {
        start(lookupKey, owner: owner, allowsStale: allowsStale, consultingCache: true, completion: completion)
    }

    /// Like ``start(_:owner:allowsStale:completion:)`` but never answered from the cache
    /// (Varlink's SD_RESOLVED_NO_CACHE): it still joins an identical lookup in flight, and its
    /// answer still fills the cache.
    func startBypassingCache(_ lookupKey: LookupKey, owner: Owner = nil, allowsStale: Bool = true, completion: @escaping Completion) -> Token {
        start(lookupKey, owner: owner, allowsStale: allowsStale, consultingCache: false, completion: completion)
    }

    /// Always inlined, so that each caller's `consultingCache` is a constant and the v1 path
    /// pays nothing for the bypass.
    @inline(__always)
    private func start(
        _ lookupKey: LookupKey, owner: Owner, allowsStale: Bool, consultingCache: Bool, completion: @escaping Completion
    ) -> Token {
        let now = MonotonicClock.milliseconds()
        let key = HashedKey(lookupKey)
        enum Plan {
            case hit(Result<LookupValue, ResolverError>)
            case hitAndRefresh(LookupValue, SharedLookup)
            case joined
            /// A new shared lookup, or a waiting one another uid joined (promoted).
            case startNew(SharedLookup, staleKept: Bool)
            /// Over its owner's share: started by a later `complete` of the owner's.
            case waiting(SharedLookup, staleKept: Bool)
        }
        let (token, plan) = state.withLockedValue { state -> (Token, Plan) in
            state.nextToken += 1
            let id = state.nextToken
            var staleKept = false
            if consultingCache, state.cacheEnabled, lookupKey.isCacheable, let answer = state.cache.lookup(key, now: now) {
                switch answer {
                case .value(let value): return (Token(id: id, shared: nil, source: .cache), .hit(.success(value)))
                case .failure(let error): return (Token(id: id, shared: nil, source: .cache), .hit(.failure(error)))
                case .expired: staleKept = true
                case .refresh(let value):
                    guard let refresh = state.startPrefetch(key) else {
                        return (Token(id: id, shared: nil, source: .cache), .hit(.success(value)))
                    }
                    return (Token(id: id, shared: nil, source: .cache), .hitAndRefresh(value, refresh))
                }
            }
            if let shared = state.inFlight[key] {
                shared.join((id, allowsStale, completion))
                state.coalesced += 1
                // Nobody waits in another uid's queue: joining one of its waiting lookups starts it.
                let promoted = shared.owner != owner && state.upstreamShare.promote(shared.owner, shared)
                return (Token(id: id, shared: shared, source: .coalesced), promoted ? .startNew(shared, staleKept: false) : .joined)
            }
            let shared = SharedLookup(key: key, first: (id, allowsStale, completion), owner: owner)
            state.inFlight[key] = shared
            let token = Token(id: id, shared: shared, source: .upstream)
            return state.upstreamShare.acquire(owner, shared)
                ? (token, .startNew(shared, staleKept: staleKept)) : (token, .waiting(shared, staleKept: staleKept))
        }
        switch plan {
        case .hit(let result):
            completion(result)
        case .hitAndRefresh(let value, let refresh):
            completion(.success(value))
            startUpstream(refresh)
        case .joined:
            break
        case .waiting(let shared, let staleKept):
            armTimers(waiting: shared, staleKept: staleKept)
        case .startNew(let shared, let staleKept):
            if staleKept { armStaleTimer(shared) }
            startUpstream(shared)
        }
        return token
    }

    /// Answers one waiter with `error` (WSA_E_CANCELLED, ERROR_OPERATION_ABORTED) before
    /// returning; false when it had already been answered.
    @discardableResult
    func cancel(_ token: Token, with error: ResolverError) -> Bool {
        guard let shared = token.shared else { return false }  // answered from the cache at once
        let (completion, cancelUpstream) = state.withLockedValue { state -> (Completion?, Upstream?) in
            guard let (completion, wasLast) = shared.remove(waiter: token.id) else { return (nil, nil) }
            guard wasLast, case .attached(_, let upstream) = shared.phase else { return (completion, nil) }
            // The last waiter left: detach. The upstream answer still fills the cache,
            // unless too many detached lookups are running already.
            if state.inFlight[shared.key] === shared { state.inFlight[shared.key] = nil }
            if state.detached < Self.maxDetached {
                state.detached += 1
                shared.phase = .detached(upstream: upstream)
                return (completion, nil)
            }
            shared.phase = .abandoned
            return (completion, upstream)
        }
        guard let completion else { return false }
        completion(.failure(error))
        if let cancelUpstream { cancelUpstream.resolver.cancel(cancelUpstream.handle) }
        return true
    }

    /// Runs `body` on the cache under the lock (for `dump_cache`).
    func withCache<T>(_ body: (AnswerCache) -> T) -> T {
        state.withLockedValue { body($0.cache) }
    }

    /// Empties the cache; returns how many entries it held.
    func flushCache() -> Int {
        state.withLockedValue { $0.cache.flush() }
    }

    struct Statistics: Sendable {
        var entries: Int
        var bytes: Int
        var hits: Int
        var misses: Int
        var evictions: Int
        var staleAnswers: Int
        var prefetches: Int
        var coalesced: Int
        var sharedInFlight: Int
    }

    var statistics: Statistics {
        state.withLockedValue { state in
            Statistics(
                entries: state.cache.count, bytes: state.cache.bytes, hits: state.cache.hits, misses: state.cache.misses,
                evictions: state.cache.evictions, staleAnswers: state.staleAnswers, prefetches: state.prefetches, coalesced: state.coalesced, sharedInFlight: state.inFlight.count)
        }
    }

    private func startUpstream(_ shared: SharedLookup) {
        let resolver = self.resolver
        let handle = startUpstream(shared, on: resolver)
        let cancelNow = state.withLockedValue { _ -> Bool in
            // Under the lock: SharedLookup's phase is guarded by it.
            switch shared.phase {
            case .attached(let waiters, _):
                shared.phase = .attached(waiters: waiters, upstream: (resolver, handle))
            case .detached:
                shared.phase = .detached(upstream: (resolver, handle))
            case .abandoned:
                return true
            case .finished:
                break  // completed inside the start call
            }
            return false
        }
        if cancelNow { resolver.cancel(handle) }
    }

    /// One closure per lookup, straight to `complete` (no intermediate `finish` closure).
    private func startUpstream(_ shared: SharedLookup, on resolver: CoreResolver) -> LookupHandle {
        switch shared.key.key {
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
            // Its slot goes to the owner's next waiting lookup, if any (a prefetch holds none).
            let next = shared.isPrefetch ? nil : state.upstreamShare.release(shared.owner)
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
        if let next { startUpstream(next) }
    }

    /// Waiting for its owner's share delays neither a stale answer nor the lookup's timeout.
    /// Out of line: `start` is inlined into each front end's lookup path, which this path
    /// (over the share) must not make longer (callgrind: +600 instructions per cached lookup).
    @inline(never)
    private func armTimers(waiting shared: SharedLookup, staleKept: Bool) {
        if staleKept { armStaleTimer(shared) }
        if let timeout = shared.key.key.timeout { armWaitTimer(shared, after: timeout) }
    }

    /// A lookup waiting in its owner's share queue waits no longer than its own timeout
    /// (`timeout_ms`): then it leaves the queue unstarted and its waiters are answered as if
    /// the upstream had not answered in time — stale where an expired answer is kept and
    /// they allow it, else WSAETIMEDOUT. One that starts before then has its timeout counted
    /// from the start, by the engine, so it is answered within twice its timeout at most.
    private func armWaitTimer(_ shared: SharedLookup, after timeout: Duration) {
        Self.run(after: .nanoseconds(Int(clamping: MonotonicClock.nanoseconds(timeout)))) { [self] in expireWaiting(shared) }
    }

    private func expireWaiting(_ shared: SharedLookup) {
        let now = MonotonicClock.milliseconds()
        let (waiters, stale) = state.withLockedValue { state -> ([Waiter], LookupValue?) in
            // Not in its owner's queue any more: it has started (or finished); nothing to do.
            guard state.upstreamShare.withdraw(shared.owner, shared) else { return ([], nil) }
            let waiters = state.finish(shared)
            guard state.cacheEnabled else { return (waiters, nil) }
            return (waiters, state.staleAnswer(shared.key, for: waiters, now: now))
        }
        Self.answer(waiters, stale: stale, otherwise: .failure(.timedOut))
    }

    /// Answers each waiter of a finished lookup: with `stale` where there is one and it
    /// allows it, else with `result`.
    private static func answer(_ waiters: [Waiter], stale: LookupValue?, otherwise result: Result<LookupValue, ResolverError>) {
        for waiter in waiters {
            if let stale, waiter.allowsStale { waiter.completion(.success(stale)) } else { waiter.completion(result) }
        }
    }

    /// Serve-stale's client response timer (docs/cache.md): when `shared` (started with an
    /// expired entry still kept) has no answer after `staleAnswerAfterMilliseconds`, its
    /// waiters that allow it are answered from that entry; the upstream lookup goes on
    /// (detached once nobody waits) and refreshes the cache when it answers.
    private func armStaleTimer(_ shared: SharedLookup) {
        let delay = state.withLockedValue { $0.cache.settings.staleAnswerAfterMilliseconds }
        guard delay > 0 else { return }
        Self.run(after: .milliseconds(Int(delay))) { [self] in answerStale(shared) }
    }

    /// Runs `body` once, `delay` from now, on a global queue. A timer source rather than
    /// asyncAfter: its leeway is ours (asyncAfter's was seen to fire 270 ms late for a 300 ms
    /// delay on a loaded machine).
    private static func run(after delay: DispatchTimeInterval, _ body: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + delay, leeway: .milliseconds(5))
        timer.setEventHandler {
            body()
            timer.cancel()  // releases this handler, and with it the timer
        }
        timer.resume()
    }

    private func answerStale(_ shared: SharedLookup) {
        let now = MonotonicClock.milliseconds()
        let (answered, stale, cancelUpstream) = state.withLockedValue { state -> ([Waiter], LookupValue?, Upstream?) in
            guard case .attached(let waiters, let upstream) = shared.phase, waiters.contains(where: \.allowsStale),
                  let stale = state.cache.staleAnswer(shared.key, now: now) else { return ([], nil, nil) }
            let answered = waiters.filter(\.allowsStale)
            state.staleAnswers += answered.count
            let staying = waiters.filter { !$0.allowsStale }
            if !staying.isEmpty {
                shared.phase = .attached(waiters: staying, upstream: upstream)
                return (answered, stale, nil)
            }
            // Nobody waits any more: detach, exactly as when the last waiter cancels.
            if state.inFlight[shared.key] === shared { state.inFlight[shared.key] = nil }
            if state.detached < Self.maxDetached {
                state.detached += 1
                shared.phase = .detached(upstream: upstream)
                return (answered, stale, nil)
            }
            shared.phase = .abandoned
            return (answered, stale, upstream)
        }
        guard let stale else { return }
        for waiter in answered { waiter.completion(.success(stale)) }
        if let cancelUpstream { cancelUpstream.resolver.cancel(cancelUpstream.handle) }
    }

    /// Outcomes that say nothing about the name: never cached.
    private static func isTransient(_ result: Result<LookupValue, ResolverError>) -> Bool {
        guard case .failure(let error) = result else { return false }
        return error.code != .hostNotFound && error.code != .noData
    }
}
