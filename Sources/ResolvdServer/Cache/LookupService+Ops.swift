import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// A front end's lookup — an op — over the question layer: what the resolver answers from
/// memory completes before ``start(_:owner:connection:allowsStale:completion:)`` returns;
/// the rest is an ``OpLookup`` asking its recipe's questions a round at a time. Its
/// `timeout_ms` is its own deadline (``LookupService+Timers``); a cancel answers it at once
/// and takes its waiters off their questions, which go on for anyone else waiting on them.
extension LookupService {
    /// One front end's lookup, for a cancel and for `monitor`.
    struct Token: Sendable {
        /// Nil for a lookup answered before its start call returned.
        fileprivate let op: OpLookup?
        private let answeredSource: LookupSource

        fileprivate init(op: OpLookup?, answeredSource: LookupSource) {
            self.op = op
            self.answeredSource = answeredSource
        }

        /// Where its answer came from (the costliest path of its questions).
        var source: LookupSource { op?.source ?? answeredSource }
    }

    /// Starts a lookup: answered before this returns when the resolver's memory or the cache
    /// answers it, else `completion` runs later on a resolver thread (or the timer loop, for
    /// its timeout). Upstream questions are charged to `owner`'s share, on `connection`'s
    /// queue (``UpstreamShare``); `allowsStale` false (`"stale": false`) opts out of serve-stale.
    /// `consultingCache` false (Varlink's SD_RESOLVED_NO_CACHE): never answered from the
    /// cache, but it still joins questions in flight, and their answers still fill the cache.
    func start(
        _ lookupKey: LookupKey, owner: uid_t? = nil, connection: UInt64 = 0, allowsStale: Bool = true, consultingCache: Bool = true,
        completion: @escaping AnsweredCompletion
    ) -> Token {
        start(lookupKey, owner: Owner(uid: owner, connection: connection), allowsStale: allowsStale, consultingCache: consultingCache, completion: completion)
    }

    /// The same, for a caller that needs only the answer.
    func start(
        _ lookupKey: LookupKey, owner: uid_t? = nil, connection: UInt64 = 0, allowsStale: Bool = true, completion: @escaping Completion
    ) -> Token {
        start(lookupKey, owner: Owner(uid: owner, connection: connection), allowsStale: allowsStale, consultingCache: true) { result, _ in
            completion(result)
        }
    }

    private func start(
        _ lookupKey: LookupKey, owner: Owner, allowsStale: Bool, consultingCache: Bool, completion: @escaping AnsweredCompletion
    ) -> Token {
        var composedKey: ComposedAnswers.Key?
        if consultingCache, lookupKey.isComposedFromQuestions {
            let key = ComposedAnswers.Key(lookupKey)
            let now = MonotonicClock.milliseconds()
            if let value = state.withLockedValue({ state in state.cacheEnabled ? state.composed.answer(key, now: now, cache: &state.cache) : nil }) {
                cacheHits.add(1, ordering: .relaxed)
                completion(.success(value), .cache)
                return Token(op: nil, answeredSource: .cache)
            }
            composedKey = key
        }
        switch lookupKey.plan(resolver) {
        case .local(let result):
            completion(result, .local)
            return Token(op: nil, answeredSource: .local)
        case .questions(let recipe):
            // The first round's keys, hashed once: for the cache's shortcut and for asking.
            let keys = questionKeys(recipe.rounds, round: 0)
            var missed: (index: Int, staleKept: Bool)?
            if let composedKey, let cached = cachedOutcomes(keys) {
                switch cached {
                case .answered(let outcomes, let dependencies):
                    if let result = recipe.decide(outcomes) {
                        // Every question of the first round answered by the cache: no op to keep.
                        if case .success(let value) = result {
                            let now = MonotonicClock.milliseconds()
                            state.withLockedValue { $0.composed.store(composedKey, value, madeFrom: dependencies, now: now) }
                        }
                        cacheHits.add(1, ordering: .relaxed)
                        completion(result, .cache)
                        return Token(op: nil, answeredSource: .cache)
                    }
                case .missed(let index, let staleKept):
                    missed = (index, staleKept)
                case .refreshDue:
                    break
                }
            }
            let op = OpLookup(
                recipe: recipe, owner: owner, allowsStale: allowsStale, consultingCache: consultingCache, hasTimeout: lookupKey.timeout != nil,
                completion: completion)
            if let timeout = lookupKey.timeout { armDeadline(op, after: timeout) }
            op.state.withLock { op.begin(&$0, round: 0) }
            ask(round: 0, for: op, keys: keys, missed: missed)
            if consultingCache {
                // A hit: answered from the cache before `ask` returned.
                let hit = op.state.withLock { $0.done && $0.source == .cache }
                if hit { cacheHits.add(1, ordering: .relaxed) } else { cacheMisses.add(1, ordering: .relaxed) }
            }
            return Token(op: op, answeredSource: .cache)
        }
    }

