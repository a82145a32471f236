import ResolvdProtocol
import ResolverClient
import ResolverTypes
import Testing

@testable import resolvdctl

/// `ResultFormatter`: the readable lines resolvdctl prints for each kind of result, their
/// columns, and what reaches the terminal (``renderedLines(_:)``) when a name carries text an
/// upstream or a hosts/services file chose: escape sequences, a line feed that would forge a
/// line, bidi overrides — each shown as text, one printed line per result line.
@Suite struct ResultFormatterTests {
    @Test func addressInfoAlignsTheAddressesUnderTheCanonicalName() {
        let info = AddressInfo(
            canonicalName: "www.example.test",
            addresses: [
                ResolvedAddress(family: .inet, address: "192.0.2.10", port: 0, socketType: .stream, transport: .tcp, ttl: 300),
                ResolvedAddress(family: .inet6, address: "2001:db8::10", port: 443, socketType: .datagram, transport: .udp, ttl: 60),
                ResolvedAddress(family: .inet, address: "192.0.2.9", port: 0, socketType: .raw, transport: nil, ttl: 5),
            ])
        #expect(
            ResultFormatter.lines(.addressInfo(info)) == [
                "canonical name  www.example.test",
                "inet   192.0.2.10    port 0  stream/tcp  ttl 300",
                "inet6  2001:db8::10  port 443  dgram/udp  ttl 60",
                "inet   192.0.2.9     port 0  raw  ttl 5",
            ])
        // No canonical name asked for: no line for it; no addresses: nothing.
        #expect(
            ResultFormatter.lines(.addressInfo(AddressInfo(canonicalName: nil, addresses: [info.addresses[1]])))
                == ["inet6  2001:db8::10  port 443  dgram/udp  ttl 60"])
        #expect(ResultFormatter.lines(.addressInfo(AddressInfo(canonicalName: nil, addresses: []))) == [])
    }

    @Test func nameInfoIsHostAndService() {
        #expect(ResultFormatter.lines(.nameInfo(NameInfo(host: "www.example.test", service: "http"))) == ["www.example.test  http"])
    }

    @Test func recordsAreDigLikeColumns() {
        let answer = QueryAnswer(records: [
            DNSRecord(name: "mail.example.test", ttl: 300, data: .mx(preference: 10, exchange: "mx1.example.test")),
            DNSRecord(name: "a.test", ttl: 5, data: .a(address: "192.0.2.1")),
            DNSRecord(name: "txt.test", ttl: 86400, data: .txt(strings: ["hello world", #"q"b\"#])),
            DNSRecord(name: "srv.test", ttl: 60, data: .srv(priority: 10, weight: 60, port: 8080, target: "www.example.test")),
        ])
        #expect(
            ResultFormatter.lines(.query(answer)) == [
                "mail.example.test  300    MX   10 mx1.example.test",
                "a.test             5      A    192.0.2.1",
                #"txt.test           86400  TXT  "hello world" "q\"b\\""#,
                "srv.test           60     SRV  10 60 8080 www.example.test",
            ])
        #expect(ResultFormatter.lines(.query(QueryAnswer(records: [], negativeTTL: 60))) == [])
    }

    @Test func hostServiceAndProtocolEntries() {
        let host = HostEntry(name: "www.example.test", aliases: ["www", "web"], family: .inet, addresses: ["192.0.2.10", "192.0.2.11"])
        #expect(
            ResultFormatter.lines(.host(host)) == [
                "name     www.example.test", "aliases  www web", "family   inet", "address  192.0.2.10", "address  192.0.2.11",
            ])
        let bare = HostEntry(name: "v6.test", aliases: [], family: .inet6, addresses: ["2001:db8::1"])
        #expect(ResultFormatter.lines(.host(bare)) == ["name     v6.test", "family   inet6", "address  2001:db8::1"])

        #expect(ResultFormatter.lines(.service(ServiceEntry(name: "http", aliases: ["www"], port: 80, proto: "tcp"))) == ["http  80/tcp  www"])
        #expect(ResultFormatter.lines(.service(ServiceEntry(name: "ssh", aliases: [], port: 22, proto: "tcp"))) == ["ssh  22/tcp"])
        #expect(ResultFormatter.lines(.protocolEntry(ProtocolEntry(name: "tcp", aliases: ["TCP"], number: 6))) == ["tcp  6  TCP"])
        #expect(ResultFormatter.lines(.protocolEntry(ProtocolEntry(name: "ip", aliases: [], number: 0))) == ["ip  0"])
    }

    @Test func aStaleAnswerSaysSoFirst() {
        let inner = LookupValue.service(ServiceEntry(name: "ssh", aliases: [], port: 22, proto: "tcp"))
        #expect(ResultFormatter.lines(.stale(inner)) == ["(stale)", "ssh  22/tcp"])
    }

    /// The reply JSON as the daemon writes it, read back the way `Session` does.
    @Test func aLookupReplyReadFromJSON() throws {
        let json = try JSONParser.parse(#"{"name":"http","aliases":["www"],"port":80,"proto":"tcp"}"#)
        let value = try #require(LookupValue(json: json, operation: .getServByName))
        #expect(ResultFormatter.lines(value) == ["http  80/tcp  www"])
    }

    @Test func controlResultsAndWhatCannotBeRead() throws {
        let hello = try JSONParser.parse(#"{"server":"resolvd","version":"1.0.0","protocol":1,"ops":["getaddrinfo","query"]}"#)
        #expect(ResultFormatter.hello(hello) == ["resolvd 1.0.0  protocol 1", "ops  getaddrinfo query"])
        #expect(ResultFormatter.flushCache(try JSONParser.parse(#"{"flushed":3}"#)) == ["flushed 3 cache entries"])
        #expect(ResultFormatter.cancelAll(try JSONParser.parse(#"{"cancelled":2}"#)) == ["cancelled 2"])
        // A result that is not what the op returns: nil, and resolvdctl prints the JSON instead.
        let other = try JSONParser.parse(#"{"unexpected":true}"#)
        #expect(ResultFormatter.hello(other) == nil)
        #expect(ResultFormatter.flushCache(other) == nil)
        #expect(ResultFormatter.cancelAll(other) == nil)
    }

    // MARK: hostile text

    static let escape = "\u{1B}[2J\u{1B}]0;owned\u{7}"
    static let forgedLine = "\naddress  203.0.113.66"
    static let bidi = "\u{202E}txt.exe"

    /// Every printed line: none holds a scalar a terminal acts on or hides.
    static func expectHarmless(_ lines: [String], _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let rendered = renderedLines(lines)
        #expect(rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == expected, sourceLocation: sourceLocation)
        let unsafe = rendered.unicodeScalars.filter { scalar in
            scalar != "\n"
                && (scalar.value < 0x20 || (0x7f..<0xa0).contains(scalar.value) || scalar.properties.generalCategory == .format)
        }
        #expect(unsafe.isEmpty, "printed as is: \(unsafe.map { String($0.value, radix: 16) })", sourceLocation: sourceLocation)
    }

    @Test func hostileNamesReachTheTerminalAsText() {
        let info = AddressInfo(
            canonicalName: "evil" + Self.escape + Self.forgedLine,
            addresses: [ResolvedAddress(family: .inet, address: "192.0.2.10", port: 0, socketType: .stream, transport: .tcp, ttl: 300)])
        Self.expectHarmless(
            ResultFormatter.lines(.addressInfo(info)),
            [
                #"canonical name  evil\x1b[2J\x1b]0;owned\x07\x0aaddress  203.0.113.66"#,
                "inet   192.0.2.10  port 0  stream/tcp  ttl 300",
            ])

        let records = QueryAnswer(records: [
            DNSRecord(name: "x\u{9B}31m.test", ttl: 1, data: .cname(target: Self.bidi)),
            DNSRecord(name: "t.test", ttl: 1, data: .txt(strings: ["a\u{1B}b\nc"])),
        ])
        Self.expectHarmless(
            ResultFormatter.lines(.query(records)),
            [
                #"x\x9b31m.test  1  CNAME  \u{202e}txt.exe"#,
                // TXT strings are quoted in zone-file form before the terminal escaping.
                #"t.test      1  TXT    "a\027b\010c""#,
            ])

        let host = HostEntry(name: "h" + Self.forgedLine, aliases: ["a\u{7}", Self.bidi], family: .inet, addresses: ["192.0.2.1"])
        Self.expectHarmless(
            ResultFormatter.lines(.host(host)),
            [#"name     h\x0aaddress  203.0.113.66"#, #"aliases  a\x07 \u{202e}txt.exe"#, "family   inet", "address  192.0.2.1"])

        Self.expectHarmless(
            ResultFormatter.lines(.service(ServiceEntry(name: "svc\r\n", aliases: [Self.escape], port: 1, proto: "tcp"))),
            [#"svc\x0d\x0a  1/tcp  \x1b[2J\x1b]0;owned\x07"#])
        Self.expectHarmless(
            ResultFormatter.lines(.nameInfo(NameInfo(host: Self.bidi, service: "x" + Self.forgedLine))),
            [#"\u{202e}txt.exe  x\x0aaddress  203.0.113.66"#])
        Self.expectHarmless(
            ResultFormatter.lines(.stale(.protocolEntry(ProtocolEntry(name: "p\u{7F}", aliases: [], number: 1)))),
            ["(stale)", #"p\x7f  1"#])
    }
}
