import ResolvdProtocol
import ResolverCore

/// One front end's request in flight — a getaddrinfo, a gethostbyaddr, a query … — made of
/// the DNS questions of its ``LookupRecipe``, asked a round at a time through the
/// ``LookupService`` and composed into one answer.
///
/// It completes exactly once: with the answer its recipe composes, or with the error of a
/// cancel, a close or its own deadline (`timeout_ms` belongs to the op, not to the
/// questions: other ops waiting on the same questions go on). Its state has its own lock,
/// taken only for a moment and never while calling out — the service, the completion — so
/// that a question answered before `ask` returns (from the cache) may come straight back in.
///
/// It does not ask, cache or time anything itself: ``LookupService+Ops`` does.
/// `@unchecked Sendable`: `holdsDeadline` is read and written only under the service's lock.
final class OpLookup: @unchecked Sendable {
    struct State {
        /// Answered (or being answered): everything after is dropped.
        var done = false
        /// Bit `i`: the current round's question `i` has answered. Kept beside `done`, in the
        /// padding before `round`: a waiting lookup's state grows by nothing (row 7d).
        var answered: UInt8 = 0
        var round = 0
        /// The current round's waiters, nil where the question has answered.
        var tokens = RoundTokens()
        /// The current round's outcomes so far, in question order; empty until the first
        /// answer (a waiting lookup does not hold room for them: a `QuestionOutcome` is ~120
        /// bytes, and 10,000 lookups may wait). Complete, it is what the recipe decides on:
        /// no array of optionals to unwrap into a second one.
        var outcomes: [QuestionOutcome] = []
        var remaining = 0
        /// A round had the name but no record of the type (c-ares' ENODATA over ENOTFOUND).
        var sawNoData = false
        /// An outcome came from serve-stale: the answer is marked stale.
        var stale = false
        /// The most costly path a question of it took, for `monitor`.
        var source = LookupSource.cache

        func hasAnswered(_ index: Int) -> Bool { answered & 1 << index != 0 }

        /// Keeps question `index`'s outcome in its place: a round has at most two questions
        /// (``QuestionRounds``), so the first question's goes before any other's — swapped
        /// there when it comes second (an `insert(at: 0)` went through `replaceSubrange`).
        mutating func keep(_ outcome: QuestionOutcome, index: Int, of count: Int) {
            if outcomes.isEmpty { outcomes.reserveCapacity(count) }
            outcomes.append(outcome)
            if index == 0, outcomes.count == 2 { outcomes.swapAt(0, 1) }
            answered |= 1 << index
        }
    }

    let recipe: LookupRecipe<LookupValue>
    let owner: ShareOwner
    let allowsStale: Bool
    let consultingCache: Bool
    /// It has a `timeout_ms` (and so, until answered, a deadline in the service's timer).
    let hasTimeout: Bool
    let completion: LookupService.AnsweredCompletion
    /// Inline in the object (a futex word and an atomic): a box would be one more allocation per
    /// lookup (docs/performance.md, row 7d).
    let state = InlineMutex(State())
    /// Its deadline is in the service's ``WaitDeadlines`` (guarded by the service's lock).
    var holdsDeadline = false

    init(
        recipe: LookupRecipe<LookupValue>, owner: ShareOwner, allowsStale: Bool, consultingCache: Bool, hasTimeout: Bool,
        completion: @escaping LookupService.AnsweredCompletion
    ) {
        self.recipe = recipe
        self.owner = owner
        self.allowsStale = allowsStale
        self.consultingCache = consultingCache
        self.hasTimeout = hasTimeout
        self.completion = completion
    }

    var isDone: Bool { state.withLock(\.done) }

    /// What a question's answer does to the op.
    enum Step {
        case nothing
        case askNextRound(round: Int)
        case complete(Result<LookupValue, ResolverError>)
    }

