import ResolverTesting
import Testing
@testable import ResolverCore

/// Builds DNS response messages byte by byte, for tests. Names are given as label lists or as
/// dotted strings (no escapes); with `compress`, a name's suffixes already written are replaced
/// by compression pointers, as a server would.
struct ResponseBuilder {
    enum Section { case question, answer, authority, additional }

    private(set) var bytes: [UInt8]
    var compress: Bool
    private var suffixOffsets: [[[UInt8]]: Int] = [:]
    private var counts: [Section: Int] = [:]

    init(id: UInt16 = 0xBEEF, flags: UInt16 = 0x8180, compress: Bool = true) {
        self.compress = compress
        bytes = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF)]
        bytes += [UInt8](repeating: 0, count: 8)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }
    mutating func u32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
    mutating func raw(_ values: [UInt8]) { bytes += values }
    mutating func characterString(_ text: String) { characterString(Array(text.utf8)) }
    mutating func characterString(_ value: [UInt8]) {
        u8(UInt8(value.count))
        bytes += value
    }

    mutating func name(_ dotted: String) {
        name(labels: dotted.isEmpty ? [] : dotted.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) })
    }

    mutating func name(labels: [[UInt8]]) {
        for i in labels.indices {
            let suffix = Array(labels[i...])
            if compress, let offset = suffixOffsets[suffix] {
                u16(0xC000 | UInt16(offset))
                return
            }
            if bytes.count < 0x3FFF { suffixOffsets[suffix] = bytes.count }
            characterString(labels[i])
        }
        u8(0)
    }

    mutating func question(_ dotted: String, type: UInt16) {
        counts[.question, default: 0] += 1
        name(dotted)
        u16(type)
        u16(1)
    }

    /// A record; `rdata` writes the RDATA, and RDLENGTH is filled in from what it wrote
    /// (plus `rdlengthAdjustment`, to build wrong lengths).
    mutating func record(
        _ section: Section, _ owner: String, type: UInt16, ttl: UInt32,
        rdlengthAdjustment: Int = 0, rdata: (inout ResponseBuilder) -> Void
    ) {
        counts[section, default: 0] += 1
        name(owner)
        u16(type)
        u16(1) // IN
        u32(ttl)
        let lengthAt = bytes.count
        u16(0)
        let start = bytes.count
        rdata(&self)
        let length = UInt16(bytes.count - start + rdlengthAdjustment)
        bytes[lengthAt] = UInt8(length >> 8)
        bytes[lengthAt + 1] = UInt8(length & 0xFF)
    }

    mutating func answer(_ owner: String, type: UInt16, ttl: UInt32, rdata: (inout ResponseBuilder) -> Void) {
        record(.answer, owner, type: type, ttl: ttl, rdata: rdata)
    }

    /// The message, with the section counts filled in.
    var message: [UInt8] {
        var result = bytes
        for (i, section) in [Section.question, .answer, .authority, .additional].enumerated() {
            let count = counts[section, default: 0]
            result[4 + 2 * i] = UInt8(count >> 8)
            result[5 + 2 * i] = UInt8(count & 0xFF)
        }
        return result
    }

    /// A 12-byte header with the given counts.
    static func header(id: UInt16 = 1, flags: UInt16 = 0x8180, qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF),
         UInt8(qd >> 8), UInt8(qd & 0xFF), UInt8(an >> 8), UInt8(an & 0xFF), UInt8(ns >> 8), UInt8(ns & 0xFF), 0, 0]
    }
}

