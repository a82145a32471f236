import NIOCore
import NIOHTTP1

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
