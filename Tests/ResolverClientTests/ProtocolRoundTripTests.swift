import NIOCore
import ResolvdProtocol
import ResolverClient
import ResolverTesting
import Testing

/// Protocol v1 is defined once (ResolvdProtocol); these check that its two ends agree:
/// every request the client writes decodes, through the daemon's decoder, to the request
/// it was made from, and every reply the daemon writes reads back, through the client's
/// reader, as the value it was made from. Also that the op list and the status table are
/// the ones docs/protocol.md and docs/error-codes.md give.
@Suite struct ProtocolRoundTripTests {
    // MARK: Requests

    /// At least one request of every op, with defaults and with every parameter set.
    static let commands: [Request.Command] = [
        .lookup(.addressInfo(AddressInfoRequest(name: "www.example.test"))),
        .lookup(.addressInfo(AddressInfoRequest(
            name: "w\"ww\n.example.test", service: "http", family: .inet6, socketType: .datagram, transport: .udp,
            flags: [.canonicalName, .numericHost, .numericService, .addressConfig, .v4Mapped, .all], timeout: .milliseconds(250)))),
        .lookup(.addressInfo(AddressInfoRequest(name: "h", service: "8080", family: .inet, socketType: .raw))),
        .lookup(.nameInfo(NameInfoRequest(address: "192.0.2.1"))),
        .lookup(.nameInfo(NameInfoRequest(
            address: "2001:db8::1", port: 443, flags: [.nameRequired, .numericHost, .numericService, .noFQDN, .datagram],
            timeout: .seconds(3600)))),
        .lookup(.query(name: "example.test", type: .a, timeout: nil)),
        .lookup(.query(name: "_sip._udp.example.test", type: .naptr, timeout: .milliseconds(1))),
        .lookup(.hostByName(name: "multi.example.test", family: .inet, bufferLength: 1024, timeout: nil)),
        .lookup(.hostByName(name: "multi.example.test", family: .unspecified, bufferLength: 0, timeout: .milliseconds(10))),
        .lookup(.hostByAddress(address: "192.0.2.1", bufferLength: 1 << 24, timeout: .milliseconds(500))),
        .lookup(.serviceByName(name: "http", proto: nil, bufferLength: 1024)),
        .lookup(.serviceByName(name: "domain", proto: "udp", bufferLength: 32)),
        .lookup(.serviceByPort(port: 0, proto: nil, bufferLength: 1024)),
        .lookup(.serviceByPort(port: 65535, proto: "tcp", bufferLength: 2048)),
        .lookup(.protocolByName(name: "tcp", bufferLength: 1024)),
        .lookup(.protocolByNumber(number: 0, bufferLength: 24)),
        .lookup(.protocolByNumber(number: Int32.max, bufferLength: 1024)),
        .cancel(handle: 0),
        .cancel(handle: Request.maxID),
        .cancelAsyncRequest(handle: 7),
        .cancelAll,
        .hello,
        .stats,
        .reload,
        .flushCache,
        .monitor,
        .dumpCache(limit: 1),
        .dumpCache(limit: Int(Request.maxDumpCacheLimit)),
        .link(LinkSettings(interface: "wg0", servers: ["10.1.2.3", "[2001:db8::53]:53"], domains: ["corp.example", "~lab.test"], defaultRoute: true)),
        .link(LinkSettings(interface: "tun0", servers: [], domains: [], defaultRoute: false)),
        .revertLink(interface: "wg0"),
        .routes,
    ]

    @Test func theTableHasEveryOperation() {
        #expect(Set(Self.commands.map(\.operation)) == Set(Operation.allCases))
        for record in DNSRecordType.allCases {
            #expect(ProtocolRoundTripTests.decodeOwnLine(.lookup(.query(name: "x", type: record, timeout: nil))) != nil)
        }
    }

    @Test(arguments: commands)
    func everyRequestRoundTrips(_ command: Request.Command) throws {
        for id in [Int64(1), 42, Request.maxID] {
            let line = ResolvdConnection.requestLine(id: id, command: command)
            let object = try #require(try JSONParser.parse(line).objectValue, "\(line)")
            #expect(Request.id(of: object) == id)
            let decoded = RequestDecoder.decode(object, id: id)
            #expect(decoded == .success(Request(id: id, command: command)), "\(line)")
        }
    }

