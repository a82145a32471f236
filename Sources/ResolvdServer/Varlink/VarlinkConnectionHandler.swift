import Logging
import NIOCore
import ResolvdProtocol
import ResolverCore

/// One client connection speaking Varlink: io.systemd.Resolve (ResolveHostname,
/// ResolveAddress, ResolveRecord, ResolveService) and org.varlink.service (GetInfo,
/// GetInterfaceDescription), answered in the order the calls came however their lookups
/// finish.
///
/// It is a second front end over the same ``LookupService`` as protocol v1's
/// ``ConnectionHandler``: the same keys, so the two share the cache and in-flight lookups,
/// and the same counters. Cancellation on Varlink is hanging up: when the connection
/// closes, each lookup still waiting is cancelled like v1's `cancel_all` (ERROR_OPERATION_
/// ABORTED), which leaves a shared lookup to its other waiters or to the detach rule of
/// docs/cache.md. A message that is not a call, or one longer than `max_request_bytes`,
/// closes the connection (as systemd's sd-varlink does); more than
/// `max_lookups_per_connection` lookups in flight get `io.resolvd.TooManyCalls`, and twice
/// that many replies waiting for an earlier one close the connection. A client that does
/// not read its replies stops being read once `max_queued_reply_bytes` of them are queued
/// (``BackPressuredConnection``, as protocol v1): the calls already read wait, unstarted,
/// until it has read half of them. All its state lives on the channel's event loop.
final class VarlinkConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: ServerContext
    private(set) var context: ChannelHandlerContext?
    /// The messages in what the client sent, and what it sent of the next one so far.
    private var decoder: VarlinkFrameDecoder
    private var unfinished: ByteBuffer?
    /// Whether calls run as they are read or wait for the client to read its replies.
    var backPressure = ReplyBackPressure<VarlinkFrameDecoder.Frame>()
    /// One entry per call awaiting its reply, in call order: nil while its lookup runs.
    /// The first entry is call number `firstCall`.
    private var replies = CircularBuffer<ByteBuffer?>()
    private var firstCall: UInt64 = 0
    /// Lookups in flight, by an id of their own.
    private var lookups: [UInt64: PendingLookup] = [:]
    private var nextLookup: UInt64 = 0
    private var closing = false
    /// The peer's credentials (SO_PEERCRED): its uid is charged for its upstream lookups,
    /// counted in `stats` `clients`, and filters what `monitor` shows.
    private let peer: PeerCredentials?
    /// This connection's number in the upstream share's queues.
    private let connectionID = LookupService.makeConnectionID()
    private var client: ClientCounters?

    /// - Parameter peer: the peer's credentials, as the admission read them (nil: none).
    init(server: ServerContext, peer: PeerCredentials? = nil) {
        self.server = server
        self.peer = peer
        self.decoder = VarlinkFrameDecoder(maximumLength: server.limits.maxRequestBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        setWriteBufferWaterMarks(context: context, bound: server.limits.maxQueuedReplyBytes)
    }

    func channelActive(context: ChannelHandlerContext) {
        client = peer.map { server.clients.register(uid: $0.uid) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Hanging up cancels what the client still waits for.
        self.context = nil
        unfinished = nil  // a message the client did not finish is dropped
        backPressure.channelInactive()
        abortAll()
        if let client {
            server.clients.release(client)
            self.client = nil
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ShutdownEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard !closing else { return }
        closing = true
        abortAll()  // every reply is now ready: QueryAborted for the lookups
        writeReadyReplies()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("varlink connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var earlier = unfinished.take() {
            earlier.writeBuffer(&input)
            input = earlier
        }
        // Until the connection closes: a call's reply that fails to be written closes it
        // from inside this loop, and what the client sent after that call is dropped.
        while self.context != nil, let frame = decoder.nextFrame(in: &input) {
            runOrHold(frame)
        }
        if self.context != nil && input.readableBytes > 0 { unfinished = input }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        backPressureWritabilityChanged(context: context)
    }

    /// Executes one message: a call, or the message too long that closes the connection.
    func runRequest(_ frame: VarlinkFrameDecoder.Frame) {
        guard !closing else { return }
        switch frame {
        case .tooLong:
            protocolError("message longer than \(server.limits.maxRequestBytes) bytes")
        case .message(let message):
            // nss-resolve's call, read straight from its bytes; any other by the generic path.
            if let request = VarlinkHostnameCall.request(message) {
                guard let number = awaitReply() else { return }
                startLookup(number, request)
                return
            }
            do {
                handle(try VarlinkCall(parsing: message))
            } catch {
                protocolError(error.description)
            }
        }
    }

    /// The number of a call whose reply is now awaited in call order; nil when too many
    /// replies wait already (the connection is closing).
    private func awaitReply() -> UInt64? {
        let limit = server.limits.maxLookupsPerConnection
        guard replies.count < 2 * limit else {
            server.stats.rejected.add(1, ordering: .relaxed)
            protocolError("more than \(2 * limit) calls waiting for their replies")
            return nil
        }
        let number = firstCall + UInt64(replies.count)
        replies.append(nil)
        return number
    }

    private func handle(_ call: VarlinkCall) {
        // Every method here only reads: a call that wants no reply has nothing to do.
        guard !call.oneway, let number = awaitReply() else { return }
        let interface = call.method.lastIndex(of: ".").map { String(call.method[..<$0]) } ?? ""
        let member = call.method.lastIndex(of: ".").map { String(call.method[call.method.index(after: $0)...]) } ?? call.method
        switch (interface, member) {
        case (VarlinkInterfaces.service, "GetInfo"):
            answer(number, call.parameters.isEmpty ? .success(VarlinkInterfaces.info) : .failure(.invalidParameter(call.parameters[0].key)))
        case (VarlinkInterfaces.service, "GetInterfaceDescription"):
            answer(number, Self.interfaceDescription(call.parameters))
        case (VarlinkInterfaces.service, _):
            answer(number, .failure(.methodNotFound(call.method)))
        case (VarlinkInterfaces.resolve, _):
            do {
                startLookup(number, try VarlinkResolveRequest.decode(method: member, parameters: call.parameters))
            } catch {
                answer(number, .failure(error))
            }
        default:
            answer(number, .failure(.interfaceNotFound(interface)))
        }
    }

    private static func interfaceDescription(_ parameters: JSONObject) -> Result<JSONObject, VarlinkError> {
        if let other = parameters.keys.first(where: { $0 != "interface" }) { return .failure(.invalidParameter(other)) }
        guard case .string(let interface)? = parameters["interface"] else { return .failure(.invalidParameter("interface")) }
        guard let description = VarlinkInterfaces.description(of: interface) else { return .failure(.interfaceNotFound(interface)) }
        return .success(["description": .string(description)])
    }

    // MARK: - Lookups

    /// One lookup of the ``LookupService`` on behalf of a call (ResolveService makes several).
    private struct PendingLookup {
        /// Nil only while the start call runs (a cache hit completes inside it).
        var token: LookupService.Token?
        let startedAt: UInt64
        let synthetic: Bool
        /// The question, kept only when a monitor ran as the lookup started.
        let monitored: LookupKey?
        let onAnswer: (Result<LookupValue, ResolverError>, AnswerOrigin) -> Void
    }

    private func startLookup(_ number: UInt64, _ request: VarlinkResolveRequest) {
        let limit = server.limits.maxLookupsPerConnection
        guard lookups.count < limit else {
            server.stats.rejected.add(1, ordering: .relaxed)
            answer(number, .failure(.tooManyCalls(limit: limit)))
            return
        }
        if case .service(let service) = request.method {
            VarlinkServiceResolution(service, flags: request.flags, lookUp: { [unowned self] key, onAnswer in
                lookUp(key, bypassingCache: request.bypassesCache, allowsStale: request.allowsStale, onAnswer: onAnswer)
            }, answer: { [unowned self] result in
                answer(number, result)
            }).start()
            return
        }
        lookUp(request.key, bypassingCache: request.bypassesCache, allowsStale: request.allowsStale) { [unowned self] result, origin in
            answer(number, message: request.replyMessage(to: result, origin: origin, allocator: allocator))
        }
    }

    /// Starts one lookup; `onAnswer` runs on the event loop, once, with where the answer came from.
    private func lookUp(
        _ key: LookupKey, bypassingCache: Bool, allowsStale: Bool, onAnswer: @escaping (Result<LookupValue, ResolverError>, AnswerOrigin) -> Void
    ) {
        guard let context else { return }
        let synthetic: Bool
        switch key {
        case .addressInfo(let lookup): synthetic = server.lookups.resolver.answersLocally(name: lookup.name, family: lookup.family)
        case .hostByAddress(let address, _, _): synthetic = server.lookups.resolver.answersLocally(address: address)
        default: synthetic = false
        }
        server.stats.lookups.add(1, ordering: .relaxed)
        server.stats.varlinkLookups.add(1, ordering: .relaxed)
        server.stats.inFlight.add(1, ordering: .relaxed)
        server.metrics.started(key)
        client?.lookupStarted()
        let id = nextLookup
        nextLookup += 1
        let eventLoop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        let completion: LookupService.AnsweredCompletion = { result, source in
            if eventLoop.inEventLoop {
                handler.value.lookupFinished(id, result, source: source)
            } else {
                eventLoop.execute { handler.value.lookupFinished(id, result, source: source) }
            }
        }
        // Registered before the start call: a cache hit completes inside it.
        lookups[id] = PendingLookup(
            token: nil, startedAt: MonotonicClock.microseconds(), synthetic: synthetic,
            monitored: server.monitors.isActive ? key : nil, onAnswer: onAnswer)
        let token = server.lookups.start(
            key, owner: peer?.uid, connection: connectionID, allowsStale: allowsStale, consultingCache: !bypassingCache, completion: completion)
        lookups[id]?.token = token
    }

    private func lookupFinished(_ id: UInt64, _ result: Result<LookupValue, ResolverError>, source: LookupSource) {
        guard let pending = lookups.removeValue(forKey: id) else { return }
        let latency = MonotonicClock.microseconds() &- pending.startedAt
        server.lookupFinished(result, source: source, latency: latency, client: client)
        let fromCache = ServerContext.isFromCache(result, source: source)
        if let key = pending.monitored {
            server.monitors.publishLookup(
                key: key, result: result, peer: peer, frontend: "varlink", source: source, latency: latency, routes: server.lookups.routes)
        }
        // Varlink has no way to say "stale" but FROM_CACHE: every caller (ResolveService's
        // lookups too) gets the entry's value itself.
        let answer: Result<LookupValue, ResolverError> = if case .success(.stale(let value)) = result { .success(value) } else { result }
        pending.onAnswer(answer, pending.synthetic ? .synthetic : fromCache ? .cache : .network)
    }

    /// Cancels every lookup still waiting (hang-up, shutdown): each is answered
    /// QueryAborted at once, before this returns.
    private func abortAll() {
        for (_, pending) in lookups.sorted(by: { $0.key < $1.key }) {
            if let token = pending.token { server.lookups.cancel(token, with: .aborted) }
        }
    }

    // MARK: - Replies

    private var allocator: ByteBufferAllocator { context?.channel.allocator ?? ByteBufferAllocator() }

    private func answer(_ number: UInt64, _ result: Result<JSONObject, VarlinkError>) {
        switch result {
        case .success(let parameters): answer(number, message: VarlinkReply.success(parameters, allocator: allocator))
        case .failure(let error): answer(number, message: VarlinkReply.failure(error, allocator: allocator))
        }
    }

    /// Keeps call `number`'s reply message and writes the replies that are ready.
    private func answer(_ number: UInt64, message: ByteBuffer) {
        guard number >= firstCall, number - firstCall < UInt64(replies.count) else { return }
        let index = replies.index(replies.startIndex, offsetBy: Int(number - firstCall))
        guard replies[index] == nil else { return }  // answered already (a ResolveService aborted part-way)
        replies[index] = message
        writeReadyReplies()
    }

    /// Writes the replies at the front that are ready: a later call's reply waits for the
    /// earlier ones.
    private func writeReadyReplies() {
        guard let context else { return }
        var wrote = false
        while case .some(.some(let reply)) = replies.first {
            replies.removeFirst()
            firstCall += 1
            context.write(wrapOutboundOut(reply), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    private func protocolError(_ message: String) {
        server.stats.protocolErrors.add(1, ordering: .relaxed)
        server.logger.debug("varlink protocol error; closing the connection", metadata: ["error": "\(message)"])
        closing = true
        context?.close(promise: nil)
    }
}

extension VarlinkConnectionHandler: BackPressuredConnection {
    /// Every reply is flushed as it is written: nothing is batched.
    func heldFramesRan() {}

    /// Never held: a Varlink connection has no half-closure (its end of input closes it).
    func heldInputClosed() {}
}

extension VarlinkConnectionHandler {
    /// Sets up a new Varlink connection's pipeline. Without half-closure: a client that
    /// hangs up (nss-resolve closes after its one call) is a closed connection, and its
    /// lookup is cancelled at once.
    static func configure(_ channel: any Channel, server: ServerContext, peer: PeerCredentials? = nil) throws {
        try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: false)
        // One handler, which splits the messages itself (``VarlinkFrameDecoder``).
        try channel.pipeline.syncOperations.addHandler(VarlinkConnectionHandler(server: server, peer: peer))
    }
}

/// Closes a Varlink connection over the connection limit at once: Varlink has no message a
/// server may send before a call, and nss-resolve falls back to the next NSS module.
final class VarlinkRefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
