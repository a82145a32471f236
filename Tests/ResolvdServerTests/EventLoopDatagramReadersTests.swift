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

    /// An upstream floods the resolver's socket while the channel is busy (held here, as a
    /// long pass of its loop would hold it): the inbox takes `arrivalLimit` datagrams and
    /// the reader drops the rest, counted, instead of copying the flood into memory. Once the
    /// channel is free the loop hands the queued ones to c-ares (which ignores them: no
    /// query has their ids), and the real reply still answers the lookup.
    @Test func aFloodWhileTheChannelIsBusyStopsAtTheArrivalLimit() async throws {
        let upstream = try LoopbackDatagramSocket()
        defer { close(upstream.fd) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: "127.0.0.1:\(upstream.port)")])
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        configuration.timeoutPerTry = .seconds(5)
        configuration.channelCount = 1
        configuration.maxInFlightPerChannel = 8
        let resolver = try CoreResolver(configuration: configuration, datagramReaders: EventLoopDatagramReaders(group: group))
        defer { resolver.shutdown() }
        let limit = resolver.channelArrivalLimit
        #expect(limit == 2 * resolver.queryLimitPerChannel)
        let flood = limit + 300

        let loop = group.next()
        let answered = Task { try await Self.ask("flood.example.test", on: loop, resolver: resolver) }
        let (query, source) = try upstream.receive(timeoutMilliseconds: 5_000)
        let queryID = UInt16(query[0]) << 8 | UInt16(query[1])
        try resolver.whileHoldingChannel(0) {
            for index in 0..<flood {
                // A bare reply header under an id no query has.
                let id = queryID &+ 1 &+ UInt16(index)
                try upstream.send([UInt8(id >> 8), UInt8(id & 0xFF), 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0], to: source)
            }
            // Every datagram of the flood reaches the reader (8 MiB buffers): queued up to
            // the limit, dropped past it.
            let deadline = ContinuousClock.now + .seconds(10)
            while resolver.repliesDropped < flood - limit && ContinuousClock.now < deadline { usleep(1_000) }
        }
        #expect(resolver.repliesDropped == flood - limit, "the inbox did not stop at \(limit) arrivals")
        try upstream.send(Self.answer(to: query, address: [192, 0, 2, 7]), to: source)
        let (answer, _) = try await answered.value
        #expect(answer.records.map(\.data) == [.a(address: "192.0.2.7")])
        // Nothing was dropped once the channel was free.
        #expect(resolver.repliesDropped == flood - limit)
    }

    /// `query`'s header and question, answered with one A record (TTL 60).
    static func answer(to query: [UInt8], address: [UInt8]) throws -> [UInt8] {
        var end = 12
        while end < query.count && query[end] != 0 { end += 1 + Int(query[end]) }
        try #require(end + 5 <= query.count, "a query without a whole question")
        var reply = Array(query[0..<(end + 5)])
        reply[2] = 0x81
        reply[3] = 0x80
        reply[6...11] = [0, 1, 0, 0, 0, 0]  // ANCOUNT 1; no authority, no OPT
        reply += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4] + address
        return reply
    }

    /// A loopback UDP port nothing listens on (bound, then closed).
    static func closedUDPPort() throws -> UInt16 {
        let socket = try LoopbackDatagramSocket()
        close(socket.fd)
        return socket.port
    }
}

/// A UDP socket on a free loopback port that the test reads and writes by hand: an upstream
/// whose every datagram the test chooses.
private struct LoopbackDatagramSocket {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// The next datagram and where it came from, waiting up to `timeoutMilliseconds`.
    func receive(timeoutMilliseconds: Int32) throws -> ([UInt8], sockaddr_in) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        try #require(poll(&poller, 1, timeoutMilliseconds) == 1, "no query within \(timeoutMilliseconds) ms")
        var buffer = [UInt8](repeating: 0, count: 4_096)
        var source = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &length) }
            }
        }
        try #require(count > 0)
        return (Array(buffer[0..<count]), source)
    }

    func send(_ bytes: [UInt8], to destination: sockaddr_in) throws {
        var destination = destination
        let sent = bytes.withUnsafeBytes { payload in
            withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, payload.baseAddress, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        try #require(sent == bytes.count, "sendto: \(String(cString: strerror(errno)))")
    }
}
