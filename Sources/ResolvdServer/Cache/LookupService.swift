#if canImport(Glibc)
import Glibc
#endif

import DequeModule
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ResolverCore
import Synchronization

/// Between connections and the resolver: answers from the cache, shares one upstream
/// lookup among identical callers (coalescing), and fills the cache with what comes back.
///
/// Every caller is a *waiter* with its own ``Token``. Waiters are counted per shared
/// lookup: cancelling one waiter answers that waiter at once (before ``cancel(_:with:)``
/// returns) and never disturbs the others — the bug golang/go#22724 had. When the last
/// waiter leaves a lookup still waiting in its owner's share queue, it leaves the queue
/// unstarted; when the last waiter leaves a started one, the lookup is detached, not
/// cancelled: it gives its slot of the share back and its late answer still fills the
/// cache — for up to a quarter of the resolver's capacity of detached lookups at a time;
/// beyond that it keeps its owner's slot and runs to its end (orphaned), so that lookups
/// started and cancelled against an upstream that never answers are bounded by their
/// owner's share. Timeouts are per shared lookup, which is why the timeout is part of the
/// ``LookupKey``.
///
/// No call recurses through another lookup: a completion that frees a slot hands the next
/// lookups to one loop (``startQueued(_:)``), however many of them complete at once (a
/// resolver shutting down fails every start before it returns).
///
/// It does not speak the protocol or know connections; the ``ConnectionHandler`` maps
/// request ids to tokens and gives each connection its number (``makeConnectionID()``).
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

    typealias Waiter = SharedLookup.Waiter
    typealias Owner = ShareOwner

    struct State: Sendable {
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
        /// The most detached lookups at once (a quarter of the resolver's capacity).
        var detachedLimit = 0
        /// The own deadlines of lookups waiting in the share, and when the one timer that
        /// answers them is armed for (``LookupService+Timers``).
        var waitDeadlines = WaitDeadlines<SharedLookup>()
        var waitTimer: (at: UInt64, task: Scheduled<Void>)?
        /// Lookups to start that a completion freed slots for, and whether a thread is
        /// starting them already (``LookupService/startQueued(_:)``).
        var toStart = Deque<SharedLookup>()
        var starting = false

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
            case .orphaned, .abandoned, .finished: break
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
        settings.prefetchSharePercent <= 0 ? 0 : max(1, resolver.queryCapacity * settings.prefetchSharePercent / 100)
    }

    /// The most detached lookups left running so that their late answers fill the cache:
    /// a quarter of the resolver's capacity, as much as one uid's share.
    static func detachedLimit(_ resolver: CoreResolver) -> Int {
        resolver.quarterOfQueryCapacity
    }

    let state: NIOLockedValueBox<State>
    /// The routes (docs/routing.md): which resolver asks a lookup's name (``RouteSet/route(for:)``).
    private let routesBox: NIOLockedValueBox<RouteSet>
    /// Whether the routes have any but `.`: read per lookup without the box's lock, so that a
    /// daemon without routes pays one atomic load for them.
    private let routed = Atomic<Bool>(false)
    /// Where the share queue's wait timer and serve-stale's timers run.
    let timerLoop: any EventLoop

    /// - Parameter upstreamLookupsPerUID: each uid's share of the upstream lookups in flight.
    init(
        resolver: CoreResolver, cacheEnabled: Bool, settings: AnswerCache.Settings, upstreamLookupsPerUID: Int = .max,
        timerLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) {
        self.routesBox = NIOLockedValueBox(RouteSet(defaultResolver: resolver))
        self.timerLoop = timerLoop
        var state = State(
            cache: AnswerCache(settings: settings), cacheEnabled: cacheEnabled, upstreamShare: UpstreamShare(perUID: upstreamLookupsPerUID))
        state.prefetchLimit = Self.prefetchLimit(resolver, settings)
        state.detachedLimit = Self.detachedLimit(resolver)
        self.state = NIOLockedValueBox(state)
    }

    private static let connectionIDs = Atomic<UInt64>(0)

    /// A number for a new connection: the share keeps each connection's lookups apart.
    static func makeConnectionID() -> UInt64 {
        connectionIDs.add(1, ordering: .relaxed).newValue
    }

    /// A new share of the upstream capacity per uid (reload); lookups already counted keep their slots.
    func updateUpstreamShare(perUID: Int) {
        state.withLockedValue { $0.upstreamShare.perUID = perUID }
    }

    /// Upstream lookups in flight and waiting per uid (tests).
    var upstreamShareSnapshot: [uid_t?: (inFlight: Int, waiting: Int)] {
        state.withLockedValue { $0.upstreamShare.snapshot }
    }

    /// The default route's resolver: what the hosts file, the capacities and the databases
    /// are taken from.
    var resolver: CoreResolver { routes.defaultRoute.resolver }

    var routes: RouteSet { routesBox.withLockedValue { $0 } }

    /// Swaps in new routes (a link change); shared lookups in flight keep their resolver.
    func replace(routes: RouteSet) -> RouteSet {
        routesBox.withLockedValue { current in
            let old = current
            current = routes
            routed.store(routes.isRouted, ordering: .relaxed)
            return old
        }
    }

    /// Swaps in new routes and cache settings (reload); shared lookups in flight keep their resolver.
    func replace(routes: RouteSet, cacheEnabled: Bool, settings: AnswerCache.Settings) -> RouteSet {
        let resolver = routes.defaultRoute.resolver
        state.withLockedValue { state in
            state.cacheEnabled = cacheEnabled
            state.cache.update(settings: settings)
            state.prefetchLimit = Self.prefetchLimit(resolver, settings)
            state.detachedLimit = Self.detachedLimit(resolver)
            if !cacheEnabled { state.cache.flush() }
        }
        return replace(routes: routes)
    }

    /// Starts (or joins, or answers from the cache) a lookup. A cache hit completes before
    /// this returns; otherwise `completion` runs later on a resolver thread. An upstream
    /// lookup is charged to `owner`'s share, on `connection`'s queue (``UpstreamShare``);
    /// `allowsStale` false (a request's `"stale": false`) opts out of serve-stale.
    func start(
        _ lookupKey: LookupKey, owner: uid_t? = nil, connection: UInt64 = 0, allowsStale: Bool = true, completion: @escaping Completion
    ) -> Token {
        start(lookupKey, owner: Owner(uid: owner, connection: connection), allowsStale: allowsStale, consultingCache: true, completion: completion)
    }

    /// Like ``start(_:owner:connection:allowsStale:completion:)`` but never answered from
    /// the cache (Varlink's SD_RESOLVED_NO_CACHE): it still joins an identical lookup in
    /// flight, and its answer still fills the cache.
    func startBypassingCache(
        _ lookupKey: LookupKey, owner: uid_t? = nil, connection: UInt64 = 0, allowsStale: Bool = true, completion: @escaping Completion
    ) -> Token {
        start(lookupKey, owner: Owner(uid: owner, connection: connection), allowsStale: allowsStale, consultingCache: false, completion: completion)
    }

    /// Always inlined, so that each caller's `consultingCache` is a constant and the v1 path
    /// pays nothing for the bypass.
    @inline(__always)
    private func start(
        _ lookupKey: LookupKey, owner: Owner, allowsStale: Bool, consultingCache: Bool, completion: @escaping Completion
    ) -> Token {
        let now = MonotonicClock.milliseconds()
        // The route is part of the key: answers of different routes are kept apart.
        let key = HashedKey(lookupKey, route: routed.load(ordering: .relaxed) ? routesBox.withLockedValue { $0.routeID(for: lookupKey) } : 0)
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
                let promoted = shared.owner?.uid != owner.uid && state.promote(shared)
                return (Token(id: id, shared: shared, source: .coalesced), promoted ? .startNew(shared, staleKept: false) : .joined)
            }
            let shared = SharedLookup(key: key, first: (id, allowsStale, completion), owner: owner)
            state.inFlight[key] = shared
            let token = Token(id: id, shared: shared, source: .upstream)
            shared.holdsSlot = state.upstreamShare.acquire(shared, owner: owner)
            return shared.holdsSlot ? (token, .startNew(shared, staleKept: staleKept)) : (token, .waiting(shared, staleKept: staleKept))
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
            waitForShare(shared, staleKept: staleKept)
        case .startNew(let shared, let staleKept):
            if staleKept { armStaleTimer(shared) }
            startUpstream(shared)
        }
        return token
    }

    /// A lookup over its owner's share. What needs no upstream — an IP literal, a name of
    /// the hosts file, a service or protocol — starts at once without a slot: only the
    /// upstreams are shared. The rest waits, no longer than its own timeout or its stale
    /// answer. Out of line: `start` is inlined into each front end's lookup path, which this
    /// path (over the share) must not make longer (callgrind: +600 instructions per cached
    /// lookup).
    @inline(never)
    private func waitForShare(_ shared: SharedLookup, staleKept: Bool) {
        if !shared.key.key.needsUpstream(resolver) {
            let leftQueue = state.withLockedValue { $0.leave(shared) }
            if leftQueue { startUpstream(shared) }
            return
        }
        if staleKept { armStaleTimer(shared) }
        if let timeout = shared.key.key.timeout { armWaitTimer(shared, after: timeout) }
    }

    /// Answers one waiter with `error` (WSA_E_CANCELLED, ERROR_OPERATION_ABORTED) before
    /// returning; false when it had already been answered.
    @discardableResult
    func cancel(_ token: Token, with error: ResolverError) -> Bool {
        guard let shared = token.shared else { return false }  // answered from the cache at once
        let (completion, left) = state.withLockedValue { state -> (Completion?, State.Left) in
            guard let (completion, wasLast) = shared.remove(waiter: token.id) else { return (nil, .nothing) }
            return (completion, wasLast ? state.lastWaiterLeft(shared) : .nothing)
        }
        guard let completion else { return false }
        completion(.failure(error))
        carryOut(left)
        return true
    }

    /// What the last waiter's leaving asks of the resolver and the share, outside the lock.
    func carryOut(_ left: State.Left) {
        if let cancel = left.cancelUpstream { cancel.resolver.cancel(cancel.handle) }
        if let next = left.startNext { startQueued(next) }
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

    /// Outcomes that say nothing about the name: never cached.
    static func isTransient(_ result: Result<LookupValue, ResolverError>) -> Bool {
        guard case .failure(let error) = result else { return false }
        return error.code != .hostNotFound && error.code != .noData
    }
}