    /// The op names the decoder knows are exactly the enum's: an op outside it is unknown.
    @Test func theDecoderKnowsExactlyTheOperations() throws {
        for operation in Operation.allCases {
            let object = try #require(try JSONParser.parse(#"{"id":1,"op":"\#(operation.rawValue)"}"#).objectValue)
            if case .failure(let error) = RequestDecoder.decode(object, id: 1) {
                #expect(!error.message.contains("unknown op"), "\(operation)")
            }
        }
        let unknown = try #require(try JSONParser.parse(#"{"id":1,"op":"watch"}"#).objectValue)
        #expect(RequestDecoder.decode(unknown, id: 1) == .failure(.invalidArgument("unknown op \"watch\"")))
    }

    static func decodeOwnLine(_ command: Request.Command) -> Request? {
        let line = ResolvdConnection.requestLine(id: 1, command: command)
        guard let object = try? JSONParser.parse(line).objectValue else { return nil }
        return try? RequestDecoder.decode(object, id: 1).get()
    }

    // MARK: Replies

    /// One value of every result type, with every DNS record type and the optional parts
    /// both present and absent; values only hold what the wire carries (no host TTL, no
    /// negative TTL).
    static let values: [(Operation, LookupValue)] = [
        (.getAddrInfo, .addressInfo(AddressInfo(canonicalName: nil, addresses: []))),
        (.getAddrInfo, .addressInfo(AddressInfo(canonicalName: "host.example.test", addresses: [
            ResolvedAddress(family: .inet6, address: "2001:db8::10", port: 443, socketType: .stream, transport: .tcp, ttl: 300),
            ResolvedAddress(family: .inet, address: "192.0.2.10", port: 0, socketType: .datagram, transport: .udp, ttl: 0),
            ResolvedAddress(family: .inet, address: "192.0.2.10", port: 65535, socketType: .raw, transport: nil, ttl: UInt32.max),
        ]))),
        (.getNameInfo, .nameInfo(NameInfo(host: "www.example.test", service: "https"))),
        (.query, .query(QueryAnswer(records: []))),
        (.query, .query(QueryAnswer(records: [
            DNSRecord(name: "a.test", ttl: 1, data: .a(address: "192.0.2.1")),
            DNSRecord(name: "a.test", ttl: 2, data: .aaaa(address: "2001:db8::1")),
            DNSRecord(name: "c.test", ttl: 3, data: .cname(target: "a.test")),
            DNSRecord(name: "test", ttl: 4, data: .ns(target: "ns.test")),
            DNSRecord(name: "1.2.0.192.in-addr.arpa", ttl: 5, data: .ptr(target: "a.test")),
            DNSRecord(name: "test", ttl: 6, data: .mx(preference: 10, exchange: "mail.test")),
            DNSRecord(name: "_sip._udp.test", ttl: 7, data: .srv(priority: 1, weight: 2, port: 5060, target: "sip.test")),
            DNSRecord(name: "test", ttl: 8, data: .txt(strings: ["v=spf1 -all", "say \"hi\"\u{7}", ""])),
            DNSRecord(name: "test", ttl: 9, data: .soa(
                mname: "ns.test", rname: "hostmaster.test", serial: UInt32.max, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300)),
            DNSRecord(name: "test", ttl: 10, data: .caa(critical: true, tag: "issue", value: "ca.test")),
            DNSRecord(name: "test", ttl: 11, data: .caa(critical: false, tag: "iodef", value: "mailto:x@test")),
            DNSRecord(name: "test", ttl: 12, data: .naptr(
                order: 100, preference: 10, flags: "S", service: "SIP+D2U", regexp: "!^.*$!sip:x@test!", replacement: "_sip._udp.test")),
        ]))),
        (.getHostByName, .host(HostEntry(name: "multi.test", aliases: ["m.test", "alias.test"], family: .inet, addresses: ["192.0.2.41", "192.0.2.42"]))),
        (.getHostByAddr, .host(HostEntry(name: "v6.test", aliases: [], family: .inet6, addresses: ["2001:db8::1"]))),
        (.getServByName, .service(ServiceEntry(name: "http", aliases: ["www"], port: 80, proto: "tcp"))),
        (.getServByPort, .service(ServiceEntry(name: "domain", aliases: [], port: 53, proto: "udp"))),
        (.getProtoByName, .protocolEntry(ProtocolEntry(name: "tcp", aliases: ["TCP"], number: 6))),
        (.getProtoByNumber, .protocolEntry(ProtocolEntry(name: "ip", aliases: [], number: 0))),
    ]

