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
    /// Binds and serves; nil when `listen` is nil (the default: off).
    static func start(
        _ listen: MetricsListen?, context: ServerContext, acceptPauses: AcceptPauses, logger: Logger
    ) async throws -> (any Channel)? {
        guard let listen else { return nil }
        do {
            let channel = try await bind(listen, context: context, acceptPauses: acceptPauses, logger: logger)
            logger.notice("serving metrics", metadata: ["url": "http://\(listen)/metrics"])
            return channel
        } catch {
            throw ConfigurationError("metrics_listen = \(listen): cannot listen: \(error)")
        }
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

/// Answers each HTTP request: `/metrics` with the exposition text, anything else 404.
/// Closes the connection when `IdleStateHandler` reports it idle.
final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: ServerContext
    private let maxQueuedReplyBytes: Int
    private(set) var context: ChannelHandlerContext?
    var backPressure = ReplyBackPressure<HTTPServerRequestPart>()
    private var head: HTTPRequestHead?

    init(context: ServerContext, maxQueuedReplyBytes: Int) {
        self.server = context
        self.maxQueuedReplyBytes = maxQueuedReplyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        setWriteBufferWaterMarks(context: context, bound: maxQueuedReplyBytes)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        backPressure.channelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        runOrHold(unwrapInboundIn(data))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        backPressureWritabilityChanged(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func runRequest(_ part: HTTPServerRequestPart) {
        guard let channelContext = context else { return }
        switch part {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let found = head.method == .GET && path == "/metrics"
            let body = found ? server.statsResult(for: .metricsEndpoint).prometheusText : "only GET /metrics is served here\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            let response = HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers)
            channelContext.write(wrapOutboundOut(.head(response)), promise: nil)
            channelContext.write(wrapOutboundOut(.body(.byteBuffer(channelContext.channel.allocator.buffer(string: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            let channel = channelContext.channel
            channelContext.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
    }
}

extension MetricsHandler: BackPressuredConnection {
    /// Every response is flushed as it is written: nothing is batched.
    func heldFramesRan() {}

    /// Never held: the HTTP server pipeline closes the connection at the end of input.
    func heldInputClosed() {}
}
