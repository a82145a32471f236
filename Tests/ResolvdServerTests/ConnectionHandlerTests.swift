import Logging
import NIOCore
import NIOEmbedded
import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

#if canImport(Glibc)
import Glibc
#endif

/// A real ``ConnectionHandler`` (behind its ``LineFrameDecoder``) in a test channel,
/// over a ``ServerContext`` whose resolver asks the test unbound: the
/// ``ConnectionStateMachine``'s actions as the client sees them, without a socket.
///
/// Lookups complete on resolver threads, and `EmbeddedEventLoop` may only be used from the
/// thread that made it; tests with lookups therefore use `NIOAsyncTestingChannel`,
/// NIOEmbedded's thread-safe embedded channel. Tests without any use `EmbeddedChannel`.
@Suite struct ConnectionHandlerTests {
    /// A resolver behind a proxy that delays every answer by `delay`, so that a lookup is
    /// certainly in flight for that long.
    private final class Upstream: Sendable {
        let proxy: DelayingProxy
        let resolver: CoreResolver

        init(delay: Duration) throws {
            let unbound = try DaemonOperationTests.unbound.get()
            proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: delay)
            var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: proxy.serverAddress)])
            configuration.hostsFile = nil
            configuration.timeoutPerTry = .seconds(5)
            resolver = try CoreResolver(configuration: configuration)
        }

        func stop() {
            resolver.shutdown()
            proxy.stop()
        }
    }

    /// A connection on an embedded channel, framed as the daemon frames it, to a server
    /// whose resolver nothing asks.
    private static func embeddedConnection(maximumLineLength: Int) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLineLength)))
        try channel.pipeline.syncOperations.addHandler(ConnectionHandler(server: server(try Fixtures.silentResolver())))
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/resolvd-test")).wait()
        return channel
    }

    private static func server(_ resolver: CoreResolver, limits: DaemonConfiguration.Limits = .init()) -> ServerContext {
        ServerContext(
            lookups: LookupService(resolver: resolver, cacheEnabled: false, settings: .init()), limits: limits,
            stats: ServerStats(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Reply lines as JSON objects, from whatever the handler wrote.
    private struct Replies {
        private var text = ""
        private(set) var lines: [JSONObject] = []

        /// Everything `channel` has written so far.
        mutating func drain(_ channel: EmbeddedChannel) throws {
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { append(buffer) }
        }

        mutating func append(_ buffer: ByteBuffer) {
            text += String(buffer: buffer)
            while let newline = text.firstIndex(of: "\n") {
                let line = String(text[..<newline])
                text.removeSubrange(...newline)
                guard case .object(let object) = try? JSONParser.parse(ByteBuffer(string: line)) else {
                    Issue.record("not a JSON object: \(line)")
                    continue
                }
                lines.append(object)
            }
        }
    }

    /// One connection in a `NIOAsyncTestingChannel`.
    private final class Connection {
        let channel: NIOAsyncTestingChannel
        private var replies = Replies()
        private var taken = 0

        init(server: ServerContext, maxLineBytes: Int = 65536) async throws {
            channel = try await NIOAsyncTestingChannel { channel in
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: maxLineBytes)))
                try channel.pipeline.syncOperations.addHandler(ConnectionHandler(server: server))
            }
            try await channel.connect(to: SocketAddress(unixDomainSocketPath: "/resolvd-test")).get()
        }

        func send(_ line: String) async throws {
            try await channel.writeInbound(ByteBuffer(string: line + "\n"))
        }

        func fire(_ event: any Sendable) async throws {
            let channel = self.channel
            try await channel.testingEventLoop.executeInContext { channel.pipeline.fireUserInboundEventTriggered(event) }
        }

        /// The next `count` replies, waiting for them up to `timeout`.
        func replies(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [JSONObject] {
            let deadline = ContinuousClock.now + timeout
            while replies.lines.count < taken + count && ContinuousClock.now < deadline {
                if let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
                    replies.append(buffer)
                } else {
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            let new = Array(replies.lines[taken...].prefix(count))
            taken += new.count
            #expect(new.count == count, "replies: \(new)")
            return new
        }

        /// Nothing more was written (after draining what is there).
        func noMoreReplies() async throws -> Bool {
            while let buffer = try await channel.readOutbound(as: ByteBuffer.self) { replies.append(buffer) }
            return replies.lines.count == taken
        }

        func waitUntilClosed(timeout: Duration = .seconds(10)) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while channel.isActive && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            return !channel.isActive
        }
    }

    @Test func requestInReplyOut() async throws {
        let upstream = try Upstream(delay: .zero)
        defer { upstream.stop() }
        let connection = try await Connection(server: Self.server(upstream.resolver))
        try await connection.send(#"{"id":1,"op":"hello"}"#)
        try await connection.send(#"{"id":2,"op":"query","name":"www.example.test","type":"A"}"#)
        let replies = try await connection.replies(2)
        #expect(replies[0]["id"]?.intValue == 1 && replies[0]["status"]?.intValue == 0)
        #expect(replies[0]["result"]?.objectValue?["server"]?.stringValue == "resolvd")
        #expect(replies[1]["id"]?.intValue == 2 && replies[1]["status"]?.intValue == 0, "\(replies[1])")
        #expect(connection.channel.isActive)
        _ = try await connection.channel.finish(acceptAlreadyClosed: true)
    }

    /// EOF with lookups in flight: the connection stays open until their answers are
    /// written, then closes.
    @Test func endOfInputWithLookupsInFlightAnswersThenCloses() async throws {
        let upstream = try Upstream(delay: .milliseconds(300))
        defer { upstream.stop() }
        let connection = try await Connection(server: Self.server(upstream.resolver))
        try await connection.send(#"{"id":1,"op":"query","name":"eof1.wild.example.test","type":"A"}"#)
        try await connection.send(#"{"id":2,"op":"query","name":"eof2.wild.example.test","type":"A"}"#)
        try await connection.fire(ChannelEvent.inputClosed)
        #expect(try await connection.noMoreReplies())
        #expect(connection.channel.isActive)
        let replies = try await connection.replies(2)
        #expect(Set(replies.compactMap { $0["id"]?.intValue }) == [1, 2])
        #expect(replies.allSatisfy { $0["status"]?.intValue == 0 }, "\(replies)")
        #expect(try await connection.waitUntilClosed())
    }

    /// EOF with nothing in flight closes at once, after the replies already queued.
    @Test func endOfInputWithNothingInFlightCloses() async throws {
        let upstream = try Upstream(delay: .zero)
        defer { upstream.stop() }
        let connection = try await Connection(server: Self.server(upstream.resolver))
        try await connection.send(#"{"id":1,"op":"hello"}"#)
        try await connection.fire(ChannelEvent.inputClosed)
        #expect(try await connection.replies(1).first?["id"]?.intValue == 1)
        #expect(try await connection.waitUntilClosed())
    }

    /// Shutdown: every lookup in flight is answered 995, then the connection closes.
    @Test func shutdownAbortsLookupsThenCloses() async throws {
        let upstream = try Upstream(delay: .seconds(5))
        defer { upstream.stop() }
        let connection = try await Connection(server: Self.server(upstream.resolver))
        try await connection.send(#"{"id":1,"op":"query","name":"down1.wild.example.test","type":"A"}"#)
        try await connection.send(#"{"id":2,"op":"query","name":"down2.wild.example.test","type":"A"}"#)
        try await connection.fire(ShutdownEvent())
        let replies = try await connection.replies(2)
        #expect(replies.map { $0["id"]?.intValue } == [1, 2])
        #expect(replies.allSatisfy { $0["status"]?.intValue == 995 }, "\(replies)")
        #expect(try await connection.waitUntilClosed())
    }

    /// More than `max_lookups_per_connection`: 10055 at once, and the connection stays open.
    @Test func tooManyLookupsInFlight() async throws {
        let upstream = try Upstream(delay: .milliseconds(300))
        defer { upstream.stop() }
        var limits = DaemonConfiguration.Limits()
        limits.maxLookupsPerConnection = 1
        let connection = try await Connection(server: Self.server(upstream.resolver, limits: limits))
        try await connection.send(#"{"id":1,"op":"query","name":"lim1.wild.example.test","type":"A"}"#)
        try await connection.send(#"{"id":2,"op":"query","name":"lim2.wild.example.test","type":"A"}"#)
        let rejected = try await connection.replies(1)
        #expect(rejected.first?["id"]?.intValue == 2 && rejected.first?["status"]?.intValue == 10055)
        #expect(try await connection.replies(1).first?["id"]?.intValue == 1)
        try await connection.send(#"{"id":3,"op":"query","name":"lim3.wild.example.test","type":"A"}"#)
        #expect(try await connection.replies(1).first?["status"]?.intValue == 0)
        #expect(connection.channel.isActive)
        _ = try await connection.channel.finish(acceptAlreadyClosed: true)
    }

    /// The daemon's cancel ops answer every handle state as ``CancelRules``' table says —
    /// the table the engine is run against in `CancelRulesTests`.
    @Test(arguments: CancelRules.Call.allCases)
    func theCancelOpsFollowTheTable(call: CancelRules.Call) async throws {
        let upstream = try Upstream(delay: .seconds(5))
        defer { upstream.stop() }
        let connection = try await Connection(server: Self.server(upstream.resolver))
        let op = call == .cancel ? "cancel" : "cancel_async_request"
        try await connection.send(#"{"id":1,"op":"query","name":"table.wild.example.test","type":"A"}"#)
        let cases: [(handle: Int64, state: CancelRules.HandleState)] = [
            (1, .pending), (1, .finished), (1000, .neverIssued), (0, .zero), (-1, .negative), (-(1 << 53), .negative),
        ]
        var id: Int64 = 10
        for item in cases {
            id += 1
            try await connection.send(#"{"id":\#(id),"op":"\#(op)","handle":\#(item.handle)}"#)
            if item.state == .pending {
                #expect(try await connection.replies(1).first?["status"]?.intValue == 10111)
            }
            let reply = try #require(try await connection.replies(1).first)
            #expect(reply["id"]?.intValue == id)
            #expect(reply["status"]?.intValue == Int64(CancelRules.resultCode(call, item.state).rawValue), "\(op) \(item)")
        }
        try await connection.send(#"{"id":100,"op":"cancel_all"}"#)
        #expect(try await connection.replies(1).first?["status"]?.intValue
            == Int64(CancelRules.cancelAllResultCode(aborted: 0).rawValue))
        _ = try await connection.channel.finish(acceptAlreadyClosed: true)
    }

    /// An over-long line: one error reply without an id, then the connection closes and
    /// nothing after it is read.
    @Test func overLongLineIsAnsweredThenCloses() throws {
        let channel = try Self.embeddedConnection(maximumLineLength: 64)
        try channel.writeInbound(ByteBuffer(string: #"{"id":1,"op":"hello"}"# + "\n"))
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 100) + "\n" + #"{"id":2,"op":"hello"}"# + "\n"))
        var replies = Replies()
        try replies.drain(channel)
        #expect(replies.lines.count == 2, "\(replies.lines)")
        #expect(replies.lines.first?["id"]?.intValue == 1)
        #expect(replies.lines.last?["id"] == .null && replies.lines.last?["status"]?.intValue == 10022)
        #expect(!channel.isActive)
    }

    /// Requests cut anywhere between reads are whole lines to the handler, and a last one
    /// without its newline still counts when the client ends its input (docs/protocol.md):
    /// answered, then the connection closes.
    @Test func linesCutAcrossReadsAndALastLineWithoutItsNewlineAreAnswered() throws {
        let channel = try Self.embeddedConnection(maximumLineLength: 1024)
        let stream = #"{"id":1,"op":"hello"}"# + "\r\n" + #"{"id":2,"op":"hello"}"# + "\n" + #"{"id":3,"op":"hello"}"#
        for byte in stream.utf8 { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        var replies = Replies()
        try replies.drain(channel)
        #expect(replies.lines.map { $0["id"]?.intValue } == [1, 2], "the third has no newline yet")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        try replies.drain(channel)
        #expect(replies.lines.map { $0["id"]?.intValue } == [1, 2, 3])
        #expect(replies.lines.allSatisfy { $0["status"]?.intValue == 0 }, "\(replies.lines)")
        #expect(!channel.isActive)
    }

    /// An id not greater than the last: an error reply, then the connection closes.
    @Test func idOutOfOrderIsAnsweredThenCloses() throws {
        let channel = try Self.embeddedConnection(maximumLineLength: 1024)
        try channel.writeInbound(ByteBuffer(string: #"{"id":5,"op":"hello"}"# + "\n" + #"{"id":5,"op":"hello"}"# + "\n" + #"{"id":6,"op":"hello"}"# + "\n"))
        var replies = Replies()
        try replies.drain(channel)
        #expect(replies.lines.map { $0["status"]?.intValue } == [0, 10022], "\(replies.lines)")
        #expect(!channel.isActive)
    }
}

extension ConnectionHandlerTests {
    enum Fixtures {
        /// A resolver that nothing in these tests asks (no lookup is sent).
        static func silentResolver() throws -> CoreResolver {
            var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: "127.0.0.1:9")])
            configuration.hostsFile = nil
            return try CoreResolver(configuration: configuration)
        }
    }
}
