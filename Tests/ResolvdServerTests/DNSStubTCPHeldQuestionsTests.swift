import Foundation
import Logging
import NIOCore
import NIOEmbedded
import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

/// ``DNSStubTCPHandler``'s back-pressure (``BackPressuredConnection``) on its own, in an `EmbeddedChannel` over the real
/// lookup service and a hosts file (its answers come before the ask returns, no network):
/// while the client's answers are unread past the bound (the channel unwritable), the
/// questions already read are held unanswered — not answered by the thousand, holding the
/// event loop — and answered in order once it reads; never if it leaves first.
@Suite struct DNSStubTCPHeldQuestionsTests {
    static let hostsFile: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resolvd-held-\(getpid()).hosts").path
        let big = (1...80).map { "192.0.2.\($0) big.example.test\n" }.joined()
        try! ("192.0.2.10 www.example.test\n" + big).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    static func channel() throws -> (EmbeddedChannel, ServerContext, RefusingPort) {
        let refusing = try RefusingPort()
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: refusing.serverAddress)])
        configuration.hostsFile = hostsFile
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        let server = ServerContext(
            lookups: LookupService(resolver: try CoreResolver(configuration: configuration), cacheEnabled: true, settings: .init()),
            limits: DaemonConfiguration.Limits(), stats: ServerStats(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let lookups = DNSStubLookups(server: server, answering: LookupServiceStubAnswering(lookups: server.lookups))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(StubTCPFrameDecoder()), DNSStubTCPHandler(lookups: lookups, source: "127.0.0.1", uid: nil),
        ])
        return (channel, server, refusing)
    }

    /// `count` framed A queries for `name`, ids 1…count, in one buffer (one read).
    static func frames(_ name: String, count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        for id in 1...count {
            var query: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            for label in name.split(separator: ".") {
                query.append(UInt8(label.utf8.count))
                query += Array(label.utf8)
            }
            query += [0, 0, 1, 0, 1]
            buffer.writeInteger(UInt16(query.count))
            buffer.writeBytes(query)
        }
        return buffer
    }

    /// The ids of the answers written so far.
    static func answeredIDs(_ channel: EmbeddedChannel) throws -> [Int] {
        var ids: [Int] = []
        while var frame = try channel.readOutbound(as: ByteBuffer.self) {
            _ = frame.readInteger(as: UInt16.self)
            ids.append(Int(frame.readInteger(as: UInt16.self)!))
        }
        return ids
    }

    @Test func questionsReadWhileAnswersWaitUnreadAreHeldThenAnsweredInOrder() throws {
        let (channel, server, refusing) = try Self.channel()
        defer { refusing.stop() }
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        try channel.writeInbound(Self.frames("big.example.test", count: 1_000))
        #expect(try Self.answeredIDs(channel).isEmpty, "answered while the client read nothing")
        #expect(server.stats.lookups.load(ordering: .relaxed) == 0)

        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.run()  // the held questions run in a task of their own
        #expect(try Self.answeredIDs(channel) == Array(1...1_000))
        // Reading again: a question now is answered at once.
        try channel.writeInbound(Self.frames("www.example.test", count: 1))
        #expect(try Self.answeredIDs(channel) == [1])
        _ = try channel.finish()
    }

    @Test func heldQuestionsOfAClientThatLeavesAreNeverAnswered() throws {
        let (channel, server, refusing) = try Self.channel()
        defer { refusing.stop() }
        try channel.writeInbound(Self.frames("www.example.test", count: 3))
        #expect(try Self.answeredIDs(channel) == [1, 2, 3])
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        try channel.writeInbound(Self.frames("big.example.test", count: 500))
        _ = try channel.finish()
        #expect(server.stats.lookups.load(ordering: .relaxed) == 3, "only the questions answered before the bound count")
        #expect(server.stats.inFlight.load(ordering: .relaxed) == 0)
    }
}
