#if canImport(Glibc)
import Glibc
#endif

import DequeModule
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ResolverCore
import Synchronization

/// Between connections and the resolver: one DNS cache keyed by question under every op
/// of every front end, and one upstream query per question in flight, whoever asks it.
///
/// Two layers (docs/cache.md):
/// - **ops** (``LookupService+Ops``, ``OpLookup``): a front end's request — getaddrinfo,
///   gethostbyaddr, query … — made of the DNS questions the resolver's ``LookupPlan`` lists,
///   composed into the answer when they come back. The op owns the request's timeout
///   (`timeout_ms`) and its one completion; cancelling it answers it at once.
/// - **questions** (this file): a question is answered from the cache, joins the same
///   question in flight (coalescing, any op of any front end), or starts one upstream query
///   (``SharedLookup``) charged to the asking uid's share of the upstreams
///   (``UpstreamShare``). Every asker is a *waiter* with its own token; one waiter leaving
///   never disturbs the others (golang/go#22724). When the last waiter leaves a question
///   still waiting in its owner's share queue, it leaves the queue unstarted; when the last
///   leaves a started one, it is detached — gives its slot back, its late answer still
///   fills the cache — for up to a quarter of the resolver's capacity at a time; beyond that
///   it keeps its slot and runs to its end (orphaned), so that questions asked and cancelled
///   against an upstream that never answers are bounded by their owner's share.
///
/// No call recurses through another question: a completion that frees a slot hands the next
/// questions to one loop (``startQueued(_:)``).
///
/// It does not speak a protocol or know connections; front ends map request ids to tokens
/// and give each connection its number (``makeConnectionID()``).
final class LookupService: Sendable {
    typealias Completion = @Sendable (Result<LookupValue, ResolverError>) -> Void
    /// A front end's completion: the answer and where it came from (``LookupSource``: the
    /// cache, a question in flight, the upstreams, or the resolver's memory).
    typealias AnsweredCompletion = @Sendable (Result<LookupValue, ResolverError>, LookupSource) -> Void
    /// A question's waiter's completion: the outcome, whether it came from serve-stale, and
    /// the path this waiter took (the cache, joining the question, or asking it upstream) —
    /// given with the answer, which may come before `ask` returns its token.
    typealias QuestionCompletion = @Sendable (QuestionOutcome, _ stale: Bool, _ source: LookupSource) -> Void

    /// One waiter of a question, and where it waits.
    struct QuestionToken: Sendable {
        enum Place: Sendable {
            /// From the cache: nothing to take it off.
            case answered
            case inFlight(SharedLookup)
            /// In its owner's share queue, under its ticket (`id`).
            case queued
        }

        let id: UInt64
        let place: Place
        let source: LookupSource

        /// The question in flight it waits on.
        var shared: SharedLookup? {
            if case .inFlight(let shared) = place { shared } else { nil }
        }
    }

    typealias Waiter = SharedLookup.Waiter
    typealias Owner = ShareOwner
    /// A queued question whose turn came: it holds a slot of `owner`'s share.
    typealias Turn = (recipient: SharedLookup.Recipient, owner: ShareOwner)

    struct State: Sendable {
        var cache: AnswerCache
        /// Answers composed from the cache, by request: the cached path's shortcut.
        var composed: ComposedAnswers
        var cacheEnabled: Bool
        var inFlight: [QuestionKey: SharedLookup] = [:]
        var nextToken: UInt64 = 0
        var coalesced = 0
        var detached = 0
        /// Questions over their owner's share wait in its queue as their recipients.
        var upstreamShare: UpstreamShare<SharedLookup.Recipient>
        /// Prefetches started, and running now (at most `prefetchLimit`).
        var prefetches = 0
        var prefetching = 0
        var prefetchLimit = 0
        /// The most detached lookups at once (a quarter of the resolver's capacity).
        var detachedLimit = 0
        /// The deadlines of ops with a timeout, and when the one timer that answers them is
        /// armed for (``LookupService+Timers``).
        var deadlines = WaitDeadlines<OpLookup>()
        var deadlineTimer: (at: UInt64, task: Scheduled<Void>)?
        /// Queued questions whose turn a completion gave them, and whether a thread is
        /// taking them already (``LookupService/startQueued(_:)``).
        var toStart = Deque<Turn>()
        var starting = false
        /// Bumped whenever answers made earlier must not be served again whatever their
        /// entries say (`flush_cache`, a reload, a route change): ``AnswerProvenance``.
        var answersGeneration: UInt64 = 0

