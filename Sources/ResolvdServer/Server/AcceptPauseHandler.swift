import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Stops accepting connections for a while when `accept` fails for want of descriptors or
/// memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), and starts again after a back-off that
/// doubles from 20 ms to 1 s while the failures go on.
///
/// NIO's own `AcceptBackoffHandler` delays the next `read`, but a failed `accept` leaves
/// the server channel's read pending, so no `read` comes, the listening socket stays
/// registered, and epoll reports it again at once: a whole core spent on failing `accept4`
/// calls. This handler turns `autoRead` off (which unregisters the socket) and back on
/// when the back-off ends; connections wait in the listen backlog meanwhile. It sits on
/// the server channel in front of NIO's handlers and passes every event on.
final class AcceptPauseHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    static let firstBackoff: TimeAmount = .milliseconds(20)
    static let maxBackoff: TimeAmount = .seconds(1)

    private let logger: Logger
    private var backoff: TimeAmount?
    private var paused = false

    init(logger: Logger) {
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        backoff = nil  // accepting works again
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode), !paused {
            let delay = backoff.map { min($0 * 2, Self.maxBackoff) } ?? Self.firstBackoff
            if backoff == nil {
                logger.warning("cannot accept connections: pausing until descriptors free up", metadata: ["error": "\(error)"])
            }
            backoff = delay
            paused = true
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let channel = context.channel
            context.eventLoop.scheduleTask(in: delay) {
                handler.value.paused = false
                try? channel.syncOptions?.setOption(.autoRead, value: true)
            }
        }
        context.fireErrorCaught(error)
    }
}
