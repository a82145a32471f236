import Glibc
import Testing
@testable import ResolverTesting

/// Reads the first answer record of a reply: its TTL and RDATA.
private func firstAnswer(_ reply: DNSProbe.Reply) -> (ttl: UInt32, type: UInt16, rdata: [UInt8])? {
    let bytes = reply.bytes
    guard reply.answerCount > 0,
          let questionEnd = DNSWire.questionEnd(bytes),
          let nameEnd = DNSWire.skipName(bytes, at: questionEnd),
          nameEnd + 10 <= bytes.count else { return nil }
    func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]) }
    let type = u16(nameEnd)
    let ttl = UInt32(u16(nameEnd + 4)) << 16 | UInt32(u16(nameEnd + 6))
    let length = Int(u16(nameEnd + 8))
    guard nameEnd + 10 + length <= bytes.count else { return nil }
    return (ttl, type, Array(bytes[(nameEnd + 10)..<(nameEnd + 10 + length)]))
}

@Suite struct UnboundServerTests {
    @Test func servesTheExampleZone() throws {
        let server = try UnboundServer.start()
        defer { server.stop() }
        #expect(server.serverAddress == "127.0.0.1:\(server.port)")

        let www = try DNSProbe.query("www.example.test", type: .a, port: server.port)
        #expect(www.rcode == 0)
        #expect(www.answerCount == 1)
        #expect(www.isAuthoritative)
        #expect(firstAnswer(www)?.rdata == [192, 0, 2, 10])
        #expect(firstAnswer(www)?.ttl == 300)

        let missing = try DNSProbe.query("nxdomain.example.test", type: .a, port: server.port)
        #expect(missing.rcode == 3)
        #expect(missing.answerCount == 0)

        let noAAAA = try DNSProbe.query("v4only.example.test", type: .aaaa, port: server.port)
        #expect(noAAAA.rcode == 0)
        #expect(noAAAA.answerCount == 0)

        let short = try DNSProbe.query("short.example.test", type: .a, port: server.port)
        #expect(firstAnswer(short)?.ttl == 5)
        let long = try DNSProbe.query("longttl.example.test", type: .a, port: server.port)
        #expect(firstAnswer(long)?.ttl == 86_400)
    }

    @Test func wildcardAnswersManyNamesWithTheZoneTTL() throws {
        let server = try UnboundServer.start()
        defer { server.stop() }
        for label in ["a", "b-\(UInt32.random(in: 0...UInt32.max))", "deep.er"] {
            let reply = try DNSProbe.query("\(label).wild.example.test", type: .a, port: server.port)
            #expect(reply.rcode == 0)
            #expect(reply.answerCount == 1)
            #expect(firstAnswer(reply)?.rdata == [192, 0, 2, 99])
            #expect(firstAnswer(reply)?.ttl == 300)
        }
        let v6 = try DNSProbe.query("x.wild.example.test", type: .aaaa, port: server.port)
        #expect(firstAnswer(v6)?.rdata == [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x99])
        #expect(firstAnswer(v6)?.ttl == 300)
    }

    @Test func servesEveryRecordTypeAndTheReverseZones() throws {
        let server = try UnboundServer.start()
        defer { server.stop() }
        let cases: [(String, DNSRecordTypeNumber, Int)] = [
            ("alias.example.test", 1, 2), ("chain.example.test", 1, 3), ("multi.example.test", 1, 2),
            ("mail.example.test", 15, 2), ("_http._tcp.example.test", 33, 1), ("txt.example.test", 16, 1),
            ("caa.example.test", 257, 1), ("naptr.example.test", 35, 1), ("example.test", 6, 1),
            ("v6only.example.test", 28, 1), ("10.2.0.192.in-addr.arpa", 12, 1),
            ("20.2.0.192.in-addr.arpa", 12, 1),
            ("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", 12, 1),
        ]
        for (name, type, count) in cases {
            let reply = try DNSProbe.query(name, typeNumber: type, port: server.port, ednsPayloadSize: 1232)
            #expect(reply.rcode == 0, "\(name) type \(type)")
            #expect(reply.answerCount == count, "\(name) type \(type)")
        }
        let caa = try DNSProbe.query("caa.example.test", typeNumber: 257, port: server.port)
        #expect(firstAnswer(caa)?.type == 257)
        #expect(firstAnswer(caa)?.rdata == [0, 5] + Array("issue".utf8) + Array("ca.example.net".utf8))
        let unknownReverse = try DNSProbe.query("99.2.0.192.in-addr.arpa", typeNumber: 12, port: server.port)
        #expect(unknownReverse.rcode == 3)
        #expect(unknownReverse.isAuthoritative)
    }

