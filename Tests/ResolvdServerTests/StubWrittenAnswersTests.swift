import Logging
import NIOCore
import NIOEmbedded
import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

/// The DNS stub's written replies (``StubWrittenAnswers``): served again only while the
/// cache entries they came from hold — checked by the service (``LookupService/stillHolds(_:now:)``)
/// — and right for any query with the same question (its id, RD/CD, OPT), TTLs counted down.
@Suite struct StubWrittenAnswersTests {
    static let www = DNSQuestion(name: "www.example.test", type: DNSQuestion.a)

    static func service() throws -> (LookupService, RefusingPort) {
        let refusing = try RefusingPort()
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: refusing.serverAddress)])
        configuration.hostsFile = nil
        let service = LookupService(resolver: try CoreResolver(configuration: configuration), cacheEnabled: true, settings: .init())
        return (service, refusing)
    }

    static func store(_ address: String, in service: LookupService, ttl: UInt32 = 300, now: UInt64 = MonotonicClock.milliseconds()) {
        service.state.withLockedValue { state in
            state.cache.store(
                .records(chain: [], records: [DNSRecord(name: "www.example.test", ttl: ttl, data: .a(address: address))]),
                for: QuestionKey(www), now: now)
        }
    }

    /// A query for www.example.test A with `id`, an OPT when `edns`.
    static func query(id: UInt16, name: [String] = ["www", "example", "test"], edns: Bool) -> [UInt8] {
        StubWireTests.query(id: id, name: name, type: 1, opt: edns ? (1232, 0, false) : nil)
    }

    /// Each change that must stop a written answer from being served stops it: a route
    /// change (the same entries, a new generation), `flush_cache`, the entry stored again,
    /// the last tenth of its TTL.
    @Test func anAnswersProvenanceHoldsUntilTheCacheChanges() throws {
        let (service, refusing) = try Self.service()
        defer { refusing.stop() }
        Self.store("192.0.2.10", in: service)
        let now = MonotonicClock.milliseconds()
        let (_, first) = try #require(service.cachedAnswer(Self.www))
        #expect(service.stillHolds(first, now: now))
        _ = service.replace(routes: service.routes)
        #expect(!service.stillHolds(first, now: now), "a route change: its entries are unchanged, the generation is not")
        let (_, second) = try #require(service.cachedAnswer(Self.www))
        #expect(service.stillHolds(second, now: now))
        Self.store("192.0.2.11", in: service)
        #expect(!service.stillHolds(second, now: now), "stored again (a refresh)")
        let (_, third) = try #require(service.cachedAnswer(Self.www))
        #expect(service.stillHolds(third, now: now))
        #expect(!service.stillHolds(third, now: third.madeAt + 270_000), "the last tenth of a 300 s TTL")
        _ = service.flushCache()
        #expect(!service.stillHolds(third, now: now))
        #expect(service.cachedAnswer(Self.www) == nil)
    }

    /// Through the UDP handler: the second query (another id, no OPT) gets the bytes a fresh
    /// encoding would give it, from the written reply; an entry stored again is seen at once.
    @Test func theHandlerWritesTheSameReplyForAnotherQueryAndSeesTheCacheChange() throws {
        let (service, refusing) = try Self.service()
        defer { refusing.stop() }
        let server = ServerContext(
            lookups: service, limits: DaemonConfiguration.Limits(), stats: ServerStats(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let answering = LookupServiceStubAnswering(lookups: service)
        let handler = DNSStubUDPHandler(lookups: DNSStubLookups(server: server, answering: answering))
        let channel = EmbeddedChannel(handler: handler)
        let client = try SocketAddress(ipAddress: "192.0.2.1", port: 5353)  // not loopback: no uid to ask
        func ask(_ bytes: [UInt8]) throws -> [UInt8] {
            try channel.writeInbound(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: bytes)))
            channel.pipeline.fireChannelReadComplete()
            let reply = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
            return Array(reply.data.readableBytesView)
        }
        Self.store("192.0.2.10", in: service)
        let first = try ask(Self.query(id: 1, edns: true))
        #expect(handler.writtenAnswerCount == 1)
        let second = try ask(Self.query(id: 2, edns: false))
        let fresh = try StubQuery(parsing: Self.query(id: 2, edns: false))
        let (outcome, _) = try #require(service.cachedAnswer(Self.www))
        let expected = StubReplyEncoder.encode(
            fresh.replyHead(.noError), answer: LookupServiceStubAnswering.answer(outcome, source: .cache).answer, limit: 512)
        #expect(second == expected)
        #expect(Array(first.dropFirst(2).prefix(10)) == Array(second.dropFirst(2).prefix(8)) + [0, 1], "the same flags and counts, an OPT")
        // Stored again with another address: the written reply no longer holds.
        Self.store("192.0.2.11", in: service)
        let third = try ask(Self.query(id: 3, edns: false))
        #expect(Array(third.suffix(4)) == [192, 0, 2, 11])
        #expect(handler.writtenAnswerCount == 1)
        #expect(server.stats.lookups.load(ordering: .relaxed) == 3)
    }

    /// TTLs count down from when the reply was written; past their end they stay 0.
    @Test func ttlsCountDownFromWhenTheReplyWasWritten() throws {
        let head = try StubQuery(parsing: Self.query(id: 7, edns: false)).replyHead(.noError)
        let record = DNSRecord(name: "www.example.test", ttl: 300, data: .a(address: "192.0.2.10"))
        let reply = StubReplyEncoder.encode(head, answer: [record], limit: 512)
        var written = StubWrittenAnswers()
        var answer = StubAnswer(rcode: .noError, answer: [record], status: .noError, source: .cache, fromCache: true)
        answer.provenance = AnswerProvenance(
            dependencies: [ComposedAnswers.Dependency(slot: 0, stamp: 1, expiresAt: .max, refreshAt: .max)], generation: 0, madeAt: 10_000)
        written.store(question: head.question!, reply: reply, answer: answer)
        let entry = try #require(written.entry(for: head.question!))
        #expect(StubReplyEncoder.reply(head, from: entry, now: 10_999, limit: 512) == reply)
        let later = try #require(StubReplyEncoder.reply(head, from: entry, now: 72_500, limit: 512))
        #expect(try DNSMessage(parsing: later).answers.map(\.ttl) == [238])
        let past = try #require(StubReplyEncoder.reply(head, from: entry, now: 1_000_000, limit: 512))
        #expect(try DNSMessage(parsing: past).answers.map(\.ttl) == [0])
        #expect(StubReplyEncoder.reply(head, from: entry, now: 10_000, limit: reply.count - 1) == nil, "longer than the limit: the full path")
    }

    /// The bound: a store past `maxEntries` empties the table first (it is only a shortcut).
    @Test func theTableIsBoundedByEntries() throws {
        var written = StubWrittenAnswers()
        let record = DNSRecord(name: "www.example.test", ttl: 300, data: .a(address: "192.0.2.10"))
        var answer = StubAnswer(rcode: .noError, answer: [record], status: .noError, source: .cache, fromCache: true)
        answer.provenance = AnswerProvenance(dependencies: [], generation: 0, madeAt: 0)
        var largest = 0
        for index in 0...StubWrittenAnswers.maxEntries {
            let head = try StubQuery(parsing: Self.query(id: 1, name: ["n\(index)", "example", "test"], edns: false)).replyHead(.noError)
            written.store(question: head.question!, reply: StubReplyEncoder.encode(head, answer: [record], limit: 512), answer: answer)
            largest = max(largest, written.count)
        }
        #expect(largest == StubWrittenAnswers.maxEntries, "the bound was reached")
        #expect(written.count == 1, "and the store past it emptied the table")
        #expect(written.bytes < StubWrittenAnswers.maxBytes)
    }
}
