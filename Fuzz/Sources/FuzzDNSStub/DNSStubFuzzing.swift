import Dispatch
import Logging
import NIOCore
import NIOEmbedded
import ResolvdProtocol
import FuzzSupport
import ResolverCore

@testable import ResolvdServer

#if canImport(Glibc)
import Glibc
#endif

/// The checks of the libFuzzer target over the DNS stub listener: ``StubQuery``'s parser
/// alone, then the whole UDP path — ``DNSStubUDPHandler`` in a `NIOAsyncTestingChannel`
/// over a real ``LookupService`` and resolver (``LookupServiceStubAnswering``), datagram in,
/// datagram out.
///
/// The resolver's only upstream is a loopback port nobody listens on (every DNS question
/// fails at once: SERVFAIL); its hosts file names `www.example.test` and `big.example.test`,
/// whose 80 addresses do not fit in 512 bytes (the truncation path).
///
/// Trapping (so libFuzzer reports a crash) when a promise is broken:
/// - parsing is deterministic; a parsed query's question is the input's bytes after the
///   header, and its name as text turns back into the same wire name;
/// - a datagram gets at most one reply, and none exactly when it is shorter than a header
///   or a response (QR set);
/// - a reply has the query's id, QR set, the question echoed byte for byte when it has one,
///   and is never longer than the client may receive: 512 bytes without EDNS, else the
///   client's size within 512…1,232;
/// - when the lookups have finished, the server holds none in flight.
enum DNSStubFuzzing {
    static let server: ServerContext = {
        let files = FuzzFiles()
        func write(_ text: String, to name: String) -> String { files.write(text, to: name) }
        let big = (1...80).map { "192.0.2.\($0) big.example.test\n" }.joined()
        var configuration = ResolverConfiguration(servers: [try! DNSServerAddress.ipv4("127.0.0.1", port: RefusingPort.make())])
        configuration.hostsFile = write("192.0.2.10 www.example.test\n2001:db8::10 www.example.test\n" + big, to: "hosts")
        configuration.servicesFile = write("domain 53/udp\n", to: "services")
        configuration.protocolsFile = write("udp 17 UDP\n", to: "protocols")
        configuration.searchDomains = []
        configuration.timeoutPerTry = .milliseconds(50)
        configuration.tries = 1
        let resolver = try! CoreResolver(configuration: configuration)
        return ServerContext(
            lookups: LookupService(resolver: resolver, cacheEnabled: true, settings: .init()), limits: DaemonConfiguration.Limits(),
            stats: ServerStats(), logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    }()

    static let lookups = DNSStubLookups(server: server, answering: LookupServiceStubAnswering(lookups: server.lookups))
    static let client = try! SocketAddress(ipAddress: "127.0.0.1", port: 40_000)

    static func fuzz(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        checkParser(bytes)
        let done = DispatchSemaphore(value: 0)
        Task {
            await run(bytes)
            done.signal()
        }
        done.wait()
    }

    static func checkParser(_ bytes: [UInt8]) {
        let first = Result { () throws(StubQuery.Rejection) in try StubQuery(parsing: bytes) }
        let second = Result { () throws(StubQuery.Rejection) in try StubQuery(parsing: bytes) }
        switch (first, second) {
        case (.success(let a), .success(let b)): precondition(a == b, "parsed twice differently")
        case (.failure(let a), .failure(let b)): precondition(a == b, "rejected twice differently")
        default: preconditionFailure("parsed once, rejected once")
        }
        guard case .success(let query) = first else { return }
        precondition(Array(bytes[12..<(12 + query.question.count)]) == query.question, "question not the bytes after the header")
        precondition(StubReplyEncoder.wireName(query.name) == Array(query.nameWire), "name \(query.name) does not turn back into its wire form")
    }

    static func run(_ bytes: [UInt8]) async {
        let channel = try! await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(DNSStubUDPHandler(lookups: lookups))
        }
        // One datagram, one read burst (as NIO's datagram channel delivers them).
        try! await channel.testingEventLoop.executeInContext {
            channel.pipeline.fireChannelRead(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: bytes)))
            channel.pipeline.fireChannelReadComplete()
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while server.stats.inFlight.load(ordering: .relaxed) > 0 {
            precondition(ContinuousClock.now < deadline, "lookups still in flight after 20 s")
            usleep(1_000)
        }
        // The last answer's write follows its count on the loop: let it finish.
        try! await channel.testingEventLoop.executeInContext {}
        var replies: [[UInt8]] = []
        while let reply = try? await channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            replies.append(Array(reply.data.readableBytesView))
        }
        check(query: bytes, replies: replies)
        _ = try? await channel.finish()
    }

    static func check(query bytes: [UInt8], replies: [[UInt8]]) {
        let ignored = bytes.count < 12 || bytes[2] & 0x80 != 0
        precondition(replies.count == (ignored ? 0 : 1), "\(replies.count) replies to one datagram (ignored: \(ignored))")
        guard let reply = replies.first else { return }
        precondition(reply.count >= 12 && reply[0] == bytes[0] && reply[1] == bytes[1], "the reply's id is not the query's")
        precondition(reply[2] & 0x80 != 0, "QR not set")
        let parsed = try? StubQuery(parsing: bytes)
        let limit = parsed?.udpReplyLimit(serverSize: Int(StubReplyEncoder.advertisedUDPSize)) ?? 512
        precondition(reply.count <= limit, "a reply of \(reply.count) bytes to a client that takes \(limit)")
        if let parsed {
            precondition(Array(reply[12..<(12 + parsed.question.count)]) == parsed.question, "the question was not echoed")
        }
    }
}
