import NIOCore
import ResolverCore

/// The service's two timers, on its event loop (`timerLoop`), neither on the normal path:
///
/// - the share queue's **wait timer**: a lookup waiting in its owner's share queue waits no
///   longer than its own timeout (`timeout_ms`); then it leaves the queue unstarted and its
///   waiters are answered as if the upstream had not answered in time — stale where an
///   expired answer is kept and they allow it, else WSAETIMEDOUT. One task is armed for the
///   earliest of their deadlines (``WaitDeadlines``: O(log n) each), not one per lookup. One
///   that starts before then gets what is left of its timeout for the upstream, so it is
///   answered by its timeout counted from its start.
/// - serve-stale's **client response timer** (docs/cache.md): when a lookup started with
///   an expired entry still kept has no answer after `stale_answer_timeout_ms`, its waiters
///   that allow it are answered from that entry; the upstream lookup goes on (detached once
///   nobody waits) and refreshes the cache when it answers. One scheduled task per such
///   lookup, which finds nothing to do if the lookup has finished.
extension LookupService {
    func armWaitTimer(_ shared: SharedLookup, after timeout: Duration) {
        let deadline = MonotonicClock.milliseconds() &+ MonotonicClock.nanoseconds(timeout) / 1_000_000
        state.withLockedValue { state in
            // Started (or let past the share) since: no deadline in the queue.
            guard state.upstreamShare.isWaiting(shared) else { return }
            state.waitDeadlines.add(shared, at: deadline)
            shared.hasWaitDeadline = true
            shared.waitDeadline = deadline
            armWaitTimer(&state)
        }
    }

    /// Arms the one wait timer for the earliest deadline held, unless it is armed for that
    /// or earlier already.
    private func armWaitTimer(_ state: inout State) {
        guard let earliest = state.waitDeadlines.earliest else { return }
        if let armed = state.waitTimer, armed.at <= earliest { return }
        state.waitTimer?.task.cancel()
        let now = MonotonicClock.milliseconds()
        let delay = earliest > now ? earliest - now : 0
        let task = timerLoop.scheduleTask(in: .milliseconds(Int64(clamping: delay))) { [self] in waitTimerFired() }
        state.waitTimer = (earliest, task)
    }

    private func waitTimerFired() {
        let now = MonotonicClock.milliseconds()
        let expired = state.withLockedValue { state -> [(waiters: [SharedLookup.Waiter], stale: LookupValue?)] in
            state.waitTimer = nil
            let due = state.waitDeadlines.expired(at: now) { $0.hasWaitDeadline }
            let answers = due.map { shared -> (waiters: [SharedLookup.Waiter], stale: LookupValue?) in
                shared.hasWaitDeadline = false
                _ = state.upstreamShare.withdraw(shared)
                let waiters = state.finish(shared)
                return (waiters, state.cacheEnabled ? state.staleAnswer(shared.key, for: waiters, now: now) : nil)
            }
            armWaitTimer(&state)
            return answers
        }
        for lookup in expired { Self.answer(lookup.waiters, stale: lookup.stale, otherwise: .failure(.timedOut)) }
    }

    func armStaleTimer(_ shared: SharedLookup) {
        let delay = state.withLockedValue { $0.cache.settings.staleAnswerAfterMilliseconds }
        guard delay > 0 else { return }
        timerLoop.scheduleTask(in: .milliseconds(Int64(delay))) { [self] in answerStale(shared) }
    }

    private func answerStale(_ shared: SharedLookup) {
        let now = MonotonicClock.milliseconds()
        let (answered, stale, left) = state.withLockedValue { state -> ([SharedLookup.Waiter], LookupValue?, State.Left) in
            guard case .attached(let waiters, let upstream) = shared.phase, waiters.contains(where: \.allowsStale),
                  let stale = state.cache.staleAnswer(shared.key, now: now) else { return ([], nil, .nothing) }
            let answered = waiters.filter(\.allowsStale)
            state.staleAnswers += answered.count
            let staying = waiters.filter { !$0.allowsStale }
            shared.phase = .attached(waiters: staying, upstream: upstream)
            // Nobody waits any more: exactly as when the last waiter cancels.
            return (answered, stale, staying.isEmpty ? state.lastWaiterLeft(shared) : .nothing)
        }
        guard let stale else { return }
        for waiter in answered { waiter.completion(.success(stale)) }
        carryOut(left)
    }
}
