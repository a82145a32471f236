import Logging
import NIOConcurrencyHelpers
import ResolverCore

/// What every connection shares: the current resolver (swapped on reload), the limits,
/// the counters and the logger.
///
/// A reload replaces the resolver for new lookups only; lookups already started keep
/// the resolver they started on until they finish (see ``ResolvdDaemon``).
final class ServerContext: Sendable {
    struct Current: Sendable {
        var resolver: CoreResolver
        var limits: DaemonConfiguration.Limits
    }

    private let current: NIOLockedValueBox<Current>
    let stats: ServerStats
    let logger: Logger
    /// Who may run admin ops (`reload`, later `flush_cache`) and how to reload.
    let admin = AdminControl()

    init(resolver: CoreResolver, limits: DaemonConfiguration.Limits, stats: ServerStats, logger: Logger) {
        self.current = NIOLockedValueBox(Current(resolver: resolver, limits: limits))
        self.stats = stats
        self.logger = logger
    }

    var snapshot: Current { current.withLockedValue { $0 } }

    /// Installs a new resolver and limits; returns the resolver they replace.
    func replace(resolver: CoreResolver, limits: DaemonConfiguration.Limits) -> CoreResolver {
        current.withLockedValue { current in
            let old = current.resolver
            current = Current(resolver: resolver, limits: limits)
            return old
        }
    }

    static let version = "1.0.0"
}

/// Sent down a connection's pipeline when the daemon shuts down: abort every lookup
/// with ERROR_OPERATION_ABORTED, flush, close.
struct ShutdownEvent: Sendable {}