        /// A background refresh of `question`, unless it is in flight already or the
        /// prefetch bound is reached.
        mutating func startPrefetch(_ question: DNSQuestion, key: QuestionKey) -> SharedLookup? {
            guard prefetching < prefetchLimit, inFlight[key] == nil else { return nil }
            let shared = SharedLookup(prefetching: question, key: key)
            inFlight[key] = shared
            prefetching += 1
            prefetches += 1
            return shared
        }

        /// `recipient` joins question `shared` in flight as waiter `id`: its token.
        mutating func join(_ shared: SharedLookup, id: UInt64, _ recipient: SharedLookup.Recipient) -> QuestionToken {
            shared.join((id, recipient.allowsStale, .coalesced, recipient))
            coalesced += 1
            return QuestionToken(id: id, place: .inFlight(shared), source: .coalesced)
        }

        /// A new question in flight, joinable, holding a slot of `owner`'s share, with
        /// `recipient` its first waiter (`id`): the question to start, and the waiter's token.
        mutating func startQuestion(
            _ question: DNSQuestion, key: QuestionKey, id: UInt64, _ recipient: SharedLookup.Recipient, owner: ShareOwner
        ) -> (SharedLookup, QuestionToken) {
            let shared = SharedLookup(question, key: key, first: (id, recipient.allowsStale, .upstream, recipient), owner: owner)
            shared.channelHint = recipient.channelHint
            inFlight[key] = shared
            return (shared, QuestionToken(id: id, place: .inFlight(shared), source: .upstream))
        }

        /// Takes `shared` out of the coalescing table and marks it finished; returns its
        /// waiters, for the caller to answer once the lock is released.
        mutating func finish(_ shared: SharedLookup) -> SharedLookup.Waiters {
            if inFlight[shared.key] === shared { inFlight[shared.key] = nil }
            var waiters = SharedLookup.Waiters()
            switch shared.phase {
            case .attached(let attached, _): waiters = attached
            case .detached: detached -= 1
            case .orphaned, .abandoned, .finished: break
            }
            shared.phase = .finished
            return waiters
        }

        /// Serve-stale for `waiters` whose question failed: the expired answer kept, when
        /// one of them allows it, else nil.
        func staleAnswer(_ key: QuestionKey, for waiters: SharedLookup.Waiters, now: UInt64) -> QuestionOutcome? {
            guard waiters.contains(where: \.allowsStale) else { return nil }
            return cache.staleAnswer(key, now: now)
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
    /// Lookups (ops) that consulted the cache: answered wholly from it, or not.
    let cacheHits = Atomic<Int>(0)
    let cacheMisses = Atomic<Int>(0)
    /// Lookups answered (in part) from expired entries: serve-stale.
    let staleAnswers = Atomic<Int>(0)
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
            cache: AnswerCache(settings: settings), composed: ComposedAnswers(settings: settings), cacheEnabled: cacheEnabled, upstreamShare: UpstreamShare(perUID: upstreamLookupsPerUID))
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

    /// The number of the route that asks `question` (``Route/id``), part of its cache key; 0
    /// (the default route's) without routes, for one atomic load.
    func routeID(for question: DNSQuestion) -> UInt32 {
        routed.load(ordering: .relaxed) ? routesBox.withLockedValue { $0.route(for: question.name).id } : 0
    }

    /// The key `question` is cached and coalesced by: its route's number is part of it.
    func questionKey(_ question: DNSQuestion) -> QuestionKey {
        QuestionKey(question, route: routeID(for: question))
    }

