import Logging
import NIOConcurrencyHelpers
import ResolverCore

/// What every connection shares: the lookup service (cache, coalescing and the current
/// resolver), the limits, the counters and the logger.
///
/// A reload swaps the resolver and limits for new lookups only; lookups already started
/// keep the resolver they started on until they finish (see ``ResolvdDaemon``).
final class ServerContext: Sendable {
    let lookups: LookupService
    private let limitsBox: NIOLockedValueBox<DaemonConfiguration.Limits>
    let stats: ServerStats
    let logger: Logger
    /// Who may run admin ops (`reload`, later `flush_cache`) and how to reload.
    let admin = AdminControl()
    /// The running `monitor`s, which every finished lookup is reported to (Observe/).
    let monitors = MonitorHub()
    /// Lookups counted per client uid, for `stats` (Observe/).
    let clients = ClientTable()
    /// Lookups started per op (Observe/).
    let metrics = LookupMetrics()

    init(lookups: LookupService, limits: DaemonConfiguration.Limits, stats: ServerStats, logger: Logger) {
        self.lookups = lookups
        self.limitsBox = NIOLockedValueBox(limits)
        self.stats = stats
        self.logger = logger
    }

    var limits: DaemonConfiguration.Limits { limitsBox.withLockedValue { $0 } }

    /// Installs a new configuration's routes, cache settings and limits; returns the
    /// routes they replace.
    func replace(routes: RouteSet, configuration: DaemonConfiguration) -> RouteSet {
        limitsBox.withLockedValue { $0 = configuration.limits }
        return lookups.replace(routes: routes, cacheEnabled: configuration.cacheEnabled, settings: configuration.cache)
    }

    static let version = "1.0.0"
}

/// Sent down a connection's pipeline when the daemon shuts down: abort every lookup
/// with ERROR_OPERATION_ABORTED, flush, close.
struct ShutdownEvent: Sendable {}
