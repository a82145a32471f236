import ResolvdProtocol
import Synchronization

/// Lookups started per op, for `stats` and the Prometheus `op` label: one relaxed atomic
/// add per lookup, into a counter picked by a switch (no dictionary, no lock).
final class LookupMetrics: Sendable {
    private let addressInfo = Atomic<Int>(0)
    private let nameInfo = Atomic<Int>(0)
    private let query = Atomic<Int>(0)
    private let hostByName = Atomic<Int>(0)
    private let hostByAddress = Atomic<Int>(0)
    private let serviceByName = Atomic<Int>(0)
    private let serviceByPort = Atomic<Int>(0)
    private let protocolByName = Atomic<Int>(0)
    private let protocolByNumber = Atomic<Int>(0)

    @inline(__always)
    func started(_ key: LookupKey) {
        switch key {
        case .addressInfo: addressInfo.add(1, ordering: .relaxed)
        case .nameInfo: nameInfo.add(1, ordering: .relaxed)
        case .query: query.add(1, ordering: .relaxed)
        case .hostByName: hostByName.add(1, ordering: .relaxed)
        case .hostByAddress: hostByAddress.add(1, ordering: .relaxed)
        case .serviceByName: serviceByName.add(1, ordering: .relaxed)
        case .serviceByPort: serviceByPort.add(1, ordering: .relaxed)
        case .protocolByName: protocolByName.add(1, ordering: .relaxed)
        case .protocolByNumber: protocolByNumber.add(1, ordering: .relaxed)
        }
    }

    var byOperation: LookupsByOperation {
        LookupsByOperation(counts: [
            (.getAddrInfo, addressInfo.load(ordering: .relaxed)), (.getNameInfo, nameInfo.load(ordering: .relaxed)),
            (.query, query.load(ordering: .relaxed)), (.getHostByName, hostByName.load(ordering: .relaxed)),
            (.getHostByAddr, hostByAddress.load(ordering: .relaxed)), (.getServByName, serviceByName.load(ordering: .relaxed)),
            (.getServByPort, serviceByPort.load(ordering: .relaxed)), (.getProtoByName, protocolByName.load(ordering: .relaxed)),
            (.getProtoByNumber, protocolByNumber.load(ordering: .relaxed)),
        ])
    }
}

extension ServerStats {
    /// The latency histogram in ``LatencyHistogram/defaultBounds`` (µs), cumulative, as
    /// Prometheus wants it, with the exact sum.
    func latencyHistogram() -> LatencyHistogram {
        latency.withLockedValue { $0.cumulative }
    }
}

extension ServerContext {
    /// Who asks for `stats`: what its `clients` member lists.
    enum StatsReader {
        /// `metrics_listen` (loopback only unless configured otherwise): the busiest uids.
        case metricsEndpoint
        /// A connection's peer: an admin (uid 0, `admin_group`) sees the busiest uids, anyone
        /// else only its own uid's row, as `monitor` shows it only its own lookups.
        case peer(PeerCredentials?)
    }

    /// The whole `stats` result: the daemon's counters, the cache's, per client and per op.
    func statsResult(for reader: StatsReader) -> StatsResult {
        var stats = self.stats.result(lookups: lookups.statistics, routes: lookups.routes)
        if case .peer(let peer) = reader, !admin.policy.isAdmin(peer) {
            stats.clients = peer.map { clients.statistics(of: $0.uid) } ?? []
        } else {
            stats.clients = clients.busiest(ClientStatistics.reported)
        }
        stats.lookupsByOperation = metrics.byOperation
        stats.latencyHistogram = self.stats.latencyHistogram()
        return stats
    }
}
