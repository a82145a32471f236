import Logging
import NIOCore
import ResolverCore

/// One client connection speaking protocol v1: decodes request lines, dispatches each
/// request to the part of the handler that owns its op, and keeps the connection's state.
///
/// The parts, each in a file of its own:
/// - ``ConnectionStateMachine``: when requests are read, lookups may start and the
///   connection closes. Every channel event goes through it; this class executes the
///   actions it returns.
/// - `+Lookups`: starts lookups through the ``LookupService`` (cache, coalescing,
///   resolver) and answers each when it completes.
/// - `+Cancellation`: `cancel`, `cancel_async_request`, `cancel_all` over this connection's
///   handles, with the engine's rule table (``CancelRules``).
/// - `+Admin`: `reload` and `flush_cache`, for admin peers only.
/// - `+Links`: `link` and `revert_link` (admins only) and `routes` (docs/routing.md).
/// - `+Output`: batching of reply lines into one write per event-loop tick, and closing.
///
/// Handles (request ids) belong to the connection: `inFlight` maps each lookup's id to its
/// waiter token. It does not frame lines (``LineFrameDecoder`` does), parse JSON values
/// (``JSONParser`` does), encode replies (``ReplyEncoder``, ``SuccessLine`` and the typed
/// results of ResolvdProtocol) or cache anything; all its state lives on the channel's
/// event loop.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct InFlight {
        /// Nil only for a lookup answered inside its start call (see `starting`).
        var token: LookupService.Token?
        /// ``MonotonicClock/microseconds()`` when the request was read, for its latency.
        let startedAt: UInt64
    }

    let server: ServerContext
    /// This connection's number in the upstream share's queues.
    let connectionID = LookupService.makeConnectionID()
    var context: ChannelHandlerContext?
    var state = ConnectionStateMachine()
    /// The highest request id seen: ids must increase, and every id up to it is "issued"
    /// for `cancel_async_request`.
    var lastID: Int64 = 0
    /// This connection's lookups in flight, by id (handle), but for the one being started.
    var inFlight: [Int64: InFlight] = [:]
    /// The lookup whose start call runs (see `+Lookups`), kept out of `inFlight`: most
    /// complete inside that call (cache hits), and then never touch the dictionary.
    var starting: (id: Int64, startedAt: UInt64)?
    /// Cancel replies that wait for their lookup's reply, by lookup id (see `+Cancellation`).
    var cancelRepliesAfterLookup: [Int64: [CancelReply]] = [:]
    /// Lookups finished on resolver threads, drained on this handler's event loop.
    let inbox = AnswerInbox()
    /// Reply lines not yet handed to the channel (see `+Output`).
    var output = OutputBatch()
    /// The client's pid/uid/gid (SO_PEERCRED), as the admission read them: once per connection.
    let peer: PeerCredentials?
    /// Whether request lines run or wait for the client to read its replies (see `+BackPressure`).
    var backPressure = ReplyBackPressure<LineFrameDecoder.Frame>()
    /// `max_queued_reply_bytes` when the connection opened.
    let maxQueuedReplyBytes: Int
    /// The counters of the peer's uid (`stats` `clients`), once `peer` is known.
    var client: ClientCounters?
    /// This connection's running monitors, by id (Observe/ConnectionHandler+Monitor.swift).
    var monitorSubscriptions: [Int64: MonitorSubscription] = [:]
    /// The questions of lookups started while someone monitored, by id: reported when they finish.
    var monitoredLookups: [Int64: LookupKey] = [:]

    /// - Parameter peer: the peer's credentials, as the admission read them (nil: none).
    init(server: ServerContext, peer: PeerCredentials? = nil) {
        self.server = server
        self.peer = peer
        self.maxQueuedReplyBytes = server.limits.maxQueuedReplyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        setWriteBufferWaterMarks(context: context, bound: maxQueuedReplyBytes)
    }

    func channelActive(context: ChannelHandlerContext) {
        client = peer.map { server.clients.register(uid: $0.uid) }
        server.logger.debug("connection", metadata: ["peer": "\(peer.map(\.description) ?? "unknown")"])
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        backPressure.channelInactive()
        switch state.channelInactive() {
        case .abortAll:
            // Closing a connection aborts its lookups and frees what they held.
            abortAll()
        case .none:
            break
        }
        if let client {
            server.clients.release(client)
            self.client = nil
        }
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        runOrHold(.line(unwrapInboundIn(data)))  // see +BackPressure
    }

    /// Decodes and executes one request line (or answers a line too long).
    @inline(__always)
    func runLine(_ frame: LineFrameDecoder.Frame) {
        guard state.lineReceived() == .process else { return }
        output.flushPending = true  // channelReadComplete follows every burst of reads
        switch frame {
        case .tooLong:
            let limit = server.limits.maxRequestBytes
            protocolError("request line longer than \(limit) bytes")
            execute(state.lineTooLong())
        case .line(let line):
            handleLine(line)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushOutput()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ShutdownEvent:
            switch state.shutdown() {
            case .abortAllThenCloseAfterWrites:
                abortAll()
                closeAfterWrites()
            case .abortAll:
                abortAll()
            case .none:
                break
            }
        case is LineFrameDecoder.LineTooLong:
            runOrHold(.tooLong)  // in order behind held lines, as a line would be
        case ChannelEvent.inputClosed:
            // Behind request lines held by back-pressure, it waits for them.
            if backPressure.inputClosed() == .process { inputClosed() }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The client finished sending (e.g. `socat` at end of its input): answer what is in
    /// flight, then close.
    func inputClosed() {
        switch state.inputClosed() {
        case .closeAfterWrites:
            closeAfterWrites()
        case .flush:
            flushOutput()
        case .none:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Executes a ``ConnectionStateMachine/CloseAction``.
    func execute(_ action: ConnectionStateMachine.CloseAction) {
        switch action {
        case .closeAfterWrites: closeAfterWrites()
        case .none: break
        }
    }
}

// MARK: - Requests

extension ConnectionHandler {
    private func handleLine(_ line: ByteBuffer) {
        // The common request, read straight from its bytes; any other line (errors
        // included) the generic way below, which answers it as it always did.
        if let request = RequestDecoder.decodeCommonLine(line) {
            if acceptID(request.id) { execute(request) }
            return
        }
        // A blank line is skipped; only a line that starts with blank space needs the scan.
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0d }
        if line.readableBytesView.first.map(isBlank) ?? true, line.readableBytesView.allSatisfy(isBlank) { return }
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            protocolError("not JSON: \(error)")
            return
        }
        guard case .object(let object) = value else {
            protocolError("a request must be a JSON object")
            return
        }
        guard let id = Request.id(of: object) else {
            protocolError("a request needs an integer \"id\" in 1…\(Request.maxID)")
            return
        }
        guard acceptID(id) else { return }
        switch RequestDecoder.decode(object, id: id) {
        case .success(let request):
            execute(request)
        case .failure(let error):
            write(ReplyEncoder.failure(id: id, error: error, allocator: allocator))
        }
    }

    /// Whether `id` may be used: ids must increase. If not, answers the protocol error
    /// that closes the connection.
    private func acceptID(_ id: Int64) -> Bool {
        guard id > lastID else {
            protocolError("id \(id) is not greater than the previous id \(lastID)")
            execute(state.protocolErrorThatCloses())
            return false
        }
        lastID = id
        return true
    }

    /// What `hello` answers.
    static let serverInfo = ServerInfo(server: "resolvd", version: ServerContext.version, protocolVersion: 1, ops: Operation.wireNames)

    private func execute(_ request: Request) {
        let id = request.id
        switch request.command {
        case .lookup(let key):
            startLookup(id, key, allowsStale: request.allowsStale)
        case .cancel(let handle):
            cancel(id: id, handle: handle)
        case .cancelAsyncRequest(let handle):
            cancelAsyncRequest(id: id, handle: handle)
        case .cancelAll:
            cancelAll(id: id)
        case .hello:
            writeLine(SuccessLine(id: id, result: Self.serverInfo))
        case .stats:
            writeLine(SuccessLine(id: id, result: server.statsResult(for: .peer(peer))))
        case .reload:
            reload(id: id)
        case .flushCache:
            flushCache(id: id)
        case .monitor:
            startMonitor(id: id)
        case .dumpCache(let limit):
            dumpCache(id: id, limit: limit)
        case .link(let settings):
            setLink(id: id, settings)
        case .revertLink(let interface):
            revertLink(id: id, interface: interface)
        case .routes:
            routes(id: id)
        }
    }
}

extension Result where Failure == ResolverError {
    var resultCode: Int32 {
        switch self {
        case .success: 0
        case .failure(let error): error.code.rawValue
        }
    }
}
