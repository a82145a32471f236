/// Whether one upstream is worth asking first: the state machine behind failover
/// (docs/reliability.md, "When upstreams fail").
///
/// Only what says something about the *server* counts: a try that timed out, a socket
/// error, a REFUSED reply, or a probe with the daemon's own question (``UpstreamProber``)
/// that failed. A SERVFAIL to a client's lookup says something about one name (a broken
/// zone, an unreachable authority, or a name an attacker chose to fail), so it only makes
/// the upstream `checking`: the prober asks it the daemon's own question, and only that
/// probe's failure counts. At most one check per probe interval after a passed one, so
/// nobody can make the prober ask a healthy upstream more often than that.
///
///     up ──SERVFAIL (check not held off)──▶ checking ──probe answered──▶ up (next check ≥ 1 interval later)
///     up/checking ──failure (timeout, socket error, REFUSED, failed check)──▶ failures + 1
///     up/checking ──2nd failure in a row──▶ down ──probe answered / any answer──▶ up
///     down ──probe failed──▶ down, next probe after twice the wait (up to 8 intervals)
///
/// `checking` is up: the channels keep asking it first. It keeps no counters and knows no
/// clock: callers pass the monotonic time in nanoseconds and act on the returned ``Action``.
enum UpstreamHealth: Hashable, Sendable {
    /// Up; a SERVFAIL before `checkNotBefore` asks for no check.
    case up(since: UInt64, consecutiveFailures: Int, checkNotBefore: UInt64)
    /// Up, and a check probe is due at `checkAt` (`.max` while it is under way).
    case checking(since: UInt64, consecutiveFailures: Int, checkAt: UInt64)
    case down(since: UInt64, consecutiveFailures: Int, nextProbeAt: UInt64, backoff: UInt64)

    /// What the caller must do after an event.
    enum Action: Equatable {
        case none
        /// The upstream went down: reorder the channels and wake the prober.
        case markedDown
        /// The upstream came back: reorder the channels.
        case markedUp
        /// A check probe is due now: wake the prober (the order does not change).
        case checkDue
    }

    /// Failures in a row that take an upstream down. Two, not one: one lost datagram says
    /// little about the server.
    static let downAfterFailures = 2
    /// The longest wait between probes, as a multiple of the probe interval.
    static let maxBackoffFactor: UInt64 = 8

    static func initial(now: UInt64) -> UpstreamHealth { .up(since: now, consecutiveFailures: 0, checkNotBefore: 0) }

    var isUp: Bool {
        if case .down = self { return false }
        return true
    }

    var since: UInt64 {
        switch self {
        case .up(let since, _, _), .checking(let since, _, _), .down(let since, _, _, _): since
        }
    }

    var consecutiveFailures: Int {
        switch self {
        case .up(_, let failures, _), .checking(_, let failures, _), .down(_, let failures, _, _): failures
        }
    }

    /// Something that says the server fails: a try timed out, a socket error, a REFUSED.
    mutating func failed(now: UInt64, probeInterval: UInt64) -> Action {
        switch self {
        case .up(let since, let failures, _), .checking(let since, let failures, _):
            if failures + 1 >= Self.downAfterFailures {
                self = .down(since: now, consecutiveFailures: failures + 1, nextProbeAt: now &+ probeInterval, backoff: probeInterval)
                return .markedDown
            }
            if case .checking(_, _, let checkAt) = self {
                self = .checking(since: since, consecutiveFailures: failures + 1, checkAt: checkAt)
            } else {
                self = .up(since: since, consecutiveFailures: failures + 1, checkNotBefore: now)
            }
            return .none
        case .down(let since, let failures, let nextProbeAt, let backoff):
            self = .down(since: since, consecutiveFailures: failures + 1, nextProbeAt: nextProbeAt, backoff: backoff)
            return .none
        }
    }

    /// A client's lookup got SERVFAIL: not a failure of the server by itself; asks for a
    /// check probe unless one is under way or held off.
    mutating func serverFailed(now: UInt64) -> Action {
        guard case .up(let since, let failures, let checkNotBefore) = self, now >= checkNotBefore else { return .none }
        self = .checking(since: since, consecutiveFailures: failures, checkAt: now)
        return .checkDue
    }

    /// The upstream answered a lookup's try (neither SERVFAIL nor REFUSED).
    mutating func answered(now: UInt64) -> Action {
        switch self {
        case .up(let since, let failures, let checkNotBefore):
            if failures != 0 { self = .up(since: since, consecutiveFailures: 0, checkNotBefore: checkNotBefore) }
            return .none
        case .checking(let since, let failures, let checkAt):
            // The check still runs: another name's answer does not clear a SERVFAIL's doubt.
            if failures != 0 { self = .checking(since: since, consecutiveFailures: 0, checkAt: checkAt) }
            return .none
        case .down:
            self = .up(since: now, consecutiveFailures: 0, checkNotBefore: now)
            return .markedUp
        }
    }

    /// A probe (of a down upstream, or a check) got NOERROR or NXDOMAIN for the daemon's own
    /// question. After a check, the next one waits at least one probe interval.
    mutating func probeAnswered(now: UInt64, probeInterval: UInt64) -> Action {
        switch self {
        case .up:
            return .none
        case .checking(let since, _, _):
            self = .up(since: since, consecutiveFailures: 0, checkNotBefore: now &+ probeInterval)
            return .none
        case .down:
            self = .up(since: now, consecutiveFailures: 0, checkNotBefore: now &+ probeInterval)
            return .markedUp
        }
    }

    /// A probe got no reply in time, or a reply that is not NOERROR/NXDOMAIN. A down
    /// upstream's next probe waits twice as long (up to the cap); a failed check is a
    /// failure of the server, and the next SERVFAIL may check again at once.
    mutating func probeFailed(now: UInt64, probeInterval: UInt64) -> Action {
        switch self {
        case .up:
            return .none
        case .checking(let since, let failures, _):
            self = .up(since: since, consecutiveFailures: failures, checkNotBefore: now)
            return failed(now: now, probeInterval: probeInterval)
        case .down(let since, let failures, _, let backoff):
            let next = min(backoff &* 2, probeInterval &* Self.maxBackoffFactor)
            self = .down(since: since, consecutiveFailures: failures + 1, nextProbeAt: now &+ next, backoff: next)
            return .none
        }
    }

    /// When the next probe is due: a down upstream's, or a check's.
    var nextProbeAt: UInt64? {
        switch self {
        case .up: nil
        case .checking(_, _, let at), .down(_, _, let at, _): at
        }
    }

    /// A probe is being sent now: not due again until it has an outcome.
    mutating func probeStarted() {
        switch self {
        case .up: break
        case .checking(let since, let failures, _):
            self = .checking(since: since, consecutiveFailures: failures, checkAt: .max)
        case .down(let since, let failures, _, let backoff):
            self = .down(since: since, consecutiveFailures: failures, nextProbeAt: .max, backoff: backoff)
        }
    }
}
