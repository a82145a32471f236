import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves `GET /metrics` (the Prometheus text of ``StatsResult/prometheusText``) over
/// HTTP/1.1 on the `metrics_listen` address, as CoreDNS's `prometheus` plugin does, so
/// Prometheus can scrape resolvd directly.
///
/// It is SwiftNIO's HTTP/1 server pipeline (NIOHTTP1, already in the dependency tree) and
/// one small handler: the text is made per scrape from the same counters `stats` reads,
/// so the lookup path pays nothing for it. swift-prometheus / swift-metrics were not used
/// because their registries would have the lookup path update a second set of
/// counters (a lock or a dictionary per lookup) for what `stats` already counts.
/// It does not serve anything else (404) and takes no request body.
enum MetricsServer {
    /// Binds and serves; nil when `listen` is nil (the default: off).
    static func start(_ listen: MetricsListen?, context: ServerContext, logger: Logger) async throws -> (any Channel)? {
        guard let listen else { return nil }
        do {
            let channel = try await bind(listen, context: context)
            logger.notice("serving metrics", metadata: ["url": "http://\(listen)/metrics"])
            return channel
        } catch {
            throw ConfigurationError("metrics_listen = \(listen): cannot listen: \(error)")
        }
    }

    private static func bind(_ listen: MetricsListen, context: ServerContext) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(context: context))
                }
            }
            .bind(host: listen.host, port: listen.port)
            .get()
    }
}

/// Answers each HTTP request: `/metrics` with the exposition text, anything else 404.
final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let context: ServerContext
    private var head: HTTPRequestHead?

    init(context: ServerContext) {
        self.context = context
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let found = head.method == .GET && path == "/metrics"
            let body = found ? context.statsResult().prometheusText : "only GET /metrics is served here\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            let response = HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers)
            channelContext.write(wrapOutboundOut(.head(response)), promise: nil)
            channelContext.write(wrapOutboundOut(.body(.byteBuffer(channelContext.channel.allocator.buffer(string: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            channelContext.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channelContext.channel.close(promise: nil) }
            }
        }
    }
}