    @Test func theTableHasEveryLookupOperation() {
        #expect(Set(Self.values.map(\.0)) == Set(Operation.allCases.filter(\.isLookup)))
        let types = Self.values.compactMap { if case .query(let answer) = $0.1 { answer.records.map(\.type) } else { nil } }.joined()
        #expect(Set(types) == Set(DNSRecordType.allCases))
    }

    @Test func everyResultRoundTrips() throws {
        for (operation, value) in Self.values {
            let reply = try Self.read(LookupReplyLine(id: 9, result: .success(value)))
            #expect(reply.id == 9)
            #expect(reply.status == .noError && reply.isSuccess)
            #expect(reply.lookupValue(for: operation) == .success(value), "\(reply.line)")
        }
    }

    /// Host entries carry a TTL for the daemon's cache only; the wire has none.
    @Test func aHostEntrysTTLStaysInTheDaemon() throws {
        let entry = HostEntry(name: "h.test", aliases: [], family: .inet, addresses: ["192.0.2.1"], ttl: 60)
        let reply = try Self.read(LookupReplyLine(id: 1, result: .success(.host(entry))))
        var expected = entry
        expected.ttl = nil
        #expect(reply.lookupValue(for: .getHostByName) == .success(.host(expected)))
    }

    @Test(arguments: ResultCode.all.filter { $0 != .noError })
    func everyStatusRoundTrips(_ code: ResultCode) throws {
        let required = code == .noBufferSpace ? 1204 : nil
        let error = ResolverError(code: code, message: "why \"\(code.symbol)\"\n", requiredBufferLength: required)
        for id in [Int64?.none, 1, Request.maxID] {
            let lines: [any JSONWritable] = id.map { [FailureLine(id: $0, error: error), LookupReplyLine(id: $0, result: .failure(error))] }
                ?? [FailureLine(id: nil, error: error)]
            for line in lines {
                let reply = try Self.read(line)
                #expect(reply.id == id)
                #expect(reply.status == code)
                #expect(reply.error == code.symbol && reply.symbol == code.symbol)
                #expect(reply.required == required)
                #expect(reply.failure == error)
                #expect(reply.lookupValue(for: .getAddrInfo) == .failure(error))
            }
            let encoded = ReplyEncoder.failure(id: id, error: error, allocator: ByteBufferAllocator())
            #expect(try Reply(buffer: encoded.getSlice(at: encoded.readerIndex, length: encoded.readableBytes - 1)!).failure == error)
        }
    }

    /// What the daemon writes, as the client reads it: the line without its newline.
    static func read(_ line: some JSONWritable) throws -> Reply {
        var buffer = ByteBuffer()
        buffer.writeJSON(line)
        #expect(buffer.readableBytesView.last == UInt8(ascii: "\n"))
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        return try Reply(buffer: buffer)
    }

    // MARK: The op list and the status table

    @Test func helloListsTheOperations() async throws {
        let daemon = try DaemonProcess.start(upstream: nil)
        defer { daemon.stop() }
        let connection = try await ResolvdConnection.connect(socketPath: daemon.socketPath)
        let hello = try await connection.hello()
        await connection.close()
        #expect(hello.ops == Operation.allCases.map(\.rawValue))
        #expect(Operation.wireNames == hello.ops)
    }

    /// docs/error-codes.md's table, first two columns, is ``ResultCode``'s, in order.
    @Test func theStatusTableIsTheDocs() throws {
        let doc = try readWholeFile(Repository.root + "/docs/error-codes.md")
        var rows: [(Int32, String)] = []
        // The first table only: later ones ("Where each code is tested") list codes too.
        let firstTable = doc.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("| ") }.prefix { $0.hasPrefix("|") }
        for line in firstTable {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " ") }
            guard cells.count > 2, let code = Int32(cells[1]) else { continue }  // the header and its rule
            rows.append((code, String(cells[2])))
        }
        #expect(rows.count == 18)
        #expect(rows.map(\.0) == ResultCode.all.map(\.rawValue))
        #expect(rows.map(\.1) == ResultCode.all.map(\.symbol))
        #expect(ResultCode.all.allSatisfy { $0.isKnown && !$0.meaning.isEmpty })
        #expect(ResultCode.accessDenied.symbol == "WSAEACCES" && ResultCode.alreadyInProgress.rawValue == 10037)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var text = self
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return text
    }
}
