import Dispatch
import NIOCore
import NIOPosix
import ResolvdProtocol
import ResolverClient
import ResolverTesting
import Testing

/// ``ResolvdNIOResolver`` under `ClientBootstrap`'s Happy Eyeballs, against a real daemon.
@Suite struct NIOResolverTests {
    /// A name with A 127.0.0.1 (where a listener waits) and AAAA ::1, whose AAAA answer is
    /// held at a gated upstream: the connection is made over IPv4, then the bootstrap's
    /// `cancelQueries()` cancels the AAAA lookup in the daemon (stats: cancelled 1, nothing
    /// left in flight) while its answer is still at the gate.
    @Test func connectSucceedsOnIPv4AndTheHeldAAAALookupIsCancelled() async throws {
        let zone = Zone(origin: "nio.test.", text: """
            $ORIGIN nio.test.
            $TTL 300
            @       300 IN SOA ns.nio.test. hostmaster.nio.test. 1 3600 600 86400 60
            @       300 IN NS  ns.nio.test.
            ns      300 IN A   127.0.0.1
            connect 300 IN A   127.0.0.1
            connect 300 IN AAAA ::1

            """)
        let unbound = try UnboundServer.start(zones: [zone])
        defer { unbound.stop() }
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold(recordTypes: [28])  // AAAA
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { daemon.stop() }

        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        let connection = try await ResolvdConnection.connect(socketPath: daemon.socketPath)
        let loop = group.next()
        let resolver = ResolvdNIOResolver(connection: connection, eventLoop: loop)
        let channel = try await ClientBootstrap(group: loop).resolver(resolver)
            .connect(host: "connect.nio.test", port: port).get()
        #expect(channel.remoteAddress?.ipAddress == "127.0.0.1")
        #expect(channel.remoteAddress?.port == port)
        // The AAAA answer was at the gate all along: the connection did not wait for it.
        #expect(proxy.repliesHeld == 1)

        let stats = try await Self.statsWhenSettled(connection)
        #expect(stats.cancelled == 1, "\(stats)")
        #expect(stats.inFlight == 0)
        #expect(stats.completed == stats.lookups)
        try await channel.close()
        try await listener.close()
        await connection.close()
    }

    /// The daemon's stats once no lookup is in flight (the cancel is on its way when the
    /// connect returns); the last stats after 5 s.
    static func statsWhenSettled(_ connection: ResolvdConnection) async throws -> StatsResult {
        var stats = try await connection.stats()
        for _ in 0..<500 where stats.inFlight != 0 {
            try await Task.sleep(for: .milliseconds(10))
            stats = try await connection.stats()
        }
        return stats
    }
}