    @Test func bigAnswerIsTruncatedOverPlainUDPAndFitsWithEDNS() throws {
        let server = try UnboundServer.start()
        defer { server.stop() }
        let plain = try DNSProbe.query("big.example.test", type: .a, port: server.port)
        #expect(plain.isTruncated)
        let edns = try DNSProbe.query("big.example.test", type: .a, port: server.port, ednsPayloadSize: 4096)
        #expect(!edns.isTruncated)
        #expect(edns.answerCount == Zone.bigRecordCount)
    }

    @Test func namesOutsideTheZonesFailWithoutLeavingTheMachine() throws {
        let server = try UnboundServer.start()
        defer { server.stop() }
        let start = ContinuousClock.now
        let reply = try DNSProbe.query("example.com", type: .a, port: server.port, timeout: .seconds(5))
        #expect(reply.rcode == 2)
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func stopEndsTheServerAndRemovesItsDirectory() throws {
        let server = try UnboundServer.start(zones: [.example])
        let directory = server.directory
        #expect(access(directory, F_OK) == 0)
        server.stop()
        #expect(access(directory, F_OK) != 0)
        #expect(throws: DNSProbe.ProbeError.refused) {
            try DNSProbe.query("www.example.test", type: .a, port: server.port, timeout: .milliseconds(500))
        }
        server.stop()
    }

    @Test func customZonesAndExtraConfig() throws {
        let zone = Zone(origin: "custom.test", text: """
            $TTL 60
            @ 60 IN SOA ns.custom.test. h.custom.test. 1 3600 600 86400 60
            @ 60 IN NS ns.custom.test.
            ns 60 IN A 127.0.0.1
            host 42 IN A 198.51.100.7

            """)
        let server = try UnboundServer.start(zones: [zone], extraConfig: "  minimal-responses: yes")
        defer { server.stop() }
        let reply = try DNSProbe.query("host.custom.test", type: .a, port: server.port)
        #expect(firstAnswer(reply)?.rdata == [198, 51, 100, 7])
        #expect(firstAnswer(reply)?.ttl == 42)
        let other = try DNSProbe.query("www.example.test", type: .a, port: server.port)
        #expect(other.rcode == 2)
    }
}

private typealias DNSRecordTypeNumber = UInt16

@Suite struct UpstreamFixtureTests {
    @Test func silentUpstreamNeverAnswers() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        #expect(silent.serverAddress == "127.0.0.1:\(silent.port)")
        let start = ContinuousClock.now
        #expect(throws: DNSProbe.ProbeError.timeout) {
            try DNSProbe.query("www.example.test", type: .a, port: silent.port, timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        // TCP connects (the backlog accepts) but nothing is ever read.
        let fd = try Socket.make(SOCK_STREAM)
        defer { close(fd) }
        try Socket.connect(fd, host: "127.0.0.1", port: silent.port)
    }

    @Test(arguments: FailingUpstream.Failure.allCases)
    func failingUpstreamAnswersWithItsRcode(failure: FailingUpstream.Failure) throws {
        let upstream = try FailingUpstream.start(failure: failure)
        defer { upstream.stop() }
        let reply = try DNSProbe.query("www.example.test", type: .aaaa, port: upstream.port)
        #expect(reply.rcode == failure.rawValue)
        #expect(reply.answerCount == 0)
        #expect(DNSWire.questionEnd(reply.bytes) == reply.bytes.count)
        #expect(reply.bytes[4...5] == [0, 1])
        _ = try DNSProbe.query("again.example.test", type: .a, port: upstream.port)
        #expect(upstream.queriesReceived == 2)
    }