    /// Swaps in new routes (a link change); shared lookups in flight keep their resolver.
    func replace(routes: RouteSet) -> RouteSet {
        // Answers composed over the old routes' entries go: a name may now be another route's.
        state.withLockedValue { state in
            state.composed.flush()
            state.answersGeneration += 1
        }
        return routesBox.withLockedValue { current in
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
            state.composed = ComposedAnswers(settings: settings)
            state.answersGeneration += 1
            if !cacheEnabled { state.cache.flush() }
            // Questions in flight run on for their waiters on the old resolver, but lookups
            // from now on ask theirs of the new one: none joins a question on the old.
            state.inFlight.removeAll()
        }
        return replace(routes: routes)
    }

    /// A lone question (the DNS stub's): answered from the cache (before this returns),
    /// joined in flight, or started upstream — at once if `owner` is within its share, else
    /// when its turn comes (``UpstreamShare``). `consultingCache` false skips the cache but
    /// still joins a question in flight, and the answer still fills the cache. Cancel it with
    /// ``cancel(_:)``.
    func ask(
        _ question: DNSQuestion, owner: Owner, allowsStale: Bool, consultingCache: Bool, completion: @escaping QuestionCompletion
    ) -> LoneQuestion {
        let lone = LoneQuestion(question, owner: owner, allowsStale: allowsStale, consultingCache: consultingCache, completion: completion)
        let token = ask(question, recipient: .lone(lone))
        if !lone.asked(token) { leave(token, owner: owner) }
        return lone
    }

    /// A lone question's answer when the cache has it live (the DNS stub's hits): no waiter,
    /// no token, nothing to cancel; a hit in the last tenth of its TTL starts its refresh, as
    /// ``ask(_:recipient:)`` does. Nil otherwise (a miss, an expired entry, the cache off):
    /// then ``ask(_:owner:allowsStale:consultingCache:completion:)``.
    /// With the answer comes its provenance, for a front end that keeps what it wrote.
    func cachedAnswer(_ question: DNSQuestion) -> (QuestionOutcome, AnswerProvenance)? {
        let now = MonotonicClock.milliseconds()
        let key = questionKey(question)
        var dependencies: [ComposedAnswers.Dependency] = []
        let (answer, refresh) = state.withLockedValue { state -> ((QuestionOutcome, AnswerProvenance)?, SharedLookup?) in
            guard state.cacheEnabled, case .hit(let outcome, let refresh) = state.cache.answer(key, now: now, recording: &dependencies) else {
                return (nil, nil)
            }
            let provenance = AnswerProvenance(dependencies: dependencies, generation: state.answersGeneration, madeAt: now)
            return ((outcome, provenance), refresh ? state.startPrefetch(question, key: key) : nil)
        }
        if let refresh { startUpstream(refresh) }
        return answer
    }

    /// Whether an answer made earlier (``AnswerProvenance``) may be served again at `now`:
    /// no flush or route change since, every entry it was made from still there, unchanged,
    /// live and not in the last tenth of its TTL. Checked by slot and stamp: no hashing.
    func stillHolds(_ provenance: AnswerProvenance, now: UInt64) -> Bool {
        guard now < provenance.validUntil else { return false }
        return state.withLockedValue { state in
            state.cacheEnabled && state.answersGeneration == provenance.generation
                && provenance.dependencies.allSatisfy { state.cache.holds($0, now: now) }
        }
    }

    /// A lone question is cancelled: its completion does not run, and it leaves its question.
    func cancel(_ lone: LoneQuestion) {
        if let token = lone.cancel() { leave(token, owner: lone.owner) }
    }

    /// Asks `question` for `recipient` (an op's question or a lone one): from the cache, by
    /// joining it in flight, by starting it, or in the owner's share queue.
    func ask(_ question: DNSQuestion, recipient: SharedLookup.Recipient) -> QuestionToken {
        ask(question, key: questionKey(question), recipient: recipient)
    }

