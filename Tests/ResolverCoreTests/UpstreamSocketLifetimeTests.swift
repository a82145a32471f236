import ResolverTesting
import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// A channel's upstream socket stays open between queries (one lookup at a time does not
/// pay a socket's set-up and teardown each), and the channel is replaced once its socket
/// has served ``ResolverConfiguration/upstreamSocketLifetime``: a fresh socket, a fresh
/// source port, and the old socket closed.
@Suite struct UpstreamSocketLifetimeTests {
    static func resolver(upstream: ScriptedUpstream, lifetime: Duration) throws -> Resolver {
        var configuration = try Fixtures.configuration(upstream: upstream.serverAddress, timeoutPerTry: .seconds(2), tries: 1, channels: 1)
        configuration.upstreamSocketLifetime = lifetime
        return try Resolver(configuration: configuration)
    }

    @Test func queriesOneAtATimeShareTheSocketUntilItsLifetimeThenMoveToANewOne() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let lifetime = Duration.milliseconds(300)
        let resolver = try Self.resolver(upstream: upstream, lifetime: lifetime)

        // Well inside the lifetime: five lookups, one after another, from one port. (With
        // c-ares' default each would open its own socket, on a port of the kernel's choice.)
        let clock = ContinuousClock()
        let started = clock.now
        for index in 0..<5 {
            _ = try await resolver.query("same\(index).example.test", type: .a)
        }
        let early = upstream.sourcePortsSeen
        #expect(clock.now - started < lifetime, "the first five lookups took longer than the lifetime; the machine is too slow for this test")
        #expect(early.count == 5)
        #expect(Set(early).count == 1, "one socket for lookups one at a time: \(early)")

        // Then, paced, until the port changes: not before the lifetime, and soon after it.
        var index = 0
        while Set(upstream.sourcePortsSeen).count == 1, clock.now - started < lifetime * 10 {
            try await Task.sleep(for: .milliseconds(20))
            index += 1
            _ = try await resolver.query("later\(index).example.test", type: .a)
        }
        let ports = upstream.sourcePortsSeen
        let changedAt = try #require(ports.firstIndex { $0 != ports[0] }, "the port never changed: \(ports.count) queries from \(ports[0])")
        #expect(clock.now - started >= lifetime)
        // The next lookup stays on the new socket.
        _ = try await resolver.query("after.example.test", type: .a)
        #expect(upstream.sourcePortsSeen.last == ports[changedAt])
    }

    @Test func replacedChannelsCloseTheirSockets() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let resolver = try Self.resolver(upstream: upstream, lifetime: .milliseconds(30))
        // Ten or more replacements, each after its query finished.
        let clock = ContinuousClock()
        var index = 0
        while Set(upstream.sourcePortsSeen).count < 10, index < 500 {
            index += 1
            _ = try await resolver.query("rotate\(index).example.test", type: .a)
            try await Task.sleep(for: .milliseconds(10))
        }
        let ports = Set(upstream.sourcePortsSeen)
        #expect(ports.count >= 10, "\(ports.count) ports in \(index) lookups (\(clock))")
        // A replaced channel with no query is destroyed when its loop next wakes; the lookup
        // below wakes it. What stays open towards the upstream: the current socket, and at
        // most the one it replaced.
        _ = try await resolver.query("last.example.test", type: .a)
        let open = try Self.udpSocketsConnected(toPort: upstream.port)
        #expect((1...2).contains(open), "\(open) UDP sockets towards the upstream after \(ports.count) channels")
        withExtendedLifetime(resolver) {}
    }

    /// UDP sockets in this network namespace whose remote end is 127.0.0.1:`port`
    /// (/proc/net/udp: the fixture listens on it, so only clients are connected to it).
    static func udpSocketsConnected(toPort port: UInt16) throws -> Int {
        let text = try TextFile.read("/proc/net/udp")
        let remote = "0100007F:" + String(port, radix: 16, uppercase: true).leftPadded(to: 4)
        return text.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[2] == remote
        }.count
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
