import NIOCore
import ResolverCore

/// The service's two timers, on its event loop (`timerLoop`):
///
/// - the **deadline timer**: an op with a `timeout_ms` is answered at its own deadline —
///   from serve-stale where every question it still waits for has an expired answer kept and
///   it allows it, else WSAETIMEDOUT — while its questions go on for anyone else waiting on
///   them (the last waiter leaving detaches a question, docs/cache.md). One task is armed for
///   the earliest deadline (``WaitDeadlines``: O(log n) each), not one per op.
/// - serve-stale's **client response timer** (docs/cache.md): when a question asked with an
///   expired entry still kept has no answer after `stale_answer_timeout_ms`, its waiters that
///   allow it are answered from that entry; the question goes on (detached once nobody
///   waits) and refreshes the cache when it answers. One scheduled task per such question,
///   which finds nothing to do if it has finished.
extension LookupService {
    func armDeadline(_ op: OpLookup, after timeout: Duration) {
        let deadline = MonotonicClock.millisecondDeadline(after: timeout)
        state.withLockedValue { state in
            state.deadlines.add(op, at: deadline)
            op.holdsDeadline = true
            armDeadlineTimer(&state)
        }
    }

    /// An op with a deadline was answered: its entry is a leftover (swept in time).
    func leftDeadline(_ op: OpLookup) {
        state.withLockedValue { state in
            guard op.holdsDeadline else { return }
            op.holdsDeadline = false
            state.deadlines.left { $0.holdsDeadline }
        }
    }

    /// Arms the one deadline timer for the earliest deadline held, unless it is armed for
    /// that or earlier already.
    private func armDeadlineTimer(_ state: inout State) {
        guard let earliest = state.deadlines.earliest else { return }
        if let armed = state.deadlineTimer, armed.at <= earliest { return }
        state.deadlineTimer?.task.cancel()
        let now = MonotonicClock.milliseconds()
        let delay = earliest > now ? earliest - now : 0
        let task = timerLoop.scheduleTask(in: .milliseconds(Int64(clamping: delay))) { [self] in deadlineTimerFired() }
        state.deadlineTimer = (earliest, task)
    }

    private func deadlineTimerFired() {
        let now = MonotonicClock.milliseconds()
        let due = state.withLockedValue { state -> [OpLookup] in
            state.deadlineTimer = nil
            let due = state.deadlines.expired(at: now) { $0.holdsDeadline }
            for op in due { op.holdsDeadline = false }
            armDeadlineTimer(&state)
            return due
        }
        for op in due {
            answerStale(op, now: now)
            finish(op, with: .timedOut)  // false when serve-stale answered it
        }
    }

    /// Serve-stale at an op's deadline: each question it still waits for answered from its
    /// expired entry, when every one of them has one kept.
    private func answerStale(_ op: OpLookup, now: UInt64) {
        guard op.allowsStale else { return }
        let pending = op.pendingQuestions
        let keys = pending.map { questionKey($0.question) }
        let stale = state.withLockedValue { state -> [QuestionOutcome]? in
            guard state.cacheEnabled else { return nil }
            let answers = keys.compactMap { state.cache.staleAnswer($0, now: now) }
            guard !answers.isEmpty, answers.count == pending.count else { return nil }
            return answers
        }
        guard let stale else { return }
        for (question, outcome) in zip(pending, stale) {
            carryOut(op.answered(round: question.round, index: question.index, outcome: outcome, stale: true, source: .cache), for: op)
        }
        // Answered: it no longer waits where it did (in the share queue, or on a question in flight).
        for case let token? in pending.map(\.token) { leave(token, owner: op.owner) }
    }

    /// The client response timer of a question that waits in its owner's share queue under
    /// `ticket`: when it fires, the question is answered stale and leaves the queue if it is
    /// still there, or its question in flight is (the turn came meanwhile).
    func armStaleTimer(queued ticket: UInt64, _ recipient: SharedLookup.Recipient, key: QuestionKey) {
        let delay = state.withLockedValue { $0.cache.settings.staleAnswerAfterMilliseconds }
        guard delay > 0, recipient.allowsStale else { return }
        timerLoop.scheduleTask(in: .milliseconds(Int64(delay))) { [self] in answerStale(queued: ticket, recipient, key: key) }
    }

    private func answerStale(queued ticket: UInt64, _ recipient: SharedLookup.Recipient, key: QuestionKey) {
        let now = MonotonicClock.milliseconds()
        let stale = state.withLockedValue { state -> QuestionOutcome? in
            guard let stale = state.cache.staleAnswer(key, now: now), state.upstreamShare.withdraw(ticket, owner: recipient.owner) else { return nil }
            return stale
        }
        if let stale {
            deliver(stale, stale: true, source: .upstream, to: recipient)
        } else if let shared = recipient.waitingOn {
            answerStale(shared)
        }
    }

    func armStaleTimer(_ shared: SharedLookup) {
        let delay = state.withLockedValue { $0.cache.settings.staleAnswerAfterMilliseconds }
        guard delay > 0 else { return }
        timerLoop.scheduleTask(in: .milliseconds(Int64(delay))) { [self] in answerStale(shared) }
    }

    private func answerStale(_ shared: SharedLookup) {
        let now = MonotonicClock.milliseconds()
        let (answered, stale, left) = state.withLockedValue { state -> ([SharedLookup.Waiter], QuestionOutcome?, State.Left) in
            guard case .attached(let waiters, let upstream) = shared.phase, waiters.contains(where: \.allowsStale),
                  let stale = state.cache.staleAnswer(shared.key, now: now) else { return ([], nil, .nothing) }
            let answered = waiters.filter(\.allowsStale)
            let staying = waiters.filter { !$0.allowsStale }
            shared.phase = .attached(waiters: SharedLookup.Waiters(staying), upstream: upstream)
            // Nobody waits any more: exactly as when the last waiter cancels.
            return (answered, stale, staying.isEmpty ? state.lastWaiterLeft(shared) : .nothing)
        }
        guard let stale else { return }
        for waiter in answered { deliver(stale, stale: true, source: waiter.source, to: waiter.recipient) }
        carryOut(left)
    }
}