@Suite struct DNSMessageTests {
    /// One record of every type DNSRecordType lists, plus an SOA in the authority section.
    static func everyTypeMessage(compress: Bool) -> [UInt8] {
        var b = ResponseBuilder(id: 0x4242, flags: 0x8580, compress: compress)
        b.question("Every.Example.test", type: 255)
        b.answer("Every.Example.test", type: 1, ttl: 300) { $0.raw([192, 0, 2, 7]) }
        b.answer("Every.Example.test", type: 28, ttl: 301) { $0.raw([0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]) }
        b.answer("alias.Example.test", type: 5, ttl: 302) { $0.name("Every.Example.test") }
        b.answer("Example.test", type: 2, ttl: 303) { $0.name("ns1.Example.test") }
        b.answer("7.2.0.192.in-addr.arpa", type: 12, ttl: 304) { $0.name("Every.Example.test") }
        b.answer("Example.test", type: 15, ttl: 305) {
            $0.u16(10)
            $0.name("mail.Example.test")
        }
        b.answer("_sip._tcp.Example.test", type: 33, ttl: 306) {
            $0.u16(1); $0.u16(5); $0.u16(5060)
            $0.name("sip.Example.test")
        }
        b.answer("Example.test", type: 16, ttl: 307) {
            $0.characterString("v=spf1 -all")
            $0.characterString("")
            $0.characterString([0x68, 0x69, 0xFF]) // invalid UTF-8
        }
        b.answer("Example.test", type: 257, ttl: 308) {
            $0.u8(0x80)
            $0.characterString("issue")
            $0.raw(Array("ca.example.net".utf8))
        }
        b.answer("Example.test", type: 35, ttl: 309) {
            $0.u16(100); $0.u16(10)
            $0.characterString("S")
            $0.characterString("SIP+D2U")
            $0.characterString("")
            $0.name("_sip._udp.Example.test")
        }
        b.record(.authority, "Example.test", type: 6, ttl: 3600) {
            $0.name("ns1.Example.test")
            $0.name("hostmaster.Example.test")
            $0.u32(2024010101); $0.u32(7200); $0.u32(900); $0.u32(1209600); $0.u32(60)
        }
        return b.message
    }