    @Test func failingUpstreamServesTCP() throws {
        let upstream = try FailingUpstream.start()
        defer { upstream.stop() }
        let fd = try Socket.make(SOCK_STREAM)
        defer { close(fd) }
        try Socket.connect(fd, host: "127.0.0.1", port: upstream.port)
        let query = try DNSWire.query(id: 0xbeef, name: "www.example.test", type: 1, recursionDesired: true, ednsPayloadSize: nil)
        // Two queries in one write, to exercise the framing.
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xff)] + query
        #expect(Socket.writeAll(fd, framed + framed))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(3)
        while received.count < 2 * (2 + query.count), ContinuousClock.now < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            received += buffer[0..<n]
        }
        #expect(received.count == 2 * (2 + query.count))
        #expect(received.count > 5 && received[2...3] == [0xbe, 0xef])
        #expect(received.count > 5 && received[5] & 0x0f == 2)
        #expect(upstream.queriesReceived == 2)
    }

    @Test func stoppedFailingUpstreamRefuses() throws {
        let upstream = try FailingUpstream.start()
        upstream.stop()
        #expect(throws: DNSProbe.ProbeError.refused) {
            try DNSProbe.query("www.example.test", type: .a, port: upstream.port, timeout: .milliseconds(500))
        }
    }

    @Test func delayingProxyAddsItsDelay() throws {
        let upstream = try FailingUpstream.start(failure: .refused)
        defer { upstream.stop() }
        let proxy = try DelayingProxy.start(upstreamPort: upstream.port, delay: .milliseconds(250))
        defer { proxy.stop() }
        #expect(proxy.serverAddress == "127.0.0.1:\(proxy.port)")

        // The upstream itself answers (the delay below is the proxy's, not a missing answer).
        #expect(try DNSProbe.query("www.example.test", type: .a, port: upstream.port).rcode == 5)

        let start = ContinuousClock.now
        let reply = try DNSProbe.query("www.example.test", type: .a, port: proxy.port)
        #expect(ContinuousClock.now - start >= .milliseconds(250))
        #expect(reply.rcode == 5)
        #expect(proxy.repliesRelayed == 1)
    }

    /// The gate: a held reply reaches nobody until release, then arrives.
    @Test func delayingProxyHoldsRepliesUntilReleased() throws {
        let upstream = try FailingUpstream.start(failure: .refused)
        defer { upstream.stop() }
        let proxy = try DelayingProxy.start(upstreamPort: upstream.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold()
        let fd = try Socket.make(SOCK_DGRAM)
        defer { close(fd) }
        try Socket.connect(fd, host: "127.0.0.1", port: proxy.port)
        let query = try DNSWire.query(id: 9, name: "held.example.test", type: 1, recursionDesired: true, ednsPayloadSize: nil)
        _ = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        #expect(proxy.waitUntil(queriesForwarded: 1))
        #expect(proxy.waitUntil(repliesHeld: 1))
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pfd, 1, 300) == 0, "a reply passed the closed gate")
        #expect(proxy.repliesRelayed == 0)
        proxy.release()
        #expect(poll(&pfd, 1, 10_000) == 1, "the released reply arrives")
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(n >= 12 && buffer[1] == 9 && buffer[3] & 0x0f == 5)
        #expect(proxy.repliesRelayed == 1 && proxy.repliesHeld == 0)
    }

    @Test func delayingProxyDelaysQueriesConcurrently() throws {
        let server = try UnboundServer.start()
        defer { server.stop() }
        let proxy = try DelayingProxy.start(upstreamPort: server.port, delay: .milliseconds(300))
        defer { proxy.stop() }

        // Eight queries from one socket, all with the same id: the proxy must keep them apart.
        let fd = try Socket.make(SOCK_DGRAM)
        defer { close(fd) }
        try Socket.connect(fd, host: "127.0.0.1", port: proxy.port)
        let start = ContinuousClock.now
        for index in 0..<8 {
            let query = try DNSWire.query(id: 7, name: "n\(index).wild.example.test", type: 1, recursionDesired: true, ednsPayloadSize: nil)
            _ = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        }
        var replies: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while replies.count < 8, ContinuousClock.now - start < .seconds(3) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { replies.append(Array(buffer[0..<n])) }
        }
        let elapsed = ContinuousClock.now - start
        #expect(replies.count == 8)
        #expect(elapsed >= .milliseconds(300))
        // One after another they would take 8 × 300 ms at least: anything less proves overlap.
        #expect(elapsed < .milliseconds(8 * 300), "queries were delayed one after another")
        #expect(replies.allSatisfy { $0[0] == 0 && $0[1] == 7 && $0[3] & 0x0f == 0 })
    }
}

/// The test clients' descriptors are closed exactly once. A client that closed its socket
/// when `connect` failed and again in `deinit` (Swift deinitialises a class whose
/// initialiser throws once it is whole) closed, once in a while, a descriptor another
/// thread had just been given — a resolver's eventfd, whose shutdown then hung.
@Suite struct LineClientDescriptorTests {
    @Test func aClientThatCannotConnectClosesItsSocketOnce() throws {
        let path = "/tmp/resolvd-test-no-socket-\(getpid())"
        for _ in 0..<100 {
            // A second close would find the number free and trap in LineClient.close().
            #expect(throws: FixtureError.self) { _ = try LineClient(path: path) }
        }
        // A descriptor that exists the whole time is never closed by the failed clients.
        let witness = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(witness >= 0)
        defer { close(witness) }
        for _ in 0..<100 { #expect(throws: FixtureError.self) { _ = try LineClient(path: path) } }
        #expect(fcntl(witness, F_GETFD) >= 0)
    }

    @Test func closeIsIdempotentAndDeinitDoesNotCloseAgain() throws {
        let path = "/tmp/resolvd-test-listener-\(getpid())"
        unlink(path)
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(listener); unlink(path) }
        #expect(UnixSocketAddress.with(path) { bind(listener, $0, $1) } == 0)
        #expect(listen(listener, 1) == 0)
        var client: LineClient? = try LineClient(path: path)
        client?.close()
        client?.close()  // traps if it closed the descriptor again
        // Most likely the number the client had: deinit must not close it.
        let reused = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(reused) }
        client = nil
        #expect(fcntl(reused, F_GETFD) >= 0)
    }
}

