import NIOConcurrencyHelpers
import ResolvdProtocol
import Synchronization

/// The daemon's counters, shared by every connection: plain relaxed atomics, because
/// `stats` is a snapshot for people and never a synchronisation point.
public final class ServerStats: Sendable {
    let inFlight = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let lookups = Atomic<Int>(0)
    /// Of `lookups`, those that came over Varlink (the rest came over protocol v1).
    let varlinkLookups = Atomic<Int>(0)
    /// Of `lookups`, the DNS stub listener's questions.
    let dnsLookups = Atomic<Int>(0)
    let completed = Atomic<Int>(0)
    let cancelled = Atomic<Int>(0)
    let aborted = Atomic<Int>(0)
    let timedOut = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let protocolErrors = Atomic<Int>(0)
    let rejected = Atomic<Int>(0)
    /// Connections refused by `max_connections`, its per-uid share or the admins' slots.
    let connectionsRefused = Atomic<Int>(0)
    let reloads = Atomic<Int>(0)
    /// Lookup latency from request to reply, in microseconds.
    let latency = NIOLockedValueBox(LatencyRecord())

    public init() {}

    func recordLatency(microseconds: UInt64) {
        latency.withLockedValue { $0.record(microseconds: microseconds) }
    }

    /// p50, p90, p99, p999 in microseconds (0 before the first lookup).
    var latencyPercentiles: StatsResult.Latency {
        latency.withLockedValue { record in
            let histogram = record.histogram
            guard histogram.totalCount > 0 else { return StatsResult.Latency() }
            func at(_ percentile: Double) -> Int { Int(histogram.valueAtPercentile(percentile)) }
            return StatsResult.Latency(p50: at(50), p90: at(90), p99: at(99), p999: at(99.9))
        }
    }

    /// Counts a finished lookup by how it ended. `completed` counts every lookup that got
    /// its one reply, whatever the outcome.
    func recordOutcome(_ code: ResultCodeValue) {
        completed.add(1, ordering: .relaxed)
        inFlight.subtract(1, ordering: .relaxed)
        switch LookupEnding(code) {
        case .answered: break
        case .cancelled: cancelled.add(1, ordering: .relaxed)
        case .aborted: aborted.add(1, ordering: .relaxed)
        case .timedOut: timedOut.add(1, ordering: .relaxed)
        case .failed: failed.add(1, ordering: .relaxed)
        }
    }
}

typealias ResultCodeValue = Int32
