import Histogram
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One resolver's record of its upstreams: what each ``UpstreamTraffic`` saw on the wire,
/// each upstream's ``UpstreamHealth``, and the order the channels should ask them in.
///
/// Shared by every channel thread and the prober; everything mutable is behind one lock,
/// taken once per datagram (uncontended in the common case). When the order changes,
/// ``orderGeneration`` moves on and each ``ChannelLoop`` swaps in a channel with the new
/// order (c-ares 1.18 cannot change the servers of a channel with queries in flight).
///
/// It does not send anything; ``UpstreamProber`` asks the down upstreams.
final class UpstreamBoard: Sendable {
    struct Record {
        var health: UpstreamHealth
        var queries = 0
        var answers = 0
        var timeouts = 0
        var serverFailures = 0
        var refused = 0
        var truncated = 0
        var errors = 0
        var probes = 0
        /// Round-trip times in microseconds (1 µs … 1 hour, 2 significant digits).
        var roundTrip = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)
    }

    struct State {
        var records: [Record]
        /// Configured indexes, up ones first, each group in configured order.
        var order: [Int]
        /// A query (wire format, id to be replaced) that some upstream answered, for probes.
        var probeQuery: [UInt8]?
    }

    let servers: [DNSServerAddress]
    let probeIntervalNanoseconds: UInt64
    /// Moves on each time ``order`` changes.
    let orderGeneration = Atomic<Int>(0)
    /// Whether the channels should keep a copy of each query for the prober: until one
    /// query has been answered, and while any upstream is down.
    let collectsProbeQueries = Atomic<Bool>(true)
    private let state: NIOLockedValueBox<State>
    /// Wakes the prober when an upstream goes down; set once by the prober.
    private let wakeProber = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)

    init(servers: [DNSServerAddress], probeInterval: Duration) {
        self.servers = servers
        let (seconds, attoseconds) = probeInterval.components
        self.probeIntervalNanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
        let now = MonotonicClock.now()
        self.state = NIOLockedValueBox(State(
            records: servers.map { _ in Record(health: .initial(now: now)) }, order: Array(servers.indices)))
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
        state.withLockedValue { $0.records[upstream].queries += 1 }
    }

    /// A reply from `upstream`: `rcode` and TC bit from its header, `roundTrip` when it
    /// was matched to the query it answers.
    /// Only a `matched` reply (to a query sent to this upstream and not answered yet) counts
    /// for its health: a stray or forged reply says nothing about the server.
    func answered(by upstream: Int, rcode: UInt8, truncated: Bool, matched: Bool, roundTripNanoseconds: UInt64?, query: [UInt8]?) {
        let now = MonotonicClock.now()
        let action: UpstreamHealth.Action = state.withLockedValue { state in
            state.records[upstream].answers += 1
            if let roundTripNanoseconds {
                _ = state.records[upstream].roundTrip.record(max(1, min(roundTripNanoseconds / 1000, 3_600_000_000)))
            }
            if truncated { state.records[upstream].truncated += 1 }
            guard matched else { return .none }
            switch rcode {
            case 2:
                state.records[upstream].serverFailures += 1
                return state.records[upstream].health.failed(now: now, probeInterval: probeIntervalNanoseconds)
            case 5:
                state.records[upstream].refused += 1
                return state.records[upstream].health.failed(now: now, probeInterval: probeIntervalNanoseconds)
            default:
                if let query, rcode == 0 || rcode == 3 {
                    state.probeQuery = query
                    if state.records.allSatisfy({ $0.health.isUp }) { collectsProbeQueries.store(false, ordering: .relaxed) }
                }
                return state.records[upstream].health.answered(now: now)
            }
        }
        apply(action)
    }

    /// A try to `upstream` got no reply before c-ares asked again or gave up.
    func timedOut(_ upstream: Int) {
        failed(upstream) { $0.timeouts += 1 }
    }

    /// A socket to `upstream` reported an error (ICMP port unreachable, reset, refused).
    func socketError(_ upstream: Int) {
        failed(upstream) { $0.errors += 1 }
    }

    private func failed(_ upstream: Int, count: (inout Record) -> Void) {
        let now = MonotonicClock.now()
        let action = state.withLockedValue { state in
            count(&state.records[upstream])
            return state.records[upstream].health.failed(now: now, probeInterval: probeIntervalNanoseconds)
        }
        apply(action)
    }

    // MARK: - Probes

    /// Down upstreams whose probe is due (now marked as being probed), the query to probe
    /// with, and when the next probe is due after these (`.max` for none).
    func takeDueProbes(now: UInt64) -> (due: [Int], query: [UInt8]?, nextAt: UInt64) {
        state.withLockedValue { state in
            var due: [Int] = []
            var nextAt = UInt64.max
            for index in state.records.indices {
                guard let at = state.records[index].health.nextProbeAt else { continue }
                if at <= now {
                    state.records[index].health.probeStarted()
                    state.records[index].probes += 1
                    due.append(index)
                } else {
                    nextAt = min(nextAt, at)
                }
            }
            return (due, state.probeQuery, nextAt)
        }
    }

    /// The outcome of a probe: the reply's rcode, or nil for none in time.
    func probeFinished(_ upstream: Int, rcode: UInt8?) {
        let now = MonotonicClock.now()
        let action: UpstreamHealth.Action = state.withLockedValue { state in
            state.records[upstream].queries += 1
            guard let rcode else {
                state.records[upstream].timeouts += 1
                state.records[upstream].health.probeFailed(now: now, probeInterval: probeIntervalNanoseconds)
                return .none
            }
            state.records[upstream].answers += 1
            if rcode == 2 || rcode == 5 {
                if rcode == 2 { state.records[upstream].serverFailures += 1 } else { state.records[upstream].refused += 1 }
                state.records[upstream].health.probeFailed(now: now, probeInterval: probeIntervalNanoseconds)
                return .none
            }
            return state.records[upstream].health.answered(now: now)
        }
        apply(action)
    }

    // MARK: - Order

    private func apply(_ action: UpstreamHealth.Action) {
        guard action != .none else { return }
        state.withLockedValue { state in
            let up = state.records.indices.filter { state.records[$0].health.isUp }
            let down = state.records.indices.filter { !state.records[$0].health.isUp }
            collectsProbeQueries.store(!down.isEmpty || state.probeQuery == nil, ordering: .relaxed)
            let order = up + down
            if order != state.order {
                state.order = order
                orderGeneration.add(1, ordering: .releasing)
            }
        }
        if action == .markedDown, let wake = wakeProber.withLockedValue({ $0 }) { wake() }
    }

    // MARK: - Snapshot

    /// Every upstream, in configured order.
    var statuses: [UpstreamStatus] {
        let nowMonotonic = MonotonicClock.now()
        var wall = timespec()
        clock_gettime(CLOCK_REALTIME, &wall)
        let wallMilliseconds = Int(wall.tv_sec) * 1000 + Int(wall.tv_nsec) / 1_000_000
        return state.withLockedValue { state in
            state.records.indices.map { index in
                let record = state.records[index]
                let agoMilliseconds = Int((nowMonotonic &- record.health.since) / 1_000_000)
                let hasRoundTrip = record.roundTrip.totalCount > 0
                return UpstreamStatus(
                    address: servers[index].description, up: record.health.isUp,
                    sinceUnixMilliseconds: wallMilliseconds - agoMilliseconds,
                    consecutiveFailures: record.health.consecutiveFailures,
                    queries: record.queries, answers: record.answers, timeouts: record.timeouts,
                    serverFailures: record.serverFailures, refused: record.refused, truncated: record.truncated,
                    errors: record.errors, probes: record.probes,
                    roundTripP50Microseconds: hasRoundTrip ? Int(record.roundTrip.valueAtPercentile(50)) : 0,
                    roundTripP99Microseconds: hasRoundTrip ? Int(record.roundTrip.valueAtPercentile(99)) : 0)
            }
        }
    }
}