    /// Question `index` of `round` came back, by `source`.
    func answered(round: Int, index: Int, outcome: QuestionOutcome, stale: Bool, source: LookupSource) -> Step {
        state.withLock { state in
            guard !state.done, state.round == round, !state.hasAnswered(index) else { return .nothing }
            if source.rawValue > state.source.rawValue { state.source = source }
            state.keep(outcome, index: index, of: recipe.rounds.questionsPerRound)
            state.tokens[index] = nil
            state.stale = state.stale || stale
            state.remaining -= 1
            guard state.remaining == 0 else { return .nothing }
            let outcomes = state.outcomes
            if let result = recipe.decide(outcomes) {
                state.done = true
                return .complete(state.stale ? result.map(LookupValue.stale) : result)
            }
            if outcomes.contains(where: { if case .noData = $0 { true } else { false } }) { state.sawNoData = true }
            let next = round + 1
            guard next < recipe.rounds.count else {
                state.done = true
                return .complete(.failure(recipe.exhausted(state.sawNoData)))
            }
            begin(&state, round: next)
            return .askNextRound(round: next)
        }
    }

    /// Starts `round`: room for its questions' waiters; its outcomes come with the first answer.
    func begin(_ state: inout State, round: Int) {
        state.round = round
        state.tokens = RoundTokens()
        state.outcomes = []
        state.answered = 0
        state.remaining = recipe.rounds.questionsPerRound
    }

    /// Keeps the waiter of question `index` of `round` (for a cancel), unless it has answered
    /// already or its turn in the share queue came meanwhile (``turnCame(round:index:_:)``
    /// kept a newer token); notes the path it took. False when the op was answered meanwhile
    /// (a cancel, its deadline): the caller takes the waiter off its question.
    func asked(round: Int, index: Int, token: LookupService.QuestionToken) -> Bool {
        state.withLock { state in
            if token.source.rawValue > state.source.rawValue { state.source = token.source }
            if state.done { return false }
            if state.round == round, !state.hasAnswered(index), state.tokens[index] == nil { state.tokens[index] = token }
            return true
        }
    }

    /// Question `index` of `round` waited in the share queue and its turn came: when the op
    /// still waits for it, `place` makes its new token (under the service's lock), which is
    /// kept; false when the op no longer waits for it.
    func turnCame(round: Int, index: Int, _ place: () -> LookupService.QuestionToken) -> Bool {
        state.withLock { state in
            guard !state.done, state.round == round, !state.hasAnswered(index) else { return false }
            let token = place()
            if token.source.rawValue > state.source.rawValue { state.source = token.source }
            state.tokens[index] = token
            return true
        }
    }

    /// Where question `index` of `round` waits, if the op still waits for it.
    func token(round: Int, index: Int) -> LookupService.QuestionToken? {
        state.withLock { state in state.done || state.round != round ? nil : state.tokens[index] }
    }

    /// Marks it answered; the waiters still to take off their questions and the path it took
    /// so far, or nil when it was answered already.
    func finish() -> (waiting: [LookupService.QuestionToken], source: LookupSource)? {
        state.withLock { state in
            guard !state.done else { return nil }
            state.done = true
            return (state.tokens.all, state.source)
        }
    }

    var source: LookupSource { state.withLock(\.source) }

    /// The questions it still waits for and where (serve-stale at its deadline).
    var pendingQuestions: [(round: Int, index: Int, question: DNSQuestion, token: LookupService.QuestionToken?)] {
        state.withLock { state in
            guard !state.done else { return [] }
            return (0..<recipe.rounds.questionsPerRound).compactMap { index in
                state.hasAnswered(index) ? nil : (state.round, index, recipe.rounds.question(state.round, index), state.tokens[index])
            }
        }
    }
}

extension OpLookup {
    /// A round's waiters, kept inline: a round asks at most two questions
    /// (``QuestionRounds``), and an array of them was an allocation per waiting lookup
    /// (docs/performance.md, row 7d).
    struct RoundTokens {
        private var first: LookupService.QuestionToken?
        private var second: LookupService.QuestionToken?

        subscript(index: Int) -> LookupService.QuestionToken? {
            get { index == 0 ? first : second }
            set {
                if index == 0 { first = newValue } else { second = newValue }
            }
        }

        /// The waiters still held, in order.
        var all: [LookupService.QuestionToken] { [first, second].compactMap { $0 } }
    }
}
