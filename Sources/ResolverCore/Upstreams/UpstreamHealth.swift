/// Whether one upstream is worth asking first: the state machine behind failover
/// (docs/reliability.md, "When upstreams fail").
///
/// An upstream is `up` until ``downAfterFailures`` failures in a row (a try that timed out,
/// a SERVFAIL or REFUSED, a socket error); then `down`: the channels ask it after every
/// healthy upstream, and the prober asks it directly, first one probe interval later, then
/// at doubling intervals up to ``maxBackoffFactor`` times the interval. Any answer from it
/// — to a lookup or to a probe — makes it `up` again at once.
///
/// It keeps no counters and knows no clock: callers pass the monotonic time in
/// nanoseconds and act on the returned ``Action``.
enum UpstreamHealth: Hashable, Sendable {
    case up(since: UInt64, consecutiveFailures: Int)
    case down(since: UInt64, consecutiveFailures: Int, nextProbeAt: UInt64, backoff: UInt64)

    /// What the caller must do after an event.
    enum Action: Equatable {
        case none
        /// The upstream went down: reorder the channels and wake the prober.
        case markedDown
        /// The upstream came back: reorder the channels.
        case markedUp
    }

    /// Failures in a row that take an upstream down. Two, not one: one lost datagram or one
    /// SERVFAIL for a broken zone says little about the server.
    static let downAfterFailures = 2
    /// The longest wait between probes, as a multiple of the probe interval.
    static let maxBackoffFactor: UInt64 = 8

    static func initial(now: UInt64) -> UpstreamHealth { .up(since: now, consecutiveFailures: 0) }

    var isUp: Bool {
        if case .up = self { return true }
        return false
    }

    var since: UInt64 {
        switch self {
        case .up(let since, _), .down(let since, _, _, _): since
        }
    }

    var consecutiveFailures: Int {
        switch self {
        case .up(_, let failures), .down(_, let failures, _, _): failures
        }
    }

    /// A lookup's try or a probe failed.
    mutating func failed(now: UInt64, probeInterval: UInt64) -> Action {
        switch self {
        case .up(let since, let failures):
            if failures + 1 >= Self.downAfterFailures {
                self = .down(since: now, consecutiveFailures: failures + 1, nextProbeAt: now &+ probeInterval, backoff: probeInterval)
                return .markedDown
            }
            self = .up(since: since, consecutiveFailures: failures + 1)
            return .none
        case .down(let since, let failures, let nextProbeAt, let backoff):
            self = .down(since: since, consecutiveFailures: failures + 1, nextProbeAt: nextProbeAt, backoff: backoff)
            return .none
        }
    }

    /// A probe failed: the next one waits twice as long (up to the cap).
    mutating func probeFailed(now: UInt64, probeInterval: UInt64) {
        guard case .down(let since, let failures, _, let backoff) = self else { return }
        let next = min(backoff &* 2, probeInterval &* Self.maxBackoffFactor)
        self = .down(since: since, consecutiveFailures: failures + 1, nextProbeAt: now &+ next, backoff: next)
    }

    /// The upstream answered (a lookup's try or a probe) with something other than a failure.
    mutating func answered(now: UInt64) -> Action {
        switch self {
        case .up(let since, let failures):
            if failures != 0 { self = .up(since: since, consecutiveFailures: 0) }
            return .none
        case .down:
            self = .up(since: now, consecutiveFailures: 0)
            return .markedUp
        }
    }

    /// When the next probe is due, for a down upstream.
    var nextProbeAt: UInt64? {
        if case .down(_, _, let at, _) = self { return at }
        return nil
    }

    /// A probe is being sent now: not due again until it has an outcome.
    mutating func probeStarted() {
        guard case .down(let since, let failures, _, let backoff) = self else { return }
        self = .down(since: since, consecutiveFailures: failures, nextProbeAt: .max, backoff: backoff)
    }
}
