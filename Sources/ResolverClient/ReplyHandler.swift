import NIOCore

/// The last handler of a client channel: parses each line as a ``Reply`` and hands it
/// to the ``ConnectionCore``, and tells the core when the channel goes away.
///
/// It does not write; requests go through ``ResolvdConnection``.
final class ReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let core: ConnectionCore

    init(core: ConnectionCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            core.deliver(try Reply(buffer: Self.unwrapInboundIn(data)))
        } catch {
            core.unsolicitedContinuation.yield(.malformed(error))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? ResolvdConnectionError {
            core.noteClosingReason(error.description)
        } else {
            core.noteClosingReason("\(error)")
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.markClosed()
        context.fireChannelInactive()
    }
}