    /// What the cache said about a round's questions under one lock: the cached path's
    /// shortcut past an ``OpLookup``.
    private enum CachedRound {
        /// Every question answered, none due for a refresh.
        case answered([QuestionOutcome], [ComposedAnswers.Dependency])
        /// Question `index`, the first the cache does not answer (`staleKept`: an expired
        /// entry of it is kept for serve-stale).
        case missed(index: Int, staleKept: Bool)
        /// A hit due for a refresh: ``ask(_:key:recipient:cacheMissed:)`` answers it and starts it.
        case refreshDue
    }

    /// Nil when the cache is off.
    private func cachedOutcomes(_ keys: RoundKeys) -> CachedRound? {
        let now = MonotonicClock.milliseconds()
        return state.withLockedValue { state -> CachedRound? in
            guard state.cacheEnabled else { return nil }
            var outcomes: [QuestionOutcome] = []
            var dependencies: [ComposedAnswers.Dependency] = []
            for index in 0..<keys.count {
                switch state.cache.answer(keys[index], now: now, recording: &dependencies) {
                case .hit(let outcome, refresh: false):
                    // Room made with the first hit: a cold lookup's miss allocates nothing here.
                    if outcomes.isEmpty { outcomes.reserveCapacity(keys.count) }
                    outcomes.append(outcome)
                case .hit(_, refresh: true):
                    return .refreshDue
                case .miss(let staleKept):
                    return .missed(index: index, staleKept: staleKept)
                }
            }
            return .answered(outcomes, dependencies)
        }
    }

    /// Asks one round's questions; each answer goes to the op, which may complete or ask the
    /// next round (a cache hit comes back before `ask` returns: a round answered from the
    /// cache goes on to the next inside this loop's call, at most one level per round).
    /// `missed`: the question the cache shortcut just found missing, not looked up again.
    private func ask(round: Int, for op: OpLookup, keys: RoundKeys? = nil, missed: (index: Int, staleKept: Bool)? = nil) {
        let keys = keys ?? questionKeys(op.recipe.rounds, round: round)
        for index in 0..<op.recipe.rounds.questionsPerRound {
            let question = op.recipe.rounds.question(round, index)
            let known = missed?.index == index ? missed?.staleKept : nil
            let token = ask(question, key: keys[index], recipient: .op(op, round: Int32(round), index: Int32(index)), cacheMissed: known)
            if !op.asked(round: round, index: index, token: token) { leave(token, owner: op.owner) }
        }
    }

    /// The keys of round `round`'s questions, in order. A round asks one name (its A and
    /// AAAA): the second key takes the first one's canonical name, route and hash, which
    /// spares canonicalizing and hashing the name again (~750 instructions a lookup).
    private func questionKeys(_ rounds: QuestionRounds, round: Int) -> RoundKeys {
        let first = questionKey(rounds.question(round, 0))
        return RoundKeys(first: first, second: rounds.questionsPerRound == 2 ? first.withType(rounds.question(round, 1).type) : nil)
    }

    /// The keys of one round's questions — one or two (``QuestionRounds``) — inline: an
    /// array of them was an allocation per lookup.
    private struct RoundKeys {
        let first: QuestionKey
        let second: QuestionKey?

        var count: Int { second == nil ? 1 : 2 }

        subscript(index: Int) -> QuestionKey { index == 0 ? first : second! }
    }

    /// An op's questions go to one channel, so that its A and AAAA ride the same connection.
    /// The op's address, less the bits its alignment keeps zero (not its `hashValue`: a
    /// SipHash per question, ~90 instructions, to pick one of a few channels).
    static func channelHint(for op: OpLookup) -> Int {
        Int(bitPattern: UInt(bitPattern: ObjectIdentifier(op)) >> 4)
    }

    func carryOut(_ step: OpLookup.Step, for op: OpLookup) {
        switch step {
        case .nothing: break
        case .complete(let result):
            if case .success(.stale) = result { staleAnswers.add(1, ordering: .relaxed) }
            op.completion(result, op.source)
            if op.hasTimeout { leftDeadline(op) }
        case .askNextRound(let round): ask(round: round, for: op)
        }
    }

    /// Answers the lookup with `error` (WSA_E_CANCELLED, ERROR_OPERATION_ABORTED,
    /// WSAETIMEDOUT) before returning and takes its waiters off their questions; false when
    /// it had been answered already.
    @discardableResult
    func cancel(_ token: Token, with error: ResolverError) -> Bool {
        guard let op = token.op else { return false }
        return finish(op, with: error)
    }

    @discardableResult
    func finish(_ op: OpLookup, with error: ResolverError) -> Bool {
        guard let (waiting, source) = op.finish() else { return false }
        op.completion(.failure(error), source)
        if op.hasTimeout { leftDeadline(op) }
        for question in waiting { leave(question, owner: op.owner) }
        return true
    }
}
