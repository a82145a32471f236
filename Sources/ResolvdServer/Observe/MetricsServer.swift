import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Serves `GET /metrics` (the Prometheus text of ``StatsResult/prometheusText``) over
/// HTTP/1.1 on the `metrics_listen` address, as CoreDNS's `prometheus` plugin does, so
/// Prometheus can scrape resolvd directly.
///
/// It is SwiftNIO's HTTP/1 server pipeline (NIOHTTP1, already in the dependency tree) and
/// one small handler: the text is made per scrape from the same counters `stats` reads,
/// so the lookup path pays nothing for it. swift-prometheus / swift-metrics were not used
/// because their registries would have the lookup path update a second set of
/// counters (a lock or a dictionary per lookup) for what `stats` already counts.
///
/// Bounded like the sockets (docs/reliability.md): at most `metrics_max_connections`
/// connections are open (one more is closed as it is accepted; ``DescriptorLimit`` sets
/// their descriptors aside), one with nothing read or written for `metrics_idle_timeout_ms`
/// is closed (NIO's `IdleStateHandler`, on the connection's event loop), and one that does
/// not read its replies stops being read once `max_queued_reply_bytes` are queued
/// (``BackPressuredConnection``); at EMFILE accepting pauses (``AcceptPauseHandler``).
/// It does not serve anything else (404) and takes no request body.
enum MetricsServer {
    /// Binds and serves; nil when `listen` is nil (the default: off). The address it
    /// returns is the one bound: with port 0 in `listen`, the port the kernel chose.
    static func start(
        _ listen: MetricsListen?, context: ServerContext, acceptPauses: AcceptPauses, logger: Logger
    ) async throws -> (channel: any Channel, bound: MetricsListen)? {
        guard let listen else { return nil }
        let channel: any Channel
        do {
            channel = try await bind(listen, context: context, acceptPauses: acceptPauses, logger: logger)
        } catch {
            throw ConfigurationError("metrics_listen = \(listen): cannot listen: \(error)")
        }
        let bound = MetricsListen(host: listen.host, port: channel.localAddress?.port ?? listen.port)
        logger.notice("serving metrics", metadata: ["url": "http://\(bound)/metrics"])
        return (channel, bound)
    }

    private static func bind(
        _ listen: MetricsListen, context: ServerContext, acceptPauses: AcceptPauses, logger: Logger
    ) async throws -> any Channel {
        let limits = context.limits
        let open = OpenConnections(limit: limits.maxMetricsConnections)
        let idle = TimeAmount.milliseconds(Int64(limits.metricsIdleTimeoutMilliseconds))
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler(logger: logger, pauses: acceptPauses))
                }
            }
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.closeFuture.whenComplete { _ in acceptPauses.descriptorFreed() }
                guard open.admit() else {
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in open.release() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHandler(context: context, maxQueuedReplyBytes: limits.maxQueuedReplyBytes))
                }
            }
            .bind(host: listen.host, port: listen.port)
            .get()
    }

    /// The count of open metrics connections against `metrics_max_connections`.
    final class OpenConnections: Sendable {
        private let count = Atomic<Int>(0)
        let limit: Int

        init(limit: Int) {
            self.limit = limit
        }

        /// True (and counted) when one more connection may stay open.
        func admit() -> Bool {
            if count.add(1, ordering: .relaxed).newValue <= limit { return true }
            count.subtract(1, ordering: .relaxed)
            return false
        }

        func release() {
            count.subtract(1, ordering: .relaxed)
        }
    }
}
