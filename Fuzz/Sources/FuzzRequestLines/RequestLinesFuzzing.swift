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

/// The checks of the libFuzzer target over protocol v1's whole request path:
/// ``LineFrameDecoder`` → ``ConnectionHandler`` (JSON, ``RequestDecoder``, the
/// ``ConnectionStateMachine``, lookups, cancels, admin ops, back-pressure) in a
/// `NIOAsyncTestingChannel`, over a real ``LookupService`` and resolver.
///
/// The input is the byte stream a client sends, fed in pieces whose sizes its first bytes
/// pick, then the end of input. The resolver's only upstream is a loopback port nobody
/// listens on (every query is refused at once), its hosts, services and protocols files are
/// the few lines written below, so lookups finish quickly and nothing leaves the machine.
///
/// Trapping (so libFuzzer reports a crash) when a promise is broken:
/// - a line the daemon's common-line reader accepts reads as the same request the generic
///   path makes of it (`+CommonLine`);
/// - every line written is a JSON object: a reply with an `id` (an integer the client sent,
///   or null for a protocol error) and a `status` from the status table, or a monitor event
///   with the id of a `monitor` request;
/// - no id is answered twice;
/// - when the lookups have finished and the connection is closed, the server holds no
///   lookup in flight (the connection cost nothing afterwards).
enum RequestLinesFuzzing {
    /// Small bounds, so that the fuzzer reaches them: line length, lookups per connection,
    /// queued reply bytes (back-pressure).
    static let limits: DaemonConfiguration.Limits = {
        var limits = DaemonConfiguration.Limits()
        limits.maxRequestBytes = 512
        limits.maxLookupsPerConnection = 8
        limits.maxQueuedReplyBytes = 2048
        return limits
    }()

    static let server: ServerContext = {
        let files = FuzzFiles()
        func write(_ text: String, to name: String) -> String { files.write(text, to: name) }
        var configuration = ResolverConfiguration(servers: [try! DNSServerAddress.ipv4("127.0.0.1", port: RefusingPort.make())])
        configuration.hostsFile = write("127.0.0.1 localhost\n192.0.2.10 www.example.test www\n2001:db8::10 www.example.test\n", to: "hosts")
        configuration.servicesFile = write("domain 53/udp\ndomain 53/tcp\nhttp 80/tcp www\n", to: "services")
        configuration.protocolsFile = write("ip 0 IP\ntcp 6 TCP\nudp 17 UDP\n", to: "protocols")
        configuration.searchDomains = []
        configuration.timeoutPerTry = .milliseconds(50)
        configuration.tries = 1
        let resolver = try! CoreResolver(configuration: configuration)
        return ServerContext(
            lookups: LookupService(resolver: resolver, cacheEnabled: true, settings: .init()), limits: limits,
            stats: ServerStats(), logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    }()

    static func fuzz(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        checkCommonLineDecoder(bytes)
        let done = DispatchSemaphore(value: 0)
        Task {
            await run(bytes)
            done.signal()
        }
        done.wait()
    }

    static func run(_ bytes: [UInt8]) async {
        let server = self.server
        let channel = try! await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: limits.maxRequestBytes)))
            try channel.pipeline.syncOperations.addHandler(ConnectionHandler(server: server))
        }
        try! await channel.connect(to: SocketAddress(unixDomainSocketPath: "/resolvd-fuzz")).get()
        var replies = ReplyLines(requested: requestedIDs(bytes))

        let pieces = bytes.prefix(4).map { Int($0) % 61 + 1 }
        var offset = 0
        var next = 0
        while offset < bytes.count && channel.isActive {
            let size = min(bytes.count - offset, pieces[next % pieces.count])
            next += 1
            _ = try? await channel.writeInbound(ByteBuffer(bytes: bytes[offset..<offset + size]))
            offset += size
            await replies.read(channel)
        }
        if channel.isActive {
            try? await channel.testingEventLoop.executeInContext { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        }
        // Lookups finish on resolver threads; wait for them (the upstream refuses at once, a
        // try lasts 50 ms), reading replies meanwhile. (A monitor is not a lookup: it ends,
        // with its one reply, when the connection closes.)
        let deadline = ContinuousClock.now + .seconds(20)
        while server.stats.inFlight.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            await replies.read(channel)
            try? await Task.sleep(for: .milliseconds(1))
        }
        precondition(ContinuousClock.now < deadline, "lookups still in flight after 20 s")
        await replies.read(channel)
        _ = try? await channel.close()
        _ = try? await channel.finish()
        await replies.read(channel)
        while server.stats.inFlight.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
        precondition(server.stats.inFlight.load(ordering: .relaxed) == 0, "a closed connection left lookups in flight")
    }

    /// The ids of the lines that are JSON objects with an integer `id`: those a reply may name.
    static func requestedIDs(_ bytes: [UInt8]) -> [Int64: String] {
        var ids: [Int64: String] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard case .object(let object)? = try? JSONParser.parse(ByteBuffer(bytes: line)),
                  case .integer(let id)? = object["id"] else { continue }
            if case .string(let op)? = object["op"] { ids[id] = op } else { ids[id] = "" }
        }
        return ids
    }

    /// The lines the connection wrote, checked as they arrive.
    struct ReplyLines {
        let requested: [Int64: String]
        var text: [UInt8] = []
        var answered: Set<Int64> = []

        init(requested: [Int64: String]) {
            self.requested = requested
        }

        mutating func read(_ channel: NIOAsyncTestingChannel) async {
            while let buffer = try? await channel.readOutbound(as: ByteBuffer.self) {
                text += buffer.readableBytesView
            }
            while let newline = text.firstIndex(of: UInt8(ascii: "\n")) {
                check(Array(text[..<newline]))
                text.removeSubrange(...newline)
            }
        }

        mutating func check(_ line: [UInt8]) {
            let shown = String(decoding: line, as: UTF8.self)
            guard case .object(let object)? = try? JSONParser.parse(ByteBuffer(bytes: line)) else {
                preconditionFailure("a reply that is not a JSON object: \(shown)")
            }
            if object["event"] != nil {
                guard case .integer(let id)? = object["id"], requested[id] == "monitor" else { preconditionFailure("an event for no monitor: \(shown)") }
                return
            }
            guard case .integer(let status)? = object["status"], let code = Int32(exactly: status),
                  !ResultCode(rawValue: code).symbol.hasPrefix("UNKNOWN_") else {
                preconditionFailure("a reply without a known status: \(shown)")
            }
            switch object["id"] {
            case .null?:
                precondition(code != 0, "a success with a null id: \(shown)")
            case .integer(let id)?:
                precondition(requested[id] != nil, "a reply to id \(id), which no request had: \(shown)")
                precondition(answered.insert(id).inserted, "id \(id) answered twice: \(shown)")
            default:
                preconditionFailure("a reply without an integer or null id: \(shown)")
            }
        }
    }
}