    /// The same, with the question's key already made (``questionKey(_:)``). `cacheMissed`:
    /// the cache was just found not to answer it (whether an expired entry is kept for
    /// serve-stale), so it is not looked up again. Should an answer be stored in between,
    /// the question is asked upstream once more: the cost of a rare race, never a wrong answer.
    func ask(_ question: DNSQuestion, key: QuestionKey, recipient: SharedLookup.Recipient, cacheMissed: Bool? = nil) -> QuestionToken {
        let now = MonotonicClock.milliseconds()
        let owner = recipient.owner
        enum Plan {
            case hit(QuestionOutcome)
            case hitAndRefresh(QuestionOutcome, SharedLookup)
            case joined
            case startNew(SharedLookup, staleKept: Bool)
            /// Over its owner's share: its turn comes with a later completion of the owner's.
            case waiting(staleKept: Bool)
        }
        let (token, plan) = state.withLockedValue { state -> (QuestionToken, Plan) in
            state.nextToken += 1
            let id = state.nextToken
            var staleKept = false
            if let cacheMissed {
                staleKept = cacheMissed
            } else if recipient.consultingCache, state.cacheEnabled {
                switch state.cache.answer(key, now: now) {
                case .hit(let outcome, let refresh):
                    let token = QuestionToken(id: id, place: .answered, source: .cache)
                    guard refresh, let prefetch = state.startPrefetch(question, key: key) else { return (token, .hit(outcome)) }
                    return (token, .hitAndRefresh(outcome, prefetch))
                case .miss(let kept):
                    staleKept = kept
                }
            }
            if let shared = state.inFlight[key] { return (state.join(shared, id: id, recipient), .joined) }
            // A question that waits is its recipient in the queue, not a joinable question:
            // the same question asked meanwhile waits its own turn, or starts on its own
            // uid's share, and joins whichever starts first when its turn comes.
            guard state.upstreamShare.acquire(recipient, ticket: id, owner: owner) else {
                return (QuestionToken(id: id, place: .queued, source: .upstream), .waiting(staleKept: staleKept))
            }
            let (shared, token) = state.startQuestion(question, key: key, id: id, recipient, owner: owner)
            return (token, .startNew(shared, staleKept: staleKept))
        }
        switch plan {
        case .hit(let outcome):
            deliver(outcome, stale: false, source: .cache, to: recipient)
        case .hitAndRefresh(let outcome, let refresh):
            deliver(outcome, stale: false, source: .cache, to: recipient)
            startUpstream(refresh)
        case .joined:
            break
        case .waiting(let staleKept):
            if staleKept { armStaleTimer(queued: token.id, recipient, key: key) }
        case .startNew(let shared, let staleKept):
            if staleKept { armStaleTimer(shared) }
            startUpstream(shared)
        }
        return token
    }

    /// Takes a waiter whose asker has been answered already (a cancel, a close, a deadline)
    /// off where it waits: out of its owner's share queue, or off its question in flight —
    /// which the last waiter leaving detaches (``LastWaiterRule``). Nothing is delivered.
    func leave(_ token: QuestionToken, owner: Owner) {
        switch token.place {
        case .answered:
            return
        case .queued:
            state.withLockedValue { _ = $0.upstreamShare.withdraw(token.id, owner: owner) }
        case .inFlight(let shared):
            let left = state.withLockedValue { state -> State.Left in
                guard shared.remove(waiter: token.id) == true else { return .nothing }
                return state.lastWaiterLeft(shared)
            }
            carryOut(left)
        }
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
        state.withLockedValue { state in
            state.composed.flush()
            state.answersGeneration += 1
            return state.cache.flush()
        }
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
                entries: state.cache.count, bytes: state.cache.bytes, hits: cacheHits.load(ordering: .relaxed), misses: cacheMisses.load(ordering: .relaxed),
                evictions: state.cache.evictions, staleAnswers: staleAnswers.load(ordering: .relaxed), prefetches: state.prefetches, coalesced: state.coalesced, sharedInFlight: state.inFlight.count)
        }
    }
}
