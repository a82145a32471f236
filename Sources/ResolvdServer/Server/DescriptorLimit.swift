import Logging
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// File descriptors against `max_connections`: each connection holds one, and the
/// resolver needs some of its own (upstream sockets, epoll and eventfd per channel, the
/// listening socket, files).
///
/// At start the soft `RLIMIT_NOFILE` is raised to the hard limit (systemd's default soft
/// limit of 1,024 would otherwise be the limit that applies, not `max_connections`). If
/// the limit still cannot cover `max_connections` plus the resolver's descriptors, that is
/// logged and the lower figure is used, so a refusal is a clear 10055 instead of a failed
/// `accept`. The `metrics_listen` connections (at most `metrics_max_connections`) are set
/// aside too, so HTTP clients cannot take the descriptors of the sockets' clients. What
/// happens at EMFILE anyway (another process's descriptors, a lower limit set from
/// outside): ``AcceptPauseHandler`` stops accepting until one of the daemon's connections
/// closes or a back-off of at most 1 s ends — no busy loop (docs/reliability.md).
enum DescriptorLimit {
    /// Raises the soft limit to the hard one if it is lower; the soft limit now in force
    /// (nil if it cannot be read).
    static func raiseSoftLimit(logger: Logger) -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            let before = limit.rlim_cur
            limit.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 {
                logger.debug("raised the file descriptor limit", metadata: ["from": "\(before)", "to": "\(limit.rlim_max)"])
            } else {
                limit.rlim_cur = before
                logger.debug("cannot raise the file descriptor limit", metadata: ["error": "\(String(cString: strerror(errno)))"])
            }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
    }

    /// Descriptors the daemon needs besides the sockets' connections: a UDP and a TCP
    /// socket per upstream per channel, epoll and eventfd per channel, the metrics
    /// connections when `metrics_listen` is set, the DNS stub's sockets and TCP connections
    /// when `dns_listen` is set, and 64 for the rest (listening sockets,
    /// NIO's own, database files, logs).
    static func reserved(for configuration: DaemonConfiguration) -> Int {
        let resolver = configuration.resolver
        let metrics = configuration.metricsListen == nil ? 0 : configuration.limits.maxMetricsConnections
        // The DNS stub: a UDP and a TCP socket per address, and its TCP connections.
        let stub = configuration.dnsListen.isEmpty ? 0 : 2 * configuration.dnsListen.count + configuration.limits.dnsMaxTCPConnections
        return 64 + resolver.channelCount * (2 * max(1, resolver.servers.count) + 2) + metrics + stub
    }

    /// `configuration`'s limits with `maxConnections` lowered to what `softLimit`
    /// descriptors allow, and a warning saying so when that is lower than configured.
    static func fit(_ configuration: DaemonConfiguration, softLimit: Int?, logger: Logger) -> DaemonConfiguration.Limits {
        let limits = configuration.limits
        guard let softLimit else { return limits }
        let setAside = reserved(for: configuration)
        let available = max(1, softLimit - setAside)
        guard limits.maxConnections > available else { return limits }
        logger.warning(
            "the file descriptor limit cannot cover max_connections: using the lower figure",
            metadata: [
                "max_connections": "\(limits.maxConnections)", "RLIMIT_NOFILE": "\(softLimit)",
                "reserved": "\(setAside)", "using": "\(available)",
            ])
        var fitted = limits
        fitted.maxConnections = available
        return fitted
    }
}
