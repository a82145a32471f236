import Logging
import NIOCore
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// One client connection speaking protocol v1: decodes request lines, starts lookups
/// through the ``LookupService`` (cache, coalescing, resolver), and writes each lookup's
/// single reply when it completes.
///
/// Handles (request ids) belong to the connection: the handler maps each in-flight id to
/// its waiter token and applies the cancel rules of docs/protocol.md (GetAddrInfoExCancel,
/// WSACancelAsyncRequest, CancelIoEx). Because the service answers a cancelled waiter
/// before its cancel call returns, and this handler runs cancels on its event loop, the
/// lookup's 10111 (or 995) reply is always written before the cancel's own reply; a cancel
/// that comes too late, while the lookup's answer is still on its way from a resolver
/// thread, is answered after that answer.
///
/// It does not frame lines (``LineFrameDecoder`` does), parse JSON values
/// (``JSONParser`` does) or cache anything; all its state lives on the channel's event loop.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = LineFrameDecoder.Frame
    typealias OutboundOut = ByteBuffer

    private struct InFlight {
        /// Nil only while the start call runs (a cache hit completes inside it).
        var token: LookupService.Token?
        let startedAt: UInt64
    }

    private let server: ServerContext
    private var context: ChannelHandlerContext?
    private var lastID: Int64 = 0
    private var inFlight: [Int64: InFlight] = [:]
    /// Cancel replies that wait for their lookup's reply, by lookup id (see ``writeCancelReply``).
    private var cancelRepliesAfterLookup: [Int64: [CancelReply]] = [:]
    /// Lookups finished on resolver threads, drained on this handler's event loop.
    private let inbox = AnswerInbox()
    /// Reply lines not yet handed to the channel: every reply of an event-loop tick goes
    /// into one buffer and one `write` (see ``flushOutput()``).
    private var output: ByteBuffer?
    /// Something will flush `output` before the event loop sleeps: the end of the read
    /// burst (`channelReadComplete`), of a drain, or a task scheduled for it.
    private var flushPending = false
    private var closing = false
    private var inputClosed = false
    /// The client's pid/uid/gid (SO_PEERCRED), read once in `channelActive`.
    private var peer: PeerCredentials?
    /// Admin ops started and not yet answered (a reload runs off the event loop).
    private var pendingAdminOps = 0

    init(server: ServerContext) {
        self.server = server
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let logger = server.logger
        PeerCredentials.read(from: context.channel) { credentials in
            handler.value.peer = credentials
            logger.debug("connection", metadata: ["peer": "\(credentials.map(\.description) ?? "unknown")"])
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closing a connection aborts its lookups and frees what they held.
        abortAll()
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        flushPending = true  // channelReadComplete follows every burst of reads
        switch unwrapInboundIn(data) {
        case .tooLong:
            let limit = server.limits.maxRequestBytes
            protocolError("request line longer than \(limit) bytes", close: true)
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
            abortAll()
            closeAfterWrites()
        case ChannelEvent.inputClosed:
            // The client finished sending (e.g. `socat` at end of its input): answer what
            // is in flight, then close.
            inputClosed = true
            // The last lines may have been decoded without a channelReadComplete after them.
            flushOutput()
            if inFlight.isEmpty && pendingAdminOps == 0 { closeAfterWrites() }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

// MARK: - Requests

extension ConnectionHandler {
    private func handleLine(_ line: ByteBuffer) {
        // A blank line is skipped; only a line that starts with blank space needs the scan.
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0d }
        if line.readableBytesView.first.map(isBlank) ?? true, line.readableBytesView.allSatisfy(isBlank) { return }
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            protocolError("not JSON: \(error)", close: false)
            return
        }
        guard case .object(let object) = value else {
            protocolError("a request must be a JSON object", close: false)
            return
        }
        guard let id = Request.id(of: object) else {
            protocolError("a request needs an integer \"id\" in 1…\(Request.maxID)", close: false)
            return
        }
        guard id > lastID else {
            protocolError("id \(id) is not greater than the previous id \(lastID)", close: true)
            return
        }
        lastID = id
        switch RequestDecoder.decode(object, id: id) {
        case .success(let request):
            execute(request)
        case .failure(let error):
            write(ReplyEncoder.failure(id: id, error: error, allocator: allocator))
        }
    }

    private func execute(_ request: Request) {
        let id = request.id
        switch request.command {
        case .lookup(let key):
            startLookup(id, key)
        case .cancel(let handle):
            cancel(id: id, handle: handle)
        case .cancelAsyncRequest(let handle):
            cancelAsyncRequest(id: id, handle: handle)
        case .cancelAll:
            cancelAll(id: id)
        case .hello:
            write(ReplyEncoder.success(id: id, allocator: allocator) { buffer in
                buffer.writeStaticString("{\"server\":\"resolvd\",\"version\":")
                buffer.writeJSONString(ServerContext.version)
                buffer.writeStaticString(",\"protocol\":1,\"ops\":")
                buffer.writeJSONValue(.array(Request.operationNames.map(JSONValue.string)))
                buffer.writeStaticString("}")
            })
        case .stats:
            write(ReplyEncoder.success(id: id, allocator: allocator, capacity: 512) { [server] buffer in
                buffer.writeStats(server.stats, lookups: server.lookups.statistics, resolver: server.lookups.resolver)
            })
        case .reload:
            reload(id: id)
        case .flushCache:
            flushCache(id: id)
        }
    }
}

// MARK: - Lookups

extension ConnectionHandler {
    private func startLookup(_ id: Int64, _ key: LookupKey) {
        guard let context else { return }
        let limit = server.limits.maxLookupsPerConnection
        guard inFlight.count < limit else {
            server.stats.rejected.add(1, ordering: .relaxed)
            let error = ResolverError(code: .noBufferSpace, message: "too many lookups in flight on this connection (limit \(limit))")
            write(ReplyEncoder.failure(id: id, error: error, allocator: allocator))
            return
        }
        server.stats.lookups.add(1, ordering: .relaxed)
        server.stats.inFlight.add(1, ordering: .relaxed)
        // Registered before the start call: a cache hit (or a resolver that is shutting
        // down) completes inside it, and that completion must find and remove the entry.
        let startedAt = MonotonicClockMicroseconds.now()
        inFlight[id] = InFlight(token: nil, startedAt: startedAt)
        let eventLoop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        let inbox = self.inbox
        let token = server.lookups.start(key) { result in
            if eventLoop.inEventLoop {
                // A cache hit or a cancel: answered at once, so that a cancelled lookup's
                // reply goes out before the cancel's own.
                handler.value.finish(id: id, result: result)
            } else if inbox.post(id: id, result: result) {
                eventLoop.execute { handler.value.drainInbox() }
            }
        }
        // Not `inFlight[id]?.token = token`: that goes through three `modify` coroutines,
        // which allocate their frames (callgrind).
        if inFlight[id] != nil { inFlight.updateValue(InFlight(token: token, startedAt: startedAt), forKey: id) }
    }

    /// Answers everything the resolver threads have posted, in one write.
    private func drainInbox() {
        flushPending = true  // flushed at the end, not by a task of its own
        for answer in inbox.take() {
            finish(id: answer.id, result: answer.result)
        }
        flushOutput()
    }

    private func finish(id: Int64, result: Result<LookupValue, ResolverError>) {
        if let entry = inFlight.removeValue(forKey: id) {
            server.stats.recordLatency(microseconds: MonotonicClockMicroseconds.now() &- entry.startedAt)
        }
        server.stats.recordOutcome(result.resultCode)
        writeLine(LookupReplyLine(id: id, result: result))
        // Almost always empty: skip the hash lookup on the path of every reply.
        if !cancelRepliesAfterLookup.isEmpty, let waiting = cancelRepliesAfterLookup.removeValue(forKey: id) {
            for reply in waiting { writeCancelReply(reply) }
        }
        if inputClosed && inFlight.isEmpty && pendingAdminOps == 0 { closeAfterWrites() }
    }
}

// MARK: - Cancellation

extension ConnectionHandler {
    /// GetAddrInfoExCancel: 0 after the lookup's 10111 reply, else WSA_INVALID_HANDLE.
    private func cancel(id: Int64, handle: Int64) {
        var code = ResultCode.invalidHandle
        if let token = inFlight[handle]?.token, server.lookups.cancel(token, with: .cancelled) {
            code = .noError
        }
        writeCancelReply(CancelReply(id: id, code: code, message: "handle \(handle) is not a lookup in flight on this connection"), handle: handle)
    }

    /// WSACancelAsyncRequest: 0, WSAEALREADY for an id issued here that has finished,
    /// WSAEINVAL for 0 or an id never issued on this connection.
    private func cancelAsyncRequest(id: Int64, handle: Int64) {
        var code: ResultCode
        if handle == 0 || handle > lastID {
            code = .invalidArgument
        } else if let token = inFlight[handle]?.token, server.lookups.cancel(token, with: .cancelled) {
            code = .noError
        } else {
            code = .alreadyInProgress
        }
        let message = code == .invalidArgument
            ? "handle \(handle) was never issued on this connection" : "handle \(handle) has already finished"
        writeCancelReply(CancelReply(id: id, code: code, message: message), handle: handle)
    }

    /// CancelIoEx(NULL): every lookup in flight gets its 995 reply, then this one.
    private func cancelAll(id: Int64) {
        let cancelled = abortAll()
        if cancelled == 0 {
            write(ReplyEncoder.failure(
                id: id, error: ResolverError(code: .notFound, message: "no lookup in flight on this connection"), allocator: allocator))
        } else {
            write(ReplyEncoder.success(id: id, allocator: allocator) { buffer in
                buffer.writeStaticString("{\"cancelled\":")
                buffer.writeJSONInteger(cancelled)
                buffer.writeStaticString("}")
            })
        }
    }

    @discardableResult
    private func abortAll() -> Int {
        var cancelled = 0
        // In start order, as CancelIoEx completes them; each reply is written as it is aborted.
        for (_, entry) in inFlight.sorted(by: { $0.key < $1.key }) {
            if let token = entry.token, server.lookups.cancel(token, with: .aborted) { cancelled += 1 }
        }
        return cancelled
    }

    private struct CancelReply {
        var id: Int64
        var code: ResultCode
        var message: String
    }

    /// A cancel that came too late for a lookup still in `inFlight` found it ended on a
    /// resolver thread (answer, error, timeout) with its reply on the way to this event
    /// loop. The cancel's reply then waits for the lookup's (``finish(id:result:)``), so a
    /// client never reads "finished" (6, 10037) before the lookup's own reply.
    private func writeCancelReply(_ reply: CancelReply, handle: Int64) {
        if reply.code != .noError, inFlight[handle] != nil {
            cancelRepliesAfterLookup[handle, default: []].append(reply)
        } else {
            writeCancelReply(reply)
        }
    }

    private func writeCancelReply(_ reply: CancelReply) {
        if reply.code == .noError {
            write(ReplyEncoder.success(id: reply.id, allocator: allocator) { $0.writeStaticString("{}") })
        } else {
            write(ReplyEncoder.failure(id: reply.id, error: ResolverError(code: reply.code, message: reply.message), allocator: allocator))
        }
    }
}

// MARK: - Admin operations

extension ConnectionHandler {
    /// The peer may run an op that changes state for every client; if not, it is answered
    /// WSAEACCES and false returned. `flush_cache` uses the same check.
    private func requireAdmin(id: Int64, op: String) -> Bool {
        let policy = server.admin.policy
        if policy.isAdmin(peer) { return true }
        server.logger.debug("admin op refused", metadata: ["op": "\(op)", "peer": "\(peer.map(\.description) ?? "unknown")"])
        let who = peer.map { "uid \($0.uid)" } ?? "a peer with unknown credentials"
        let error = ResolverError(code: .accessDenied, message: "\(op) needs \(policy.requirement); this connection is \(who)")
        write(ReplyEncoder.failure(id: id, error: error, allocator: allocator))
        return false
    }

    /// `flush_cache`: empties the answer cache for everyone; replies `{"flushed": n}`.
    private func flushCache(id: Int64) {
        guard requireAdmin(id: id, op: "flush_cache") else { return }
        let flushed = server.lookups.flushCache()
        server.logger.notice("cache flushed", metadata: ["entries": "\(flushed)", "peer": "\(peer.map(\.description) ?? "unknown")"])
        write(ReplyEncoder.success(id: id, allocator: allocator) { buffer in
            buffer.writeStaticString("{\"flushed\":")
            buffer.writeJSONInteger(flushed)
            buffer.writeStaticString("}")
        })
    }

    /// `reload`: the same reload as SIGHUP; 0 once it took, else the reason it did not.
    private func reload(id: Int64) {
        guard let context, requireAdmin(id: id, op: "reload") else { return }
        server.logger.notice("reload requested", metadata: ["peer": "\(peer.map(\.description) ?? "unknown")"])
        pendingAdminOps += 1
        let admin = server.admin
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: Result<Void, ConfigurationError>.self)
        promise.completeWithTask { await admin.reload() }
        promise.futureResult.whenSuccess { outcome in
            let this = handler.value
            this.pendingAdminOps -= 1
            switch outcome {
            case .success:
                this.write(ReplyEncoder.success(id: id, allocator: this.allocator) { $0.writeStaticString("{}") })
            case .failure(let error):
                this.write(ReplyEncoder.failure(
                    id: id, error: .invalidArgument("reload failed; the running configuration is kept: \(error)"), allocator: this.allocator))
            }
            if this.inputClosed && this.inFlight.isEmpty && this.pendingAdminOps == 0 { this.closeAfterWrites() }
        }
    }
}

