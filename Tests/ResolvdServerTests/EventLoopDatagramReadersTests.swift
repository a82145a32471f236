import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ResolverTesting
import Testing

@testable import ResolvdServer
@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The resolvers' UDP sockets read by the daemon's event loops (``EventLoopDatagramReaders``):
/// a lookup started on an event loop is sent, read, handed to c-ares and answered on that
/// loop; replies, refusals and lookups started by completions all still arrive, whichever
/// thread holds the channel when they do.
@Suite struct EventLoopDatagramReadersTests {
    static func resolver(
        servers: [String], group: MultiThreadedEventLoopGroup, timeoutPerTry: Duration = .milliseconds(1500),
        channels: Int = 2, socketLifetime: Duration = .seconds(3600)
    ) throws -> CoreResolver {
        var configuration = ResolverConfiguration(servers: try servers.map { try DNSServerAddress(parsing: $0) })
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        configuration.timeoutPerTry = timeoutPerTry
        configuration.tries = 2
        configuration.channelCount = channels
        configuration.upstreamSocketLifetime = socketLifetime
        return try CoreResolver(configuration: configuration, datagramReaders: EventLoopDatagramReaders(group: group))
    }

    /// The first question on `loop`: its answer and whether its completion ran on `loop`.
    static func ask(_ name: String, on loop: any EventLoop, resolver: CoreResolver) async throws -> (QueryAnswer, Bool) {
        let promise = loop.makePromise(of: (QueryAnswer, Bool).self)
        loop.execute {
            _ = resolver.query(name, type: .a) { result in
                promise.completeWith(result.map { ($0, loop.inEventLoop) }.mapError { $0 as any Error })
            }
        }
        return try await promise.futureResult.get()
    }

    @Test func coldLookupsStartedOnAnEventLoopAreReadAndAnsweredThere() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { group.shutdownGracefully { _ in } }
        let resolver = try Self.resolver(servers: [upstream.serverAddress], group: group)
        defer { resolver.shutdown() }
        for index in 0..<20 {
            let (answer, onLoop) = try await Self.ask("cold\(index).example.test", on: group.next(), resolver: resolver)
            #expect(answer.records.map(\.data) == [.a(address: "192.0.2.1")])
            #expect(onLoop, "lookup \(index) was answered on another thread")
        }
        #expect(upstream.queriesReceived == 20)
        // Every reply went to c-ares on the event loop that read it: no channel thread took one.
        #expect(resolver.channelRepliesReadAtOnce == 20)
        #expect(resolver.channelWakeUpsForStarts == 0)
    }

    /// The first upstream's port is closed: the kernel answers each query with an ICMP port
    /// unreachable, which the event loop reads as ECONNREFUSED. Handed to c-ares, it moves
    /// on to the second upstream at once; lost, the lookup would wait out the 5 s try.
    @Test func aRefusedUpstreamIsLeftAtOnceThroughTheReader() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let closedPort = try Self.closedUDPPort()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let resolver = try Self.resolver(
            servers: ["127.0.0.1:\(closedPort)", upstream.serverAddress], group: group, timeoutPerTry: .seconds(5), channels: 1)
        defer { resolver.shutdown() }
        let clock = ContinuousClock()
        let started = clock.now
        let (answer, onLoop) = try await Self.ask("refused.example.test", on: group.next(), resolver: resolver)
        let took = clock.now - started
        #expect(answer.records.map(\.data) == [.a(address: "192.0.2.1")])
        #expect(onLoop)
        #expect(took < .seconds(4), "took \(took): the refusal did not reach c-ares")
        #expect(resolver.upstreamStatuses[0].errors >= 1)
    }

    /// Thousands of lookups from both event loops and from a plain thread, each completion
    /// on an event loop starting the next lookup there (queued while that loop holds the
    /// channel), with channels replaced every 20 ms under the traffic (sockets closed while
    /// replies may be on their way): every lookup completes exactly once, answered.
    @Test func lookupsFromEveryThreadUnderChannelReplacementEachCompleteOnce() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { group.shutdownGracefully { _ in } }
        let resolver = try Self.resolver(servers: [upstream.serverAddress], group: group, socketLifetime: .milliseconds(20))
        defer { resolver.shutdown() }
        let perChain = 500
        let chains = 8
        let completions = NIOLockedValueBox<[Int: Int]>([:])
        let failures = NIOLockedValueBox<[String]>([])
        let finished = NIOLockedValueBox(0)

        @Sendable func chain(_ chainIndex: Int, step: Int, loop: (any EventLoop)?) {
            guard step < perChain else {
                finished.withLockedValue { $0 += 1 }
                return
            }
            let id = chainIndex * perChain + step
            _ = resolver.query("chain\(id).example.test", type: .a) { result in
                let count = completions.withLockedValue { counts -> Int in
                    counts[id, default: 0] += 1
                    return counts[id]!
                }
                switch result {
                case .success(let answer) where answer.records.map(\.data) == [.a(address: "192.0.2.1")] && count == 1: break
                default: failures.withLockedValue { $0.append("lookup \(id): \(result), completion \(count)") }
                }
                if let loop {
                    // The next lookup starts on the same loop, from inside this completion.
                    chain(chainIndex, step: step + 1, loop: loop)
                } else {
                    DispatchQueue.global().async { chain(chainIndex, step: step + 1, loop: nil) }
                }
            }
        }
        let loops = Array(group.makeIterator())
        for index in 0..<chains {
            if index < 6 {
                let loop = loops[index % loops.count]
                loop.execute { chain(index, step: 0, loop: loop) }
            } else {
                DispatchQueue.global().async { chain(index, step: 0, loop: nil) }
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while finished.withLockedValue({ $0 }) < chains && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(finished.withLockedValue { $0 } == chains)
        #expect(failures.withLockedValue { Array($0.prefix(5)) } == [])
        #expect(completions.withLockedValue { $0.count } == chains * perChain)
        // The readers took replies themselves, and the sockets were replaced meanwhile.
        #expect(resolver.channelRepliesReadAtOnce > 0)
    }

    /// A loopback UDP port nothing listens on (bound, then closed).
    static func closedUDPPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return UInt16(bigEndian: address.sin_port)
    }
}
