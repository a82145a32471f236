import NIOCore
import NIOPosix

/// One connection to resolvd over its Unix stream socket, speaking protocol v1.
///
/// Many requests can be in flight at once: each gets the next id (ids are strictly
/// increasing and requests are written in id order, whichever task sends them), and
/// each waits for the one reply carrying its id, in whatever order replies complete.
///
/// Lines that answer no pending request (protocol errors with `"id": null`, unknown
/// ids, unparseable lines) are delivered on ``unsolicitedMessages``. When the
/// connection closes, for any reason, every pending request fails with
/// ``ResolvdConnectionError/connectionClosed(reason:)``.
///
/// The connection does not reconnect, retry, or time requests out on its own; a
/// lookup's timeout is the daemon's `timeout_ms`.
public final class ResolvdConnection: Sendable {
    /// The longest reply line accepted by default: 1 MiB.
    public static let defaultMaximumLineLength = 1 << 20

    let channel: Channel
    let core: ConnectionCore

    /// Protocol errors and other lines that answer no pending request, in arrival order.
    ///
    /// The stream keeps at most the newest 256 undelivered messages and finishes when
    /// the connection closes. It supports a single consumer.
    public let unsolicitedMessages: AsyncStream<UnsolicitedMessage>

    private init(channel: Channel, core: ConnectionCore, unsolicitedMessages: AsyncStream<UnsolicitedMessage>) {
        self.channel = channel
        self.core = core
        self.unsolicitedMessages = unsolicitedMessages
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Connects to the daemon's socket.
    ///
    /// - Parameters:
    ///   - socketPath: The path of resolvd's Unix stream socket.
    ///   - maximumLineLength: The longest reply line accepted; a longer one closes the
    ///     connection. `nil` accepts any length.
    ///   - eventLoopGroup: Where the connection's I/O runs.
    public static func connect(
        socketPath: String,
        maximumLineLength: Int? = defaultMaximumLineLength,
        eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ResolvdConnection {
        let eventLoop = eventLoopGroup.next()
        let (stream, continuation) = AsyncStream.makeStream(
            of: UnsolicitedMessage.self,
            bufferingPolicy: .bufferingNewest(256)
        )
        let core = ConnectionCore(eventLoop: eventLoop, unsolicitedContinuation: continuation)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLineLength))
                        )
                        try channel.pipeline.syncOperations.addHandler(ReplyHandler(core: core, maximumLineLength: maximumLineLength))
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
        } catch {
            continuation.finish()
            throw error
        }
        return ResolvdConnection(channel: channel, core: core, unsolicitedMessages: stream)
    }

    /// Closes the connection and waits until it is closed. Pending requests fail with
    /// ``ResolvdConnectionError/connectionClosed(reason:)``. Closing twice is harmless.
    public func close() async {
        core.noteClosingReason("closed by the client")
        channel.close(promise: nil)
        try? await channel.closeFuture.get()
    }

    /// Sends one typed request and returns at once with its id.
    ///
    /// The id is allocated and the line queued under one lock, so requests reach the
    /// daemon in id order. If the connection is closed, the returned request's reply fails
    /// with ``ResolvdConnectionError/connectionClosed(reason:)`` and its
    /// ``PendingRequest/id`` is 0.
    public func send(_ command: Request.Command) -> PendingRequest {
        send(op: command.operation.rawValue, body: Self.requestBody(command))
    }

    /// The request line `send(_:)` writes for `command` with id `id`, without its newline.
    public static func requestLine(id: Int64, command: Request.Command) -> String {
        var line = String(buffer: ConnectionCore.requestLine(id: id, body: requestBody(command)))
        line.removeLast()  // the newline
        return line
    }

    /// Sends any request line, typed or not: `op` and `params` as given, which is how a
    /// caller makes the daemon reject something. `params` are written after `id` and `op`
    /// in key order; keys named `id` or `op` in `params` are ignored. Otherwise as
    /// ``send(_:)``.
    public func send(op: String, params: [String: JSONValue] = [:]) -> PendingRequest {
        send(op: op, body: Self.requestBody(op: op, params: params))
    }

    private func send(op: String, body: ByteBuffer) -> PendingRequest {
        let (request, mustScheduleFlush) = core.enqueue(op: op, body: body)
        if mustScheduleFlush {
            channel.eventLoop.execute { self.flushOutbox() }
        }
        return request
    }

    /// The request line `send(op:params:)` writes for id `id`, without its newline:
    /// `id` first, then `op`, then `params` in key order, keys `id` and `op` of
    /// `params` left out.
    public static func requestLine(id: Int64, op: String, params: [String: JSONValue]) -> String {
        var line = String(buffer: ConnectionCore.requestLine(id: id, body: requestBody(op: op, params: params)))
        line.removeLast()  // the newline
        return line
    }

    /// The members of a typed request after its id, without braces: `"op":"…",…`.
    static func requestBody(_ command: Request.Command) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeJSON(command.members)
        return body
    }

    /// The members of a request after its id, without braces: `"op":"…",…`.
    static func requestBody(op: String, params: [String: JSONValue]) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeStaticString("\"op\":")
        body.writeJSONString(op)
        for (key, value) in params.sorted(by: { $0.key < $1.key }) where key != "id" && key != "op" {
            body.writeInteger(UInt8(ascii: ","))
            body.writeJSONString(key)
            body.writeInteger(UInt8(ascii: ":"))
            body.writeJSONValue(value)
        }
        return body
    }

    /// Writes every queued line in order. Runs on the channel's event loop.
    func flushOutbox() {
        let lines = core.takeOutbox()
        guard !lines.isEmpty else { return }
        for (id, line) in lines {
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { [core] error in
                core.fail(id: id, with: .connectionClosed(reason: "could not send request \(id): \(error)"))
            }
            channel.write(line, promise: written)
        }
        channel.flush()
    }

    /// Sends one typed request and waits for its reply, whatever its status.
    ///
    /// If the calling task is cancelled while the request is pending, this sends
    /// `{"op":"cancel","handle":<id>}` for exactly this request (with its own new id)
    /// and keeps waiting for the original reply. If that reply is WSA_E_CANCELLED
    /// (10111), it throws `CancellationError`; if the real answer won the race, it
    /// returns it. A task cancelled before the call sends nothing and throws
    /// `CancellationError`.
    ///
    /// - Throws: `CancellationError`, or ``ResolvdConnectionError`` if the connection
    ///   closes first. A failure status is returned in the ``Reply``, not thrown.
    public func request(_ command: Request.Command) async throws -> Reply {
        try await request { self.send(command) }
    }

    /// Sends any request, as ``send(op:params:)`` writes it, and waits for its reply as
    /// ``request(_:)`` does.
    public func request(op: String, params: [String: JSONValue] = [:]) async throws -> Reply {
        try await request { self.send(op: op, params: params) }
    }

    private func request(sending send: () -> PendingRequest) async throws -> Reply {
        try Task.checkCancellation()
        let pending = send()
        let reply = try await withTaskCancellationHandler {
            try await pending.reply()
        } onCancel: {
            if self.core.isPending(pending.id) {
                _ = self.send(.cancel(handle: pending.id))
            }
        }
        if reply.status == .cancelled, Task.isCancelled {
            throw CancellationError()
        }
        return reply
    }
}