// MARK: - Writing

extension ConnectionHandler {
    private var allocator: ByteBufferAllocator {
        context?.channel.allocator ?? ByteBufferAllocator()
    }

    private func protocolError(_ message: String, close: Bool) {
        server.stats.protocolErrors.add(1, ordering: .relaxed)
        write(ReplyEncoder.failure(id: nil, error: .invalidArgument(message), allocator: allocator))
        if close {
            closing = true
            closeAfterWrites()
        }
    }

    /// Queues a reply line.
    private func write(_ buffer: ByteBuffer) {
        appendOutput { output in output.writeImmutableBuffer(buffer) }
    }

    /// Queues a reply line, encoded straight into the output buffer.
    private func writeLine<Line: JSONWritable>(_ line: Line) {
        appendOutput { output in output.writeJSON(line) }
    }

    /// Replies queued during a read burst go out when it ends (`channelReadComplete`), those
    /// of a drain at its end; anything else is flushed by a task, once per event loop tick.
    /// Either way a burst of replies is one buffer, one pipeline write and one system call.
    private func appendOutput(_ append: (inout ByteBuffer) -> Void) {
        guard let context else { return }
        if output == nil { output = context.channel.allocator.buffer(capacity: 16 << 10) }
        append(&output!)
        guard !flushPending else { return }
        flushPending = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { handler.value.flushOutput() }
    }

    private func flushOutput() {
        flushPending = false
        guard let context else { return }
        if let output, output.readableBytes > 0 {
            context.write(wrapOutboundOut(output), promise: nil)
        }
        output = nil
        context.flush()
    }

    private func closeAfterWrites() {
        guard let context else { return }
        closing = true
        flushOutput()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            channel.close(promise: nil)
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

/// CLOCK_MONOTONIC in microseconds, for lookup latency.
enum MonotonicClockMicroseconds {
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000 + UInt64(spec.tv_nsec) / 1000
    }
}
