import NIOCore

/// The last handler of a client channel: parses each line as a ``Reply`` and hands it
/// to the ``ConnectionCore``, and tells the core when the channel goes away.
///
/// It does not write; requests go through ``ResolvdConnection``.
final class ReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let core: ConnectionCore
    private let maximumLineLength: Int?

    init(core: ConnectionCore, maximumLineLength: Int?) {
        self.core = core
        self.maximumLineLength = maximumLineLength
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = Self.unwrapInboundIn(data)
        if core.hasMonitors, Self.deliverEvent(line, to: core) { return }
        do {
            core.deliver(try Reply(buffer: line))
        } catch {
            core.unsolicitedContinuation.yield(.malformed(error))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is LineFrameDecoder.LineTooLong else { return context.fireUserInboundEventTriggered(event) }
        core.noteClosingReason(ResolvdConnectionError.lineTooLong(limit: maximumLineLength ?? 0).description)
        context.close(promise: nil)
    }

    /// Delivers an event line (`{"id":n,"event":{…}}`) to its monitor; false for any other line.
    private static func deliverEvent(_ line: ByteBuffer, to core: ConnectionCore) -> Bool {
        guard case .object(let object)? = try? JSONParser.parse(line), let eventJSON = object["event"],
              let id = object["id"]?.intValue, let event = MonitorEvent(json: eventJSON) else { return false }
        return core.deliver(event: event, monitor: id)
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
