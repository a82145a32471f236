#if canImport(Glibc)
import Glibc
#endif

import NIOCore
import ResolverCore

/// The stub listener on one UDP socket: each datagram is a query (``StubQuery``), asked of
/// ``StubAnswering`` and answered with one datagram (``StubReplyEncoder``) no larger than
/// the client may receive (TC=1 beyond it).
///
/// A source is the sending socket's uid when it is local (loopback: ``StubSourceUID``),
/// else its address. Bounds: `dns_max_queries_per_source` questions in flight per source and
/// `dns_max_queries` on every stub socket together; a question over either is answered
/// REFUSED at once (counted in `stats.rejected`). A question repeated while the first is in
/// flight (same source address and port, id and question) joins it: one lookup, one reply.
/// A reply the socket cannot take now (its send buffer and NIO's queue past
/// `max_queued_reply_bytes`) is dropped, as the network could have dropped it; the client
/// asks again. Everything here runs on the channel's event loop.
final class DNSStubUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    struct Key: Hashable {
        let remote: SocketAddress
        let id: UInt16
        let question: [UInt8]

        /// The question's bytes as one block: the synthesized hash fed them to the hasher
        /// one byte at a time.
        func hash(into hasher: inout Hasher) {
            hasher.combine(remote)
            hasher.combine(id)
            question.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// One source's questions in flight, its queue in the upstream share and its uid's
    /// `clients` counters; kept while it has questions in flight.
    private struct Source {
        var inFlight = 0
        let connection = LookupService.makeConnectionID()
        let client: ClientCounters?
    }

    private let lookups: DNSStubLookups
    private var inFlight = StubInFlight<Key>()
    /// Replies written from the cache, to write again while they hold.
    private var writtenAnswers = StubWrittenAnswers()
    /// By source: the sending socket's uid on loopback (``StubSourceUID``), else its address.
    private var sources: [String: Source] = [:]
    private var uids = StubSourceUID()
    /// The loopback clients of this read burst: each socket's uid, asked of the kernel once
    /// (a burst's datagrams were all queued before it was read, so one ask answers for a
    /// socket's others; each is a netlink round trip), and its uid's `clients` counters,
    /// registered once. Nothing is kept past the burst.
    private var burstClients: [(address: SocketAddress, uid: uid_t?, counters: ClientCounters?)] = []
    private var context: ChannelHandlerContext?
    /// Answers written since the last flush: one flush per burst of answers.
    private var unflushed = false
    /// True while the `channelRead` calls of one burst run: their answers (cache hits,
    /// answered inside `ask`) are flushed once, at its end.
    private var reading = false

    /// Written replies kept (tests).
    var writtenAnswerCount: Int { writtenAnswers.count }

    init(lookups: DNSStubLookups) {
        self.lookups = lookups
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        uids.close()
        endBurst()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reading = true
        let envelope = unwrapInboundIn(data)
        let query: StubQuery
        do {
            query = try StubQuery(parsing: envelope.data.readableBytesView)
        } catch {
            guard case .answer(let head) = error else { return }
            lookups.server.stats.protocolErrors.add(1, ordering: .relaxed)
            send(StubReplyEncoder.encode(head, limit: 512), to: envelope.remoteAddress)
            return
        }
        let key = Key(remote: envelope.remoteAddress, id: query.id, question: query.question)
        guard !inFlight.contains(key) else { return }  // a repeat joins the first
        var uid: uid_t?
        var counters: ClientCounters?
        if StubSourceUID.isLoopback(envelope.remoteAddress), let local = context.channel.localAddress {
            (uid, counters) = burstClient(envelope.remoteAddress, server: local)
        }
        let address = uid.map { "uid \($0)" } ?? envelope.remoteAddress.ipAddress ?? "?"
        let question = StubQuestion(query)
        // A cache hit (or localhost, NOTIMP) holds nothing: no bound to check, nothing in flight.
        if answerAtOnce(query, question, owner: StubOwner(uid: uid, source: address, connection: 0), client: counters, to: key.remote) { return }
        let limits = lookups.server.limits
        var source = sources[address] ?? Source(client: nil)
        guard source.inFlight < limits.dnsMaxQueriesPerSource,
              lookups.udpInFlight.add(1, ordering: .relaxed).newValue <= limits.dnsMaxQueries
        else {
            if source.inFlight < limits.dnsMaxQueriesPerSource { lookups.udpInFlight.subtract(1, ordering: .relaxed) }
            lookups.server.stats.rejected.add(1, ordering: .relaxed)
            send(StubReplyEncoder.encode(query.replyHead(.refused), limit: 512), to: envelope.remoteAddress)
            return
        }
        if source.inFlight == 0 { source = Source(client: lookups.register(uid)) }
        source.inFlight += 1
        sources[address] = source
        let owner = StubOwner(uid: uid, source: address, connection: source.connection)
        inFlight.insert(key, question, startedAt: lookups.begin(question, client: source.client))
        let head = query.replyHead(.noError)
        let limit = query.udpReplyLimit(serverSize: Int(StubReplyEncoder.advertisedUDPSize))
        let ticket = lookups.ask(question, owner: owner, on: context.eventLoop) { [self] answer in
            answered(key, head: head, limit: limit, answer, owner: owner)
        }
        inFlight.setTicket(ticket, for: key)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        reading = false
        endBurst()
        flushIfNeeded()
    }

    /// The uid of the loopback socket at `client` and its counters, once per read burst (a
    /// linear search: a burst holds at most ``DNSStubServer/datagramsPerRead`` datagrams).
    private func burstClient(_ client: SocketAddress, server: SocketAddress) -> (uid_t?, ClientCounters?) {
        if let known = burstClients.first(where: { $0.address == client }) { return (known.uid, known.counters) }
        let uid = uids.uid(client: client, server: server, tcp: false)
        let counters = lookups.register(uid)
        burstClients.append((client, uid, counters))
        return (uid, counters)
    }

    private func endBurst() {
        for client in burstClients { lookups.release(client.counters) }
        burstClients.removeAll(keepingCapacity: true)
    }

    /// Answers `query` when that needs no waiting — a reply written earlier that still
    /// holds (``StubWrittenAnswers``), else an answer the service has at once (kept for next
    /// time when it is the cache's) — counted like any other; false when it must be asked.
    private func answerAtOnce(_ query: StubQuery, _ question: StubQuestion, owner: StubOwner, client: ClientCounters?, to remote: SocketAddress) -> Bool {
        let head = query.replyHead(.noError)
        let limit = query.udpReplyLimit(serverSize: Int(StubReplyEncoder.advertisedUDPSize))
        var reply: (answer: StubAnswer, bytes: [UInt8])?
        if let written = writtenAnswers.entry(for: query.question) {
            let now = MonotonicClock.milliseconds()
            if !lookups.answering.stillHolds(written.provenance, now: now) {
                writtenAnswers.remove(query.question)
            } else if let bytes = StubReplyEncoder.reply(head, from: written, now: now, limit: limit) {
                reply = (written.answer, bytes)
            }
        }
        if reply == nil, let answer = lookups.answering.answerAtOnce(question) {
            var answerHead = head
            answerHead.rcode = answer.rcode
            let bytes = StubReplyEncoder.encode(answerHead, answer: answer.answer, authority: answer.authority, limit: limit)
            let truncated = bytes[2] & 0x02 != 0  // TC: the whole answer did not fit
            if answer.provenance != nil, !truncated { writtenAnswers.store(question: query.question, reply: bytes, answer: answer) }
            reply = (answer, bytes)
        }
        guard let reply else { return false }
        let startedAt = lookups.begin(question, client: client)
        lookups.end(startedAt, question, reply.answer, owner: owner, client: client)
        send(reply.bytes, to: remote)
        if !reading { flushIfNeeded() }
        return true
    }

    private func answered(_ key: Key, head: StubReplyHead, limit: Int, _ answer: StubAnswer, owner: StubOwner) {
        guard let entry = inFlight.remove(key) else { return }
        lookups.udpInFlight.subtract(1, ordering: .relaxed)
        let client = sources[owner.source]?.client
        if var source = sources[owner.source] {
            source.inFlight -= 1
            sources[owner.source] = source.inFlight == 0 ? nil : source
        }
        lookups.end(entry.startedAt, entry.question, answer, owner: owner, client: client)
        if sources[owner.source] == nil { lookups.release(client) }
        var head = head
        head.rcode = answer.rcode
        send(StubReplyEncoder.encode(head, answer: answer.answer, authority: answer.authority, limit: limit), to: key.remote)
        // Answers that arrive outside a read burst are flushed at once.
        if !reading { flushIfNeeded() }
    }

    private func send(_ bytes: [UInt8], to remote: SocketAddress) {
        guard let context else { return }
        guard context.channel.isWritable else {
            lookups.server.stats.rejected.add(1, ordering: .relaxed)
            return
        }
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: buffer)), promise: nil)
        unflushed = true
    }

    private func flushIfNeeded() {
        guard unflushed, let context else { return }
        unflushed = false
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram socket's errors (ICMP unreachable for a client gone) concern one client.
        lookups.server.logger.debug("dns stub udp error", metadata: ["error": "\(error)"])
    }
}
