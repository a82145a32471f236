#if canImport(Glibc)
import Glibc
#endif

import NIOCore
import ResolverCore

/// DNS over TCP framing (RFC 1035 §4.2.2): a two-byte length, then the message. A zero
/// length is malformed and closes the connection.
struct StubTCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct ZeroLength: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return .needMoreData }
        guard length > 0 else { throw ZeroLength() }
        guard buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

/// The stub listener on one TCP connection (RFC 7766): queries may be pipelined and each
/// is answered as it completes, in any order, whole (TC is never set over TCP).
///
/// Bounds: `dns_max_queries_per_tcp_connection` questions in flight (more are answered
/// REFUSED); the connection is closed after `dns_tcp_idle_timeout_ms` with no question in
/// flight and nothing read; past `max_queued_reply_bytes` of answers unread the connection
/// is not read until half of them are read, and the questions of the read burst it is in
/// wait unanswered until then (``BackPressuredConnection``, shared with v1, Varlink and the
/// metrics endpoint). When the connection closes, every question still in flight
/// is cancelled: its waiter leaves the lookup (detached or abandoned by the cache's rules)
/// and counts as aborted. There is no half-closure: a client's end of input closes the
/// connection (a client that closed could not be told from one that only shut down its
/// sending side until an answer is written, and a closed one must not hold lookups).
/// Confined to the channel's event loop.
final class DNSStubTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let lookups: DNSStubLookups
    private let owner: StubOwner
    private var inFlight = StubInFlight<UInt64>()
    private var nextQuestion: UInt64 = 0
    private(set) var context: ChannelHandlerContext?
    /// Questions read while the client's answers are unread past the bound: answered once it
    /// has read half of them, never if it closes first. Without it, every question of the
    /// read burst in hand when the bound was crossed (hundreds of KiB: thousands of
    /// questions) was answered at once, holding the event loop — and every other client on
    /// it — while a client that never reads had their answers queued past the bound.
    var backPressure = ReplyBackPressure<ByteBuffer>()

    /// The `clients` counters of the peer's uid, when the kernel named one.
    private var client: ClientCounters?

    init(lookups: DNSStubLookups, source: String, uid: uid_t?) {
        self.lookups = lookups
        self.owner = StubOwner(uid: uid, source: source, connection: LookupService.makeConnectionID())
        self.client = lookups.register(uid)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        setWriteBufferWaterMarks(context: context, bound: lookups.server.limits.maxQueuedReplyBytes)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        backPressure.channelInactive()  // held questions are never answered: the client left
        cancelAll()
        lookups.release(client)
        client = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        runOrHold(unwrapInboundIn(data))
    }

    /// One question, read just now or held until now.
    func runRequest(_ frame: ByteBuffer) {
        guard let context else { return }
        let query: StubQuery
        do {
            query = try StubQuery(parsing: frame.readableBytesView)
        } catch {
            lookups.server.stats.protocolErrors.add(1, ordering: .relaxed)
            guard case .answer(let head) = error else {
                context.close(promise: nil)  // a response, or no header: not a DNS client
                return
            }
            write(StubReplyEncoder.encode(head, limit: StubReplyEncoder.tcpLimit))
            return
        }
        guard inFlight.count < lookups.server.limits.dnsMaxQueriesPerTCPConnection else {
            lookups.server.stats.rejected.add(1, ordering: .relaxed)
            write(StubReplyEncoder.encode(query.replyHead(.refused), limit: StubReplyEncoder.tcpLimit))
            return
        }
        let number = nextQuestion
        nextQuestion += 1
        let question = StubQuestion(query)
        inFlight.insert(number, question, startedAt: lookups.begin(question, client: client))
        let head = query.replyHead(.noError)
        let ticket = lookups.ask(question, owner: owner, on: context.eventLoop) { [self] answer in
            answered(number, head: head, answer)
        }
        inFlight.setTicket(ticket, for: number)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is IdleStateHandler.IdleStateEvent:
            if inFlight.count == 0 { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        backPressureWritabilityChanged(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        lookups.server.logger.debug("dns stub tcp error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func answered(_ number: UInt64, head: StubReplyHead, _ answer: StubAnswer) {
        guard let entry = inFlight.remove(number) else { return }
        lookups.end(entry.startedAt, entry.question, answer, owner: owner, client: client)
        var head = head
        head.rcode = answer.rcode
        write(StubReplyEncoder.encode(head, answer: answer.answer, authority: answer.authority, limit: StubReplyEncoder.tcpLimit))
    }

    private func write(_ message: [UInt8]) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: message.count + 2)
        buffer.writeInteger(UInt16(message.count))
        buffer.writeBytes(message)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Every question still in flight leaves its lookup; each counts as aborted.
    private func cancelAll() {
        for entry in inFlight.removeAll() {
            entry.ticket?.cancel()
            lookups.end(entry.startedAt, entry.question, nil, owner: owner, client: client)
        }
    }
}

extension DNSStubTCPHandler: BackPressuredConnection {
    /// Every answer is flushed as it is written: nothing is batched.
    func heldFramesRan() {}

    /// Never held: there is no half-closure (the end of input closes the connection).
    func heldInputClosed() {}
}