    @Test(arguments: [true, false])
    func parsesEveryTypeWithTTLs(compress: Bool) throws {
        let bytes = Self.everyTypeMessage(compress: compress)
        let message = try DNSMessage(parsing: bytes)
        #expect(message.id == 0x4242)
        #expect(message.rcode == 0)
        #expect(message.isResponse)
        #expect(message.isAuthoritative)
        #expect(!message.isTruncated)
        #expect(message.answers == [
            DNSRecord(name: "Every.Example.test", ttl: 300, data: .a(address: "192.0.2.7")),
            DNSRecord(name: "Every.Example.test", ttl: 301, data: .aaaa(address: "2001:db8::1")),
            DNSRecord(name: "alias.Example.test", ttl: 302, data: .cname(target: "Every.Example.test")),
            DNSRecord(name: "Example.test", ttl: 303, data: .ns(target: "ns1.Example.test")),
            DNSRecord(name: "7.2.0.192.in-addr.arpa", ttl: 304, data: .ptr(target: "Every.Example.test")),
            DNSRecord(name: "Example.test", ttl: 305, data: .mx(preference: 10, exchange: "mail.Example.test")),
            DNSRecord(name: "_sip._tcp.Example.test", ttl: 306, data: .srv(priority: 1, weight: 5, port: 5060, target: "sip.Example.test")),
            DNSRecord(name: "Example.test", ttl: 307, data: .txt(strings: ["v=spf1 -all", "", "hi\u{FFFD}"])),
            DNSRecord(name: "Example.test", ttl: 308, data: .caa(critical: true, tag: "issue", value: "ca.example.net")),
            DNSRecord(name: "Example.test", ttl: 309, data: .naptr(order: 100, preference: 10, flags: "S", service: "SIP+D2U", regexp: "", replacement: "_sip._udp.Example.test")),
        ])
        #expect(message.authority == [
            DNSRecord(name: "Example.test", ttl: 3600, data: .soa(
                mname: "ns1.Example.test", rname: "hostmaster.Example.test",
                serial: 2024010101, refresh: 7200, retry: 900, expire: 1209600, minimum: 60)),
        ])
        #expect(message.negativeTTL == 60)
    }

    @Test func compressionActuallyShortensTheFixture() {
        // Guards the test above: the compressed variant must really contain pointers.
        let compressed = Self.everyTypeMessage(compress: true)
        let plain = Self.everyTypeMessage(compress: false)
        #expect(compressed.count < plain.count - 100)
    }

    @Test func parsesFromAnAresCallbackBuffer() throws {
        let bytes = Self.everyTypeMessage(compress: true)
        let message = try bytes.withUnsafeBufferPointer { try DNSMessage(parsing: $0.baseAddress, length: $0.count) }
        #expect(message.answers.count == 10)
        #expect(throws: DNSMessage.ParseError.truncated) { try DNSMessage(parsing: nil, length: 0) }
    }

    @Test func cnameChainThenAddress() throws {
        var b = ResponseBuilder(id: 7)
        b.question("www.example.test", type: 1)
        b.answer("www.example.test", type: 5, ttl: 3600) { $0.name("edge.cdn.test") }
        b.answer("edge.cdn.test", type: 5, ttl: 120) { $0.name("pop3.edge.cdn.test") }
        b.answer("pop3.edge.cdn.test", type: 1, ttl: 20) { $0.raw([203, 0, 113, 255]) }
        b.answer("pop3.edge.cdn.test", type: 1, ttl: 20) { $0.raw([0, 0, 0, 0]) }
        let message = try DNSMessage(parsing: b.message)
        #expect(message.id == 7)
        #expect(message.answers.map(\.name) == ["www.example.test", "edge.cdn.test", "pop3.edge.cdn.test", "pop3.edge.cdn.test"])
        #expect(message.answers.map(\.ttl) == [3600, 120, 20, 20])
        #expect(message.answers[0].data == .cname(target: "edge.cdn.test"))
        #expect(message.answers[1].data == .cname(target: "pop3.edge.cdn.test"))
        #expect(message.answers[2].data == .a(address: "203.0.113.255"))
        #expect(message.answers[3].data == .a(address: "0.0.0.0"))
        #expect(message.negativeTTL == nil)
    }

    /// Told the question's name, the parser gives records that point at the question that
    /// string (no name built again) only when the question is written exactly so; the message
    /// it reads is the same either way — other names, other case, names written out in full.
    @Test func toldTheQuestionsNameTheParserReadsTheSameMessage() throws {
        for (asked, compress) in [("www.example.test", true), ("WWW.Example.TEST", true), ("www.example.test", false)] {
            var b = ResponseBuilder(id: 9, compress: compress)
            b.question(asked, type: 1)
            b.answer(asked, type: 5, ttl: 60) { $0.name("edge.cdn.test") }
            b.answer("edge.cdn.test", type: 1, ttl: 20) { $0.raw([192, 0, 2, 1]) }
            b.record(.authority, "example.test", type: 2, ttl: 30) { $0.name("ns.example.test") }
            let plain = try DNSMessage(parsing: b.message)
            #expect(plain.answers.map(\.name) == [asked, "edge.cdn.test"])
            for told in ["www.example.test", "WWW.Example.TEST", "example.test", "www.example.tes", "www.example.test.x", ""] {
                let message = try b.message.withUnsafeBytes { try DNSMessage(parsing: $0, questionName: told) }
                #expect(message.answers == plain.answers && message.authority == plain.authority, "asked \(asked), told \(told)")
            }
        }
    }

    @Test(arguments: [(UInt32(900), UInt32(300), UInt32(300)), (60, 300, 60)])
    func nxdomainWithSOAGivesTheNegativeTTL(soaTTL: UInt32, minimum: UInt32, expected: UInt32) throws {
        var b = ResponseBuilder(flags: 0x8183) // NXDOMAIN
        b.question("nope.example.test", type: 1)
        b.record(.authority, "example.test", type: 46, ttl: 5) { $0.raw([1, 2, 3]) } // RRSIG, kept opaque, not the SOA
        b.record(.authority, "example.test", type: 6, ttl: soaTTL) {
            $0.name("ns.example.test"); $0.name("admin.example.test")
            $0.u32(1); $0.u32(2); $0.u32(3); $0.u32(4); $0.u32(minimum)
        }
        let message = try DNSMessage(parsing: b.message)
        #expect(message.rcode == 3)
        #expect(message.answers.isEmpty)
        #expect(message.authority.map(\.typeName) == ["TYPE46", "SOA"])
        #expect(message.negativeTTL == expected)
    }

    /// Types resolvd has no parser for are kept as the upstream sent them (RFC 3597), RDATA
    /// unread — except those whose RDATA may hold compressed names (here MB, 7, and SIG,
    /// 24), which cannot be copied out of their message and are skipped.
    @Test func unknownTypesAreKeptOpaqueUnlessTheirRDATAMayHoldCompressedNames() throws {
        var b = ResponseBuilder()
        b.question("example.test", type: 1)
        b.answer("example.test", type: 99, ttl: 1) { $0.characterString("v=spf1") } // SPF
        b.answer("example.test", type: 1, ttl: 2) { $0.raw([10, 0, 0, 1]) }
        // Garbage RDATA, including a forward "pointer", in a type we do not parse: not looked at.
        b.answer("example.test", type: 65, ttl: 3) { $0.raw([0xC0, 0xFF, 0x40, 0x00]) }
        b.answer("example.test", type: 0xFFFE, ttl: 4) { _ in }
        b.answer("example.test", type: 7, ttl: 6) { $0.raw([0xC0, 12]) }  // MB: a compressed name
        b.answer("example.test", type: 24, ttl: 7) { $0.raw([0, 1]) }  // SIG
        b.answer("example.test", type: 1, ttl: 5) { $0.raw([10, 0, 0, 2]) }
        let message = try DNSMessage(parsing: b.message)
        #expect(message.answers == [
            DNSRecord(name: "example.test", ttl: 1, data: .unknown(type: 99, rdata: [6] + Array("v=spf1".utf8))),
            DNSRecord(name: "example.test", ttl: 2, data: .a(address: "10.0.0.1")),
            DNSRecord(name: "example.test", ttl: 3, data: .unknown(type: 65, rdata: [0xC0, 0xFF, 0x40, 0x00])),
            DNSRecord(name: "example.test", ttl: 4, data: .unknown(type: 0xFFFE, rdata: [])),
            DNSRecord(name: "example.test", ttl: 5, data: .a(address: "10.0.0.2")),
        ])
        #expect(message.answers.map(\.typeName) == ["TYPE99", "A", "TYPE65", "TYPE65534", "A"])
    }

    /// A DNSSEC-aware query: CD in the header, an OPT with DO and 1,232 bytes.
    @Test func dnssecQueriesCarryTheirBits() throws {
        let both = try #require(DNSQueryBuilder.query(id: 7, name: "a.test", type: 1, dnssec: [.dnssecOK, .checkingDisabled]))
        #expect(both[3] & 0x10 != 0)
        #expect(Array(both[10..<12]) == [0, 1])
        #expect(Array(both.suffix(11)) == [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0])
        let checking = try #require(DNSQueryBuilder.query(id: 7, name: "a.test", type: 1, dnssec: [.checkingDisabled]))
        #expect(checking == DNSQueryBuilder.query(id: 7, name: "a.test", type: 1).enumerated().map { $0.offset == 3 ? $0.element | 0x10 : $0.element })
        #expect(DNSQueryBuilder.query(id: 7, name: "a..test", type: 1, dnssec: [.dnssecOK]) == nil)
    }

    /// A DNSSEC question's reply is passed through whole: every answer and authority record.
    @Test func aDNSSECQuestionsReplyIsPassedThrough() throws {
        var b = ResponseBuilder(flags: 0x8183)
        b.question("nope.example.test", type: 1)
        b.record(.authority, "example.test", type: 47, ttl: 5) { $0.raw([0, 6, 0x40, 0, 0, 0, 0, 3]) }
        b.record(.authority, "example.test", type: 6, ttl: 60) {
            $0.name("ns.example.test"); $0.name("admin.example.test")
            $0.u32(1); $0.u32(2); $0.u32(3); $0.u32(4); $0.u32(60)
        }
        let message = try DNSMessage(parsing: b.message)
        guard case .passedThrough(let rcode, let answer, let authority) = QuestionOutcome(
            message, for: DNSQuestion(name: "nope.example.test", type: 1, dnssec: .dnssecOK))
        else {
            Issue.record("not passed through")
            return
        }
        #expect(rcode == 3 && answer.isEmpty)
        #expect(authority.map(\.typeName) == ["TYPE47", "SOA"])
        guard case .nameError = QuestionOutcome(message, for: DNSQuestion(name: "nope.example.test", type: 1)) else {
            Issue.record("a plain question's reply is read as before")
            return
        }
    }

    /// RFC 3597 §5's text form, written and read back.
    @Test func opaqueRDATAHasTheGenericTextForm() {
        let data = DNSRecordData.unknown(type: 65, rdata: [0, 1, 0, 0xAB])
        #expect(data.genericPresentation == ##"\# 4 000100ab"##)
        #expect(DNSRecordData(type: 65, genericPresentation: ##"\# 4 000100AB"##) == data)
        #expect(DNSRecordData(type: 65, genericPresentation: ##"\# 4 0001 00ab"##) == data, "hex may be split by spaces")
        #expect(DNSRecordData.unknown(type: 65, rdata: []).genericPresentation == ##"\# 0"##)
        #expect(DNSRecordData(type: 65, genericPresentation: ##"\# 0"##) == .unknown(type: 65, rdata: []))
        for bad in [##"\# 3 0001"##, "# 2 0001", ##"\# 2 00zz"##, ##"\# x"##, ##"\#"##] {
            #expect(DNSRecordData(type: 65, genericPresentation: bad) == nil, "\(bad)")
        }
        #expect(DNSRecordData.a(address: "192.0.2.1").genericPresentation == nil)
        #expect(DNSRecordData.isKeptOpaque(65) && DNSRecordData.isKeptOpaque(65_280))
        #expect(!DNSRecordData.isKeptOpaque(1) && !DNSRecordData.isKeptOpaque(41) && !DNSRecordData.isKeptOpaque(255) && !DNSRecordData.isKeptOpaque(7))
    }

    @Test func namesKeepTheirCaseAndEscapeLikeDig() throws {
        var b = ResponseBuilder()
        b.answer("WwW.ExAmPlE.TeSt", type: 1, ttl: 1) { $0.raw([1, 2, 3, 4]) }
        b.record(.answer, "", type: 1, ttl: 1) { $0.raw([1, 2, 3, 4]) }
        b.answer("example.test", type: 12, ttl: 1) {
            $0.name(labels: [Array("a.b".utf8), [0x20, 0x00, 0xFF, 0x7F], Array("q\\\"();@$_*-".utf8), Array("test".utf8)])
        }
        b.answer("example.test", type: 15, ttl: 1) { $0.u16(0); $0.name("") } // null MX
        let message = try DNSMessage(parsing: b.message)
        #expect(message.answers[0].name == "WwW.ExAmPlE.TeSt")
        #expect(message.answers[1].name == "")
        #expect(message.answers[2].data == .ptr(target: #"a\.b.\032\000\255\127.q\\\"\(\)\;\@\$_*-.test"#))
        #expect(message.answers[3].data == .mx(preference: 0, exchange: ""))
    }

    @Test func escapedNamesRoundTripThroughTheQueryBuilder() throws {
        let name = #"a\.b.\032\000\255.Example.test"#
        let query = DNSQueryBuilder.query(id: 9, name: name, type: 12)
        // A query is a message too: the same name must come back from the question's bytes.
        var b = ResponseBuilder(compress: false)
        b.record(.answer, "x", type: 5, ttl: 0) { $0.raw(Array(query[12..<(query.count - 4)])) }
        let message = try DNSMessage(parsing: b.message)
        #expect(message.answers[0].data == .cname(target: name))
    }

    @Test func queryBuilderWritesTheExpectedBytes() throws {
        let query = DNSQueryBuilder.query(id: 0xABCD, name: "example.com.", type: 28)
        #expect(query == [
            0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
            7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0,
            0, 28, 0, 1,
        ])
        #expect(DNSQueryBuilder.query(id: 1, name: "example.com", type: 28)[2...] == query[2...])
        #expect(DNSQueryBuilder.query(id: 1, name: "a", type: 1, recursionDesired: false)[2] == 0)
        #expect(DNSQueryBuilder.encodeName(".") == [0])
        #expect(DNSQueryBuilder.encodeName("") == [0])
        #expect(DNSQueryBuilder.encodeName("a..b") == nil)
        #expect(DNSQueryBuilder.encodeName(String(repeating: "x", count: 64)) == nil)
        #expect(DNSQueryBuilder.encodeName(String(repeating: "x", count: 63)) != nil)
        #expect(DNSQueryBuilder.encodeName(#"\256"#) == nil)
        let parsed = try DNSMessage(parsing: query)
        #expect(parsed.id == 0xABCD)
        #expect(!parsed.isResponse)
        #expect(parsed.answers.isEmpty)
    }

    @Test func ttlWithTheHighBitSetIsZero() throws {
        var b = ResponseBuilder()
        b.answer("a.test", type: 1, ttl: 0x8000_0001) { $0.raw([1, 1, 1, 1]) }
        b.answer("a.test", type: 1, ttl: 0x7FFF_FFFF) { $0.raw([1, 1, 1, 1]) }
        let message = try DNSMessage(parsing: b.message)
        #expect(message.answers.map(\.ttl) == [0, 0x7FFF_FFFF])
    }

    @Test func truncatedFlagIsReported() throws {
        let message = try DNSMessage(parsing: ResponseBuilder.header(flags: 0x8380))
        #expect(message.isTruncated)
        #expect(message.answers.isEmpty)
    }

    @Test func longestNameIsAcceptedAndOneByteMoreIsNot() throws {
        // 3 labels of 63 + 1 of 61: 4 + 63 * 3 + 61 + 1 = 255 bytes.
        let labels = [[UInt8]](repeating: [UInt8](repeating: 0x61, count: 63), count: 3) + [[UInt8](repeating: 0x62, count: 61)]
        var b = ResponseBuilder()
        b.answer("x", type: 5, ttl: 1) { $0.name(labels: labels) }
        let message = try DNSMessage(parsing: b.message)
        guard case .cname(let target) = message.answers.first?.data else {
            Issue.record("no CNAME")
            return
        }
        #expect(target.utf8.count == 63 * 3 + 61 + 3)

        var tooLong = ResponseBuilder()
        tooLong.answer("x", type: 5, ttl: 1) { $0.name(labels: labels.dropLast() + [[UInt8](repeating: 0x62, count: 62)]) }
        #expect(throws: DNSMessage.ParseError.nameTooLong) { try DNSMessage(parsing: tooLong.message) }
    }

    @Test func nameTooLongAcrossCompressionPointers() throws {
        // 250 wire bytes stored once, then a name that prefixes 10 more bytes and points at it.
        let base = [[UInt8]](repeating: [UInt8](repeating: 0x61, count: 61), count: 4) + [[0x62]] // 4*62 + 2 + 1 = 251
        var b = ResponseBuilder()
        b.answer("x", type: 5, ttl: 1) { $0.name(labels: base) }
        b.answer("x", type: 5, ttl: 1) { $0.name(labels: [[UInt8](repeating: 0x63, count: 3)] + base) } // 255: fine
        #expect(try DNSMessage(parsing: b.message).answers.count == 2)
        b.answer("x", type: 5, ttl: 1) { $0.name(labels: [[UInt8](repeating: 0x63, count: 4)] + base) } // 256
        #expect(throws: DNSMessage.ParseError.nameTooLong) { try DNSMessage(parsing: b.message) }
    }

    // MARK: Malformed input

    @Test func truncatedHeader() {
        for length in 0..<12 {
            #expect(throws: DNSMessage.ParseError.truncated) { try DNSMessage(parsing: [UInt8](repeating: 0, count: length)) }
        }
        #expect(throws: Never.self) { try DNSMessage(parsing: [UInt8](repeating: 0, count: 12)) }
    }

    @Test func everyTruncationOfAValidMessageThrows() {
        // Every strict prefix of the message is missing part of a section the header announces.
        let bytes = Self.everyTypeMessage(compress: true)
        for length in 0..<bytes.count {
            #expect(throws: DNSMessage.ParseError.truncated) { try DNSMessage(parsing: Array(bytes[..<length])) }
        }
    }

    @Test func sectionCountsLargerThanTheMessage() {
        var bytes = ResponseBuilder.header(qd: 0, an: 2)
        bytes += [0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4] // one root-owned A
        #expect(throws: DNSMessage.ParseError.truncated) { try DNSMessage(parsing: bytes) }
        #expect(throws: DNSMessage.ParseError.truncated) { try DNSMessage(parsing: ResponseBuilder.header(qd: 0xFFFF)) }
    }

    @Test func forwardAndSelfPointers() {
        // Question name at 12 points at 14, after itself.
        let forward = ResponseBuilder.header(qd: 1) + [0xC0, 14, 0, 0, 1, 0, 1]
        #expect(throws: DNSMessage.ParseError.forwardPointer) { try DNSMessage(parsing: forward) }
        // Question name at 12 points at itself.
        let toItself = ResponseBuilder.header(qd: 1) + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSMessage.ParseError.forwardPointer) { try DNSMessage(parsing: toItself) }
        // A pointer past the end of the message.
        let outside = ResponseBuilder.header(qd: 1) + [0xFF, 0xFF, 0, 1, 0, 1]
        #expect(throws: DNSMessage.ParseError.forwardPointer) { try DNSMessage(parsing: outside) }
    }

    @Test func pointerLoop() throws {
        // At 12: a label "abc" then, at 16, a pointer back to 12: backwards, but into labels
        // this name already read.
        let loop = ResponseBuilder.header(qd: 1) + [3, 0x61, 0x62, 0x63, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSMessage.ParseError.pointerLoop) { try DNSMessage(parsing: loop) }

        // Every pointer points backwards from where it is, and still they loop: at 12 a label of
        // 2 bytes that hides a pointer (at 13, to 12), then at 15 a pointer to 13.
        // 12 -> label -> 15 -> 13 -> 12 -> label -> 15 -> ...
        let twoStep = ResponseBuilder.header(qd: 1) + [2, 0xC0, 12, 0xC0, 13, 0, 1, 0, 1]
        let error = try #require(throws: DNSMessage.ParseError.self) { try DNSMessage(parsing: twoStep) }
        #expect(error == .pointerLoop)
        // Caught at the first re-entry (the pointer at 15), not only by the 128-jump cap.
        #expect(error.offset == 15)

        // Pointing into the middle of an earlier name, even at a pointer hidden in a label, is
        // fine as long as targets keep decreasing: the owner at 23 -> 14 -> 12 -> label, root.
        var hidden = ResponseBuilder.header(qd: 1, an: 1)
        hidden += [5, 0x61, 0xC0, 12, 0x62, 0x63, 0] // question name at 12
        hidden += [0, 1, 0, 1]
        hidden += [0xC0, 14, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4] // A record, owner at 23
        let message = try DNSMessage(parsing: hidden)
        #expect(message.answers == [DNSRecord(name: #"a\192\012bc"#, ttl: 1, data: .a(address: "1.2.3.4"))])
    }

    @Test func tooManyPointerJumps() throws {
        func chain(_ jumps: Int) -> [UInt8] {
            // At 12: the root name; then `jumps` pointers, each to the one before it.
            var bytes = ResponseBuilder.header(qd: UInt16(jumps + 1))
            bytes += [0, 0, 1, 0, 1]
            var previous = 12
            for _ in 0..<jumps {
                let here = bytes.count
                bytes += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF), 0, 1, 0, 1]
                previous = here
            }
            return bytes
        }
        #expect(throws: Never.self) { try DNSMessage(parsing: chain(128)) }
        #expect(throws: DNSMessage.ParseError.pointerLoop) { try DNSMessage(parsing: chain(129)) }
    }

    @Test func labelTooLong() {
        for lengthByte: UInt8 in [64, 0x7F, 0x80, 0xBF] {
            let bytes = ResponseBuilder.header(qd: 1) + [lengthByte] + [UInt8](repeating: 0x61, count: 200) + [0, 0, 1, 0, 1]
            #expect(throws: DNSMessage.ParseError.labelTooLong) { try DNSMessage(parsing: bytes) }
        }
    }

    @Test func rdlengthMismatch() {
        func message(type: UInt16, adjust: Int = 0, _ rdata: (inout ResponseBuilder) -> Void) -> [UInt8] {
            var b = ResponseBuilder()
            b.record(.answer, "example.test", type: type, ttl: 1, rdlengthAdjustment: adjust, rdata: rdata)
            b.raw([0, 0, 0, 0, 0]) // room so that a longer RDLENGTH stays inside the message
            return b.message
        }
        let cases: [(String, [UInt8])] = [
            ("A of 5 bytes", message(type: 1) { $0.raw([1, 2, 3, 4, 5]) }),
            ("A of 3 bytes", message(type: 1) { $0.raw([1, 2, 3]) }),
            ("AAAA of 4 bytes", message(type: 28) { $0.raw([1, 2, 3, 4]) }),
            ("CNAME with a trailing byte", message(type: 5, adjust: 1) { $0.name("a.test") }),
            ("CNAME longer than its RDATA", message(type: 5, adjust: -1) { $0.name("a.test") }),
            ("MX without a name", message(type: 15) { $0.u16(1) }),
            ("MX of 1 byte", message(type: 15) { $0.u8(1) }),
            ("SRV of 5 bytes", message(type: 33) { $0.raw([0, 0, 0, 0, 0]) }),
            ("SOA short by a byte", message(type: 6, adjust: -1) { $0.name("a"); $0.name("b"); $0.raw([UInt8](repeating: 0, count: 20)) }),
            ("SOA long by a byte", message(type: 6, adjust: 1) { $0.name("a"); $0.name("b"); $0.raw([UInt8](repeating: 0, count: 20)) }),
            ("CAA tag past the end", message(type: 257) { $0.u8(0); $0.u8(10); $0.raw(Array("issue".utf8)) }),
            ("CAA of 1 byte", message(type: 257) { $0.u8(0) }),
            ("NAPTR missing its name", message(type: 35) { $0.u16(1); $0.u16(1); $0.characterString("S"); $0.characterString(""); $0.characterString("") }),
            ("NAPTR string past the end", message(type: 35, adjust: -3) { $0.u16(1); $0.u16(1); $0.characterString("SIP"); $0.characterString(""); $0.characterString(""); $0.u8(0) }),
        ]
        for (what, bytes) in cases {
            #expect(throws: DNSMessage.ParseError.rdataLengthMismatch, "\(what)") { try DNSMessage(parsing: bytes) }
        }
        // The same fixtures with the right lengths do parse (so the cases above fail for the reason named).
        #expect(throws: Never.self) { try DNSMessage(parsing: message(type: 5) { $0.name("a.test") }) }
        #expect(throws: Never.self) { try DNSMessage(parsing: message(type: 6) { $0.name("a"); $0.name("b"); $0.raw([UInt8](repeating: 0, count: 20)) }) }
    }

    @Test func txtStringOverrunningItsRDATA() throws {
        var b = ResponseBuilder()
        b.record(.answer, "t.test", type: 16, ttl: 1, rdlengthAdjustment: -2) {
            $0.characterString("hello")
            $0.characterString("world")
        }
        b.raw([0, 0, 0]) // the message goes on; only the RDATA is too short
        #expect(throws: DNSMessage.ParseError.rdataLengthMismatch) { try DNSMessage(parsing: b.message) }

        var ok = ResponseBuilder()
        ok.record(.answer, "t.test", type: 16, ttl: 1) {
            $0.characterString("hello")
            $0.characterString("world")
        }
        #expect(try DNSMessage(parsing: ok.message).answers.first?.data == .txt(strings: ["hello", "world"]))
    }

    @Test func rdataRunningPastTheMessage() {
        var b = ResponseBuilder()
        b.record(.answer, "t.test", type: 1, ttl: 1, rdlengthAdjustment: 1) { $0.raw([1, 2, 3, 4]) }
        #expect(throws: DNSMessage.ParseError.truncated) { try DNSMessage(parsing: b.message) }
    }

    @Test func errorsCompareByKindAndDescribeThemselves() {
        let error = DNSMessage.ParseError.truncated.at(17)
        #expect(error == .truncated)
        #expect(error != .pointerLoop)
        #expect(error.offset == 17)
        #expect(error.description.contains("truncated"))
        #expect(error.description.contains("17"))
    }

    // MARK: Robustness

    @Test func randomMutationsNeverCrash() {
        var rng = SplitMix64(seed: 0x5EED_D15C)
        let seeds = [Self.everyTypeMessage(compress: true), Self.everyTypeMessage(compress: false)]
        var parsed = 0
        var failed = 0
        for _ in 0..<20_000 {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5: // flip bits of a byte
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                case 5..<7: // set a byte to something pointer-ish or length-ish
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = [0xC0, 0xFF, 0x3F, 0x40, 0, 1].randomElement(using: &rng)!
                case 7: // truncate
                    bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng))
                default: // overwrite a count or length field with a random 16-bit value
                    let at = Int.random(in: 0..<(bytes.count - 1), using: &rng)
                    bytes[at] = .random(in: 0...255, using: &rng)
                    bytes[at + 1] = .random(in: 0...255, using: &rng)
                }
                if bytes.count < 2 { break }
            }
            do {
                let message = try DNSMessage(parsing: bytes)
                parsed += 1
                for record in message.answers + message.authority {
                    #expect(record.name.utf8.count <= 1020)
                    #expect(record.name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F })
                    #expect(record.name.last != "." || record.name.hasSuffix("\\."))
                }
                // The parser's other promises, as the fuzz target (Fuzz/) checks them.
                if let negativeTTL = message.negativeTTL {
                    let soaTTL = message.authority.first(where: { $0.type == .soa })?.ttl
                    #expect(soaTTL.map { negativeTTL <= $0 } == true)
                }
                let again = try DNSMessage(parsing: bytes)
                #expect(again.answers == message.answers && again.authority == message.authority)
            } catch {
                failed += 1
            }
        }
        // Both outcomes must be exercised, or the mutations are not testing anything.
        #expect(parsed > 1000)
        #expect(failed > 1000)
    }
}
