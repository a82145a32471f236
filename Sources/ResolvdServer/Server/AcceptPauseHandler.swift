import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Stops accepting connections while `accept` fails for want of descriptors or memory
/// (EMFILE, ENFILE, ENOBUFS, ENOMEM), and starts again as soon as one of the daemon's
/// connections closes (a descriptor is free: ``AcceptPauses``), or at the latest after a
/// back-off that doubles from 20 ms to 1 s while the failures go on.
///
/// NIO's own `AcceptBackoffHandler` delays the next `read`, but a failed `accept` leaves
/// the server channel's read pending, so no `read` comes, the listening socket stays
/// registered, and epoll reports it again at once: a whole core spent on failing `accept4`
/// calls. This handler turns `autoRead` off (which unregisters the socket) and back on;
/// connections wait in the listen backlog meanwhile. It sits on the server channel in
/// front of NIO's handlers and does not pass these errors on: NIO's handler would delay
/// every read after them by a second of its own, and a backlog of connections whose
/// clients left while they waited, each accepted and closed in its turn, would keep a new
/// client waiting for seconds after the descriptors are free. It passes every other event on.
final class AcceptPauseHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    static let firstBackoff: TimeAmount = .milliseconds(20)
    static let maxBackoff: TimeAmount = .seconds(1)
    static let resourceErrors: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    private let logger: Logger
    private let pauses: AcceptPauses
    private var backoff: TimeAmount?
    /// While paused: the back-off's end, cancelled when a free descriptor resumes first.
    private var resumeAtBackoffEnd: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(logger: Logger, pauses: AcceptPauses) {
        self.logger = logger
        self.pauses = pauses
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        resumeAtBackoffEnd?.cancel()
        resumeAtBackoffEnd = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        backoff = nil  // accepting works again
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, Self.resourceErrors.contains(error.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        guard resumeAtBackoffEnd == nil else { return }  // paused already
        let delay = backoff.map { min($0 * 2, Self.maxBackoff) } ?? Self.firstBackoff
        if backoff == nil {
            logger.warning("cannot accept connections: pausing until descriptors free up", metadata: ["error": "\(error)"])
        }
        backoff = delay
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        resumeAtBackoffEnd = context.eventLoop.scheduleTask(in: delay) { handler.value.resume() }
        pauses.paused(handler)
    }

    /// Accepts again (the back-off ended, or a descriptor is free); nothing if not paused.
    func resume() {
        guard let scheduled = resumeAtBackoffEnd else { return }
        scheduled.cancel()
        resumeAtBackoffEnd = nil
        try? context?.channel.syncOptions?.setOption(.autoRead, value: true)
    }
}

/// The listening sockets paused by ``AcceptPauseHandler``: a connection of the daemon that
/// closes calls ``descriptorFreed()``, which has each of them try `accept` again at once.
/// When none is paused that is one relaxed atomic load. It does not decide when to pause.
final class AcceptPauses: Sendable {
    private let handlers = NIOLockedValueBox<[NIOLoopBound<AcceptPauseHandler>]>([])
    private let count = Atomic<Int>(0)

    init() {}

    func paused(_ handler: NIOLoopBound<AcceptPauseHandler>) {
        handlers.withLockedValue { handlers in
            handlers.append(handler)
            count.store(handlers.count, ordering: .relaxed)
        }
    }

    /// A descriptor was closed: every paused listening socket accepts again.
    func descriptorFreed() {
        guard count.load(ordering: .relaxed) > 0 else { return }
        let paused = handlers.withLockedValue { handlers in
            defer {
                handlers.removeAll()
                count.store(0, ordering: .relaxed)
            }
            return handlers
        }
        for handler in paused {
            handler.eventLoop.execute { handler.value.resume() }
        }
    }
}
