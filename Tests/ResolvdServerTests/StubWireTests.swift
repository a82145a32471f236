import ResolverCore
import Testing

@testable import ResolvdServer

/// The DNS stub's wire layer on its own, without sockets: ``StubQuery``'s checks (and the
/// RCODE each failure gets) and ``StubReplyEncoder``'s replies, byte for byte where it matters.
@Suite struct StubWireTests {
    /// A query: header, one question, optionally an OPT (`udpSize`, `version`, DO).
    static func query(
        id: UInt16 = 0x1234, flags: UInt16 = 0x0100, name: [String] = ["WwW", "Example", "test"], type: UInt16 = 1,
        qdcount: UInt16 = 1, opt: (size: UInt16, version: UInt8, dnssecOK: Bool)? = nil, extra: [UInt8] = []
    ) -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ value: UInt16) { out += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        u16(id); u16(flags); u16(qdcount); u16(0); u16(0); u16(opt == nil ? 0 : 1)
        for label in name {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        out.append(0)
        u16(type); u16(1)
        if let opt {
            out.append(0); u16(41); u16(opt.size); out.append(0); out.append(opt.version); u16(opt.dnssecOK ? 0x8000 : 0); u16(0)
        }
        return out + extra
    }

    private func rejection(_ bytes: [UInt8]) -> StubQuery.Rejection? {
        do {
            _ = try StubQuery(parsing: bytes)
            return nil
        } catch {
            return error
        }
    }

    private func rcode(_ bytes: [UInt8]) -> DNSResponseCode? {
        guard case .answer(let head)? = rejection(bytes) else { return nil }
        return head.rcode
    }

    @Test func aPlainQueryParses() throws {
        let query = try StubQuery(parsing: Self.query(type: 28))
        #expect(query.id == 0x1234)
        #expect(query.recursionDesired)
        #expect(!query.checkingDisabled)
        #expect(query.name == "WwW.Example.test")
        #expect(query.type == 28 && query.qclass == 1)
        #expect(query.edns == nil)
        #expect(query.udpReplyLimit(serverSize: 1232) == 512)
        #expect(Array(query.nameWire) == [3] + Array("WwW".utf8) + [7] + Array("Example".utf8) + [4] + Array("test".utf8) + [0])
    }

    @Test func ednsIsRead() throws {
        let query = try StubQuery(parsing: Self.query(flags: 0x0110, opt: (4096, 0, true)))
        #expect(query.edns == StubQuery.EDNS(udpSize: 4096, version: 0, dnssecOK: true))
        #expect(query.checkingDisabled)
        #expect(query.udpReplyLimit(serverSize: 1232) == 1232)
        let small = try StubQuery(parsing: Self.query(opt: (100, 0, false)))
        #expect(small.udpReplyLimit(serverSize: 1232) == 512)
    }

    @Test func malformedQueriesAreFormErr() {
        #expect(rcode(Self.query(qdcount: 0)) == .formatError)
        #expect(rcode(Self.query(qdcount: 2)) == .formatError)
        #expect(rcode(Array(Self.query().dropLast(3))) == .formatError)  // question cut short
        #expect(rcode(Self.query(extra: [0])) == .formatError)  // trailing garbage
        #expect(rcode(Self.query(name: [String(repeating: "a", count: 64)])) == .formatError)  // label too long
        var pointer = Self.query()
        pointer[12] = 0xC0  // a compression pointer in the question
        #expect(rcode(pointer) == .formatError)
        var withAnswer = Self.query()
        withAnswer[7] = 1  // ANCOUNT 1 with no record
        #expect(rcode(withAnswer) == .formatError)
        // Two OPT records.
        var twoOPT = Self.query(opt: (1232, 0, false))
        twoOPT += twoOPT.suffix(11)
        twoOPT[11] = 2
        #expect(rcode(twoOPT) == .formatError)
    }

    @Test func otherOpcodesAreNotImp() {
        #expect(rcode(Self.query(flags: 0x0100 | 2 << 11)) == .notImplemented)  // STATUS
        #expect(rcode(Self.query(flags: 4 << 11)) == .notImplemented)  // NOTIFY
        guard case .answer(let head)? = rejection(Self.query(flags: 0x0100 | 2 << 11)) else { Issue.record("no answer"); return }
        let reply = StubReplyEncoder.encode(head, limit: 512)
        #expect(reply[2] & 0x78 == 2 << 3)  // the opcode copied back
    }

    @Test func zoneTransfersAreRefused() {
        #expect(rcode(Self.query(type: 252)) == .refused)
        #expect(rcode(Self.query(type: 251)) == .refused)
    }

    @Test func ednsVersionOtherThanZeroIsBadVers() throws {
        guard case .answer(let head)? = rejection(Self.query(opt: (1232, 1, false))) else { Issue.record("accepted"); return }
        #expect(head.rcode == .badVersion)
        let reply = StubReplyEncoder.encode(head, limit: 512)
        // Header RCODE 0, extended RCODE 1 in the OPT's TTL: 16 = 1 << 4 | 0.
        #expect(reply[3] & 0x0F == 0)
        let opt = reply.suffix(11)
        #expect(Array(opt.prefix(3)) == [0, 0, 41])
        #expect(opt[opt.startIndex + 5] == 1)
    }

    @Test func responsesAndRuntsAreIgnored() {
        #expect(rejection(Self.query(flags: 0x8100)) == .ignore)
        #expect(rejection([0x12, 0x34, 1]) == .ignore)
    }

    @Test func theReplyEchoesIdQuestionAndFlags() throws {
        let bytes = Self.query(flags: 0x0110, opt: (4096, 0, true))
        let query = try StubQuery(parsing: bytes)
        var head = query.replyHead(.noError)
        head.rcode = .noError
        let record = DNSRecord(name: "www.example.test", ttl: 300, data: .a(address: "192.0.2.10"))
        let reply = StubReplyEncoder.encode(head, answer: [record], limit: 1232)
        #expect(Array(reply[0..<2]) == [0x12, 0x34])
        #expect(reply[2] & 0x80 != 0)  // QR
        #expect(reply[2] & 0x01 != 0)  // RD copied
        #expect(reply[3] & 0x80 != 0)  // RA
        #expect(reply[3] & 0x10 != 0)  // CD copied
        #expect(Array(reply[4..<12]) == [0, 1, 0, 1, 0, 0, 0, 1])
        #expect(Array(reply[12..<(12 + query.question.count)]) == query.question)  // case as sent
        let answer = reply[(12 + query.question.count)...]
        #expect(Array(answer.prefix(2)) == [0xC0, 12])  // the owner points at the question
        #expect(Array(answer.dropFirst(12).prefix(4)) == [192, 0, 2, 10])
        let message = try DNSMessage(parsing: reply)
        #expect(message.answers == [DNSRecord(name: "WwW.Example.test", ttl: 300, data: .a(address: "192.0.2.10"))])
        // The OPT back: resolvd's size, DO copied.
        let opt = Array(reply.suffix(11))
        #expect(opt[3...4] == [UInt8(StubReplyEncoder.advertisedUDPSize >> 8), UInt8(StubReplyEncoder.advertisedUDPSize & 0xFF)])
        #expect(opt[7] == 0x80)
    }

    @Test func noOPTBackWithoutOne() throws {
        let query = try StubQuery(parsing: Self.query())
        let reply = StubReplyEncoder.encode(query.replyHead(.nameError), limit: 512)
        #expect(reply.count == 12 + query.question.count)
        #expect(reply[3] & 0x0F == 3)
        #expect(reply[11] == 0)
    }

    @Test func aLongAnswerIsTruncatedToTheClientsSize() throws {
        let query = try StubQuery(parsing: Self.query(type: 16))
        let records = (0..<40).map { index in
            DNSRecord(name: "www.example.test", ttl: 60, data: .txt(strings: [String(repeating: "x", count: 40) + "\(index)"]))
        }
        let whole = StubReplyEncoder.encode(query.replyHead(.noError), answer: records, limit: StubReplyEncoder.tcpLimit)
        #expect(whole.count > 512)
        #expect(whole[2] & 0x02 == 0)
        let cut = StubReplyEncoder.encode(query.replyHead(.noError), answer: records, limit: query.udpReplyLimit(serverSize: 1232))
        #expect(cut.count <= 512)
        #expect(cut[2] & 0x02 != 0)  // TC
        #expect(Array(cut[12...]) == query.question)
    }

    @Test func rawRecordsPassThrough() throws {
        let query = try StubQuery(parsing: Self.query(type: 65))
        let raw = DNSRecord(name: "www.example.test", ttl: 30, data: .unknown(type: 65, rdata: [0, 1, 0]))
        let reply = StubReplyEncoder.encode(query.replyHead(.noError), answer: [raw], limit: 512)
        #expect(Array(reply.suffix(15)) == [0xC0, 12, 0, 65, 0, 1, 0, 0, 0, 30, 0, 3, 0, 1, 0])
    }

    @Test func namesWithEscapesRoundTrip() throws {
        let query = try StubQuery(parsing: Self.query(name: ["a.b", "c\u{7}d", "x"]))
        #expect(query.name == #"a\.b.c\007d.x"#)
        #expect(StubReplyEncoder.wireName(query.name) == Array(query.nameWire))
        // The same escapes in record data: a CNAME target with a dot inside a label.
        let cname = DNSRecordData.cname(target: #"a\.b.example"#).wireFormat
        #expect(cname == [3] + Array("a.b".utf8) + [7] + Array("example".utf8) + [0])
    }

    @Test func reverseNamesGiveAddresses() {
        #expect(StubLocalNames.address(ofReverseName: "10.2.0.192.in-addr.arpa") == "192.0.2.10")
        #expect(StubLocalNames.address(ofReverseName: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa") == "::1")
        #expect(StubLocalNames.address(ofReverseName: "256.2.0.192.in-addr.arpa") == nil)
        #expect(StubLocalNames.address(ofReverseName: "www.example.test") == nil)
    }

    @Test func localhostIsAnsweredLocally() {
        let a = StubLocalNames.localhostAnswer(StubQuestion(name: "LocalHost", type: 1, qclass: 1))
        #expect(a?.answer == [DNSRecord(name: "LocalHost", ttl: 0, data: .a(address: "127.0.0.1"))])
        let aaaa = StubLocalNames.localhostAnswer(StubQuestion(name: "x.localhost", type: 28, qclass: 1))
        #expect(aaaa?.answer == [DNSRecord(name: "x.localhost", ttl: 0, data: .aaaa(address: "::1"))])
        let mx = StubLocalNames.localhostAnswer(StubQuestion(name: "localhost", type: 15, qclass: 1))
        #expect(mx?.rcode == .noError && mx?.answer == [])
        #expect(StubLocalNames.localhostAnswer(StubQuestion(name: "notlocalhost", type: 1, qclass: 1)) == nil)
    }
}
