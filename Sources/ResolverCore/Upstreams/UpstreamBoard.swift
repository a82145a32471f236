import Histogram
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One resolver's record of its upstreams: what each ``UpstreamTraffic`` saw on the wire,
/// each upstream's ``UpstreamHealth``, and the order the channels should ask them in.
///
/// Shared by every channel thread and the prober. Counters are atomics and a reply from a
/// healthy upstream touches no lock but its round-trip histogram's (this is on every cold
/// lookup's path); health changes, and so the order, go under one lock. When the order
/// changes, ``orderGeneration`` moves on and each ``ChannelLoop`` swaps in a channel with
/// the new order (c-ares 1.18 cannot change the servers of a channel with queries in flight).
///
/// It does not send anything; ``UpstreamProber`` asks the down upstreams.
final class UpstreamBoard: Sendable {
    /// One upstream's counters, each touched with one atomic add.
    final class Counters: Sendable {
        let queries = Atomic<Int>(0)
        let answers = Atomic<Int>(0)
        let timeouts = Atomic<Int>(0)
        let serverFailures = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        let truncated = Atomic<Int>(0)
        let errors = Atomic<Int>(0)
        let probes = Atomic<Int>(0)
        /// Up with no failure since its last answer: an answer then changes nothing.
        let healthy = Atomic<Bool>(true)
        /// Round-trip times in microseconds (1 µs … 1 hour, 2 significant digits).
        let roundTrip = NIOLockedValueBox(Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two))
    }

    struct State {
        var health: [UpstreamHealth]
        /// Configured indexes, up ones first, each group in configured order.
        var order: [Int]
    }

    let servers: [DNSServerAddress]
    let counters: [Counters]
    let probeIntervalNanoseconds: UInt64
    /// Moves on each time ``order`` changes.
    let orderGeneration = Atomic<Int>(0)
    private let state: NIOLockedValueBox<State>
    /// Wakes the prober when an upstream goes down; set once by the prober.
    private let wakeProber = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)

    init(servers: [DNSServerAddress], probeInterval: Duration) {
        self.servers = servers
        self.counters = servers.map { _ in Counters() }
        self.probeIntervalNanoseconds = MonotonicClock.nanoseconds(probeInterval)
        let now = MonotonicClock.now()
        self.state = NIOLockedValueBox(State(health: servers.map { _ in .initial(now: now) }, order: Array(servers.indices)))
    }

    func setProberWake(_ wake: @escaping @Sendable () -> Void) {
        wakeProber.withLockedValue { $0 = wake }
    }

    /// The order the channels should ask the upstreams in, and its generation.
    var order: (generation: Int, indexes: [Int]) {
        state.withLockedValue { state in (orderGeneration.load(ordering: .acquiring), state.order) }
    }

    // MARK: - Events from the wire

    func sent(to upstream: Int) {
        counters[upstream].queries.add(1, ordering: .relaxed)
    }

    /// A reply from `upstream`: `rcode` and TC bit from its header, `roundTrip` when it
    /// was matched to the query it answers (sent to this upstream and not answered yet).
    /// Only a matched reply counts for its health: a stray or forged one says nothing
    /// about the server. REFUSED and a `malformed` reply (``DNSMessageShape``) are failures
    /// of the server; SERVFAIL is one name's and only asks for a check with the daemon's own
    /// question (``UpstreamHealth``).
    func answered(by upstream: Int, rcode: UInt8, truncated: Bool, malformed: Bool = false, roundTripNanoseconds: UInt64?, now: UInt64) {
        let counters = self.counters[upstream]
        counters.answers.add(1, ordering: .relaxed)
        if truncated { counters.truncated.add(1, ordering: .relaxed) }
        if rcode == Self.serverFailure { counters.serverFailures.add(1, ordering: .relaxed) }
        if rcode == Self.refused { counters.refused.add(1, ordering: .relaxed) }
        guard let roundTripNanoseconds else { return }
        counters.roundTrip.withLockedValue { _ = $0.record(max(1, min(roundTripNanoseconds / 1000, 3_600_000_000))) }
        // The common case: a healthy upstream answered; nothing to decide.
        if rcode != Self.serverFailure && rcode != Self.refused && !malformed && counters.healthy.load(ordering: .relaxed) { return }
        let action: UpstreamHealth.Action = state.withLockedValue { state in
            if malformed { return state.health[upstream].failed(now: now, probeInterval: probeIntervalNanoseconds) }
            switch rcode {
            case Self.refused: return state.health[upstream].failed(now: now, probeInterval: probeIntervalNanoseconds)
            case Self.serverFailure: return state.health[upstream].serverFailed(now: now)
            default: return state.health[upstream].answered(now: now)
            }
        }
        apply(action, to: upstream)
    }

    static let serverFailure: UInt8 = 2
    static let refused: UInt8 = 5

    /// A try to `upstream` got no reply before c-ares asked again or gave up.
    func timedOut(_ upstream: Int, now: UInt64) {
        counters[upstream].timeouts.add(1, ordering: .relaxed)
        failed(upstream, now: now)
    }

    /// A socket to `upstream` reported an error (ICMP port unreachable, reset, refused).
    func socketError(_ upstream: Int, now: UInt64) {
        counters[upstream].errors.add(1, ordering: .relaxed)
        failed(upstream, now: now)
    }

    private func failed(_ upstream: Int, now: UInt64) {
        let action = state.withLockedValue { state in
            state.health[upstream].failed(now: now, probeInterval: probeIntervalNanoseconds)
        }
        apply(action, to: upstream)
    }

    // MARK: - Probes

    /// Upstreams whose probe is due (down ones, and up ones to check after a SERVFAIL), now
    /// marked as being probed, and when the next probe is due after these (`.max` for none).
    func takeDueProbes(now: UInt64) -> (due: [Int], nextAt: UInt64) {
        state.withLockedValue { state in
            var due: [Int] = []
            var nextAt = UInt64.max
            for index in state.health.indices {
                guard let at = state.health[index].nextProbeAt else { continue }
                if at <= now {
                    state.health[index].probeStarted()
                    counters[index].probes.add(1, ordering: .relaxed)
                    due.append(index)
                } else {
                    nextAt = min(nextAt, at)
                }
            }
            return (due, nextAt)
        }
    }

    /// The outcome of a probe with the daemon's own question: the reply's rcode, or nil for
    /// none in time. NOERROR and NXDOMAIN are answers; any other rcode is a failure.
    func probeFinished(_ upstream: Int, rcode: UInt8?) {
        let now = MonotonicClock.now()
        let counters = self.counters[upstream]
        counters.queries.add(1, ordering: .relaxed)
        if let rcode {
            counters.answers.add(1, ordering: .relaxed)
            if rcode == Self.serverFailure { counters.serverFailures.add(1, ordering: .relaxed) }
            if rcode == Self.refused { counters.refused.add(1, ordering: .relaxed) }
        } else {
            counters.timeouts.add(1, ordering: .relaxed)
        }
        let action: UpstreamHealth.Action = state.withLockedValue { state in
            if rcode == 0 || rcode == 3 { return state.health[upstream].probeAnswered(now: now, probeInterval: probeIntervalNanoseconds) }
            return state.health[upstream].probeFailed(now: now, probeInterval: probeIntervalNanoseconds)
        }
        apply(action, to: upstream)
    }

    // MARK: - Order

    private func apply(_ action: UpstreamHealth.Action, to upstream: Int) {
        state.withLockedValue { state in
            counters[upstream].healthy.store(
                state.health[upstream].isUp && state.health[upstream].consecutiveFailures == 0, ordering: .relaxed)
            guard action == .markedDown || action == .markedUp else { return }
            let up = state.health.indices.filter { state.health[$0].isUp }
            let down = state.health.indices.filter { !state.health[$0].isUp }
            let order = up + down
            if order != state.order {
                state.order = order
                orderGeneration.add(1, ordering: .releasing)
            }
        }
        if action == .markedDown || action == .checkDue, let wake = wakeProber.withLockedValue({ $0 }) { wake() }
    }

    // MARK: - Snapshot

    /// Every upstream, in configured order.
    var statuses: [UpstreamStatus] {
        let nowMonotonic = MonotonicClock.now()
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        let wallMilliseconds = Int(wall.tv_sec) * 1000 + Int(wall.tv_nsec) / 1_000_000
        let health = state.withLockedValue { $0.health }
        return servers.indices.map { index in
            let counters = self.counters[index]
            let (p50, p99) = counters.roundTrip.withLockedValue { histogram -> (Int, Int) in
                guard histogram.totalCount > 0 else { return (0, 0) }
                return (Int(histogram.valueAtPercentile(50)), Int(histogram.valueAtPercentile(99)))
            }
            return UpstreamStatus(
                address: servers[index].description, up: health[index].isUp,
                sinceUnixMilliseconds: wallMilliseconds - Int((nowMonotonic &- health[index].since) / 1_000_000),
                consecutiveFailures: health[index].consecutiveFailures,
                queries: counters.queries.load(ordering: .relaxed), answers: counters.answers.load(ordering: .relaxed),
                timeouts: counters.timeouts.load(ordering: .relaxed), serverFailures: counters.serverFailures.load(ordering: .relaxed),
                refused: counters.refused.load(ordering: .relaxed), truncated: counters.truncated.load(ordering: .relaxed),
                errors: counters.errors.load(ordering: .relaxed), probes: counters.probes.load(ordering: .relaxed),
                roundTripP50Microseconds: p50, roundTripP99Microseconds: p99)
        }
    }
}
