import ResolverCore

/// A DNS question asked on its own rather than as part of an op — the DNS stub's: its
/// completion, and where it waits (a question in flight, or its owner's share queue) so that
/// a cancel can take it off.
///
/// It is answered at most once: by its question's outcome, or not at all once cancelled
/// (its asker has dropped it). It does not ask, time or cache anything:
/// ``LookupService/ask(_:owner:allowsStale:consultingCache:completion:)`` does.
final class LoneQuestion: Sendable {
    struct State {
        var done = false
        /// Where it waits; nil until `ask` has placed it (or once answered).
        var token: LookupService.QuestionToken?
    }

    let question: DNSQuestion
    let owner: ShareOwner
    let allowsStale: Bool
    let consultingCache: Bool
    let completion: LookupService.QuestionCompletion
    let state = InlineMutex(State())

    init(_ question: DNSQuestion, owner: ShareOwner, allowsStale: Bool, consultingCache: Bool, completion: @escaping LookupService.QuestionCompletion) {
        self.question = question
        self.owner = owner
        self.allowsStale = allowsStale
        self.consultingCache = consultingCache
        self.completion = completion
    }

    /// Its outcome: the completion runs, unless it was answered or cancelled already.
    func answer(_ outcome: QuestionOutcome, stale: Bool, source: LookupSource) {
        let first = state.withLock { state -> Bool in
            guard !state.done else { return false }
            state.done = true
            state.token = nil
            return true
        }
        if first { completion(outcome, stale, source) }
    }

    /// Keeps where `ask` placed it, unless it was answered, cancelled or its turn came meanwhile;
    /// false when it is done (the caller takes it off again).
    func asked(_ token: LookupService.QuestionToken) -> Bool {
        state.withLock { state in
            if state.done { return false }
            if state.token == nil { state.token = token }
            return true
        }
    }

    /// Cancelled: it will not be answered; where it waits, for the caller to take it off
    /// (nil when it was answered already).
    func cancel() -> LookupService.QuestionToken? {
        state.withLock { state in
            guard !state.done else { return nil }
            state.done = true
            defer { state.token = nil }
            return state.token
        }
    }
}
