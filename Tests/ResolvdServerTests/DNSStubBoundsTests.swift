import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The DNS stub listener's bounds, each tried by a client run as uid 65534 (setpriv) and
/// shown *reached*: the client sees the refusals or closes, and `stats` counts them while
/// the questions admitted stay in flight against an upstream that never answers.
@Suite struct DNSStubBoundsTests {
    private func silentDaemon(config: String) throws -> (DaemonProcess, Int, SilentUpstream) {
        let silent = try SilentUpstream.start()
        do {
            let (daemon, port) = try DNSStubTests.daemon(upstream: silent.serverAddress, config: config, timeoutMilliseconds: 60_000, tries: 1)
            return (daemon, port, silent)
        } catch {
            silent.stop()
            throw error
        }
    }

    private func stats(_ daemon: DaemonProcess) throws -> JSONObject {
        let client = try daemon.connect()
        defer { client.close() }
        return try #require(client.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
    }

    @Test func udpQuestionsInFlightPerSourceAreBounded() throws {
        let (daemon, port, silent) = try silentDaemon(config: "dns_max_queries_per_source = 8\n")
        defer { daemon.stop(); silent.stop() }
        let facts = try DNSStubClient.run(["flood-udp", "20", "www.example.test", "3"], port: port, unprivileged: true)
        #expect(facts["rcode-REFUSED"] == "12")
        #expect(facts["replies"] == "12")
        #expect(facts["wrong"] == "0")
        let stats = try stats(daemon)
        #expect(stats["in_flight"]?.intValue == 8)
        #expect(stats["rejected"]?.intValue == 12)
        // On loopback a source is the sending socket's uid: root, from the same 127.0.0.1,
        // is not bound by uid 65534's questions; another address is a source of its own.
        #expect(try DNSStubClient.run(["ask", "localhost", "A"], port: port)["rcode"] == "NOERROR")
        #expect(try DNSStubClient.run(["ask", "localhost", "A", "from", "127.0.0.2"], port: port)["rcode"] == "NOERROR")
    }

    @Test func udpQuestionsInFlightInAllAreBounded() throws {
        let (daemon, port, silent) = try silentDaemon(config: "dns_max_queries = 10\n")
        defer { daemon.stop(); silent.stop() }
        let facts = try DNSStubClient.run(["flood-udp", "25", "www.example.test", "3"], port: port, unprivileged: true)
        #expect(facts["rcode-REFUSED"] == "15")
        let stats = try stats(daemon)
        #expect(stats["in_flight"]?.intValue == 10)
        #expect(stats["rejected"]?.intValue == 15)
    }

    @Test func tcpConnectionsPerSourceAreBounded() throws {
        let (daemon, port, silent) = try silentDaemon(config: "dns_max_tcp_connections_per_source = 4\ndns_tcp_idle_timeout_ms = 3600000\n")
        defer { daemon.stop(); silent.stop() }
        let facts = try DNSStubClient.run(["tcp-connections", "10"], port: port, unprivileged: true)
        #expect(facts["open"] == "4")
        #expect(try stats(daemon)["connections_refused"]?.intValue == 6)
        // Root's connections from the same 127.0.0.1 count as root's, not uid 65534's.
        #expect(try DNSStubClient.run(["tcp-connections", "4"], port: port)["open"] == "4")
    }

    @Test func tcpQuestionsInFlightPerConnectionAreBounded() throws {
        let (daemon, port, silent) = try silentDaemon(config: "dns_max_queries_per_tcp_connection = 4\n")
        defer { daemon.stop(); silent.stop() }
        let names = (0..<10).map { "n\($0).example.test" }
        let facts = try DNSStubClient.run(["pipeline"] + names, port: port, unprivileged: true)
        #expect(facts["answered"] == "6")
        #expect(facts["replies"]?.split(separator: ";").allSatisfy { $0.hasSuffix(":REFUSED:") } == true)
        let stats = try stats(daemon)
        #expect(stats["rejected"]?.intValue == 6)
        // The connection closed when the client exited: its four questions were aborted.
        #expect(stats["aborted"]?.intValue == 4)
        #expect(stats["in_flight"]?.intValue == 0)
    }

    @Test func idleTCPConnectionsAreClosed() throws {
        let (daemon, port, silent) = try silentDaemon(config: "dns_tcp_idle_timeout_ms = 200\n")
        defer { daemon.stop(); silent.stop() }
        let facts = try DNSStubClient.run(["tcp-connections", "3"], port: port, unprivileged: true)
        #expect(facts["open"] == "0")
    }

    /// A framed A query for big.example.test: two bytes of length, a 12-byte header, the
    /// 18-byte name and type and class.
    static let floodFrameBytes = 2 + 12 + 18 + 4

    /// A TCP client that pipelines questions with big answers and never reads: the daemon
    /// stops reading it once `max_queued_reply_bytes` of answers wait (its sends block), and
    /// the questions it had read but not answered wait unanswered (`DNSStubTCPHeldQuestionsTests`).
    @Test func aTCPClientThatNeverReadsIsStopped() throws {
        let (daemon, port) = try DNSStubTests.daemon(config: "max_queued_reply_bytes = 65536\ndns_tcp_idle_timeout_ms = 3600000\n")
        defer { daemon.stop() }
        // Up to 256 MB of questions, whose answers (~700 bytes each to ~40) would be gigabytes.
        let facts = try DNSStubClient.run(["tcp-flood", "big.example.test", String(256 << 20)], port: port, unprivileged: true)
        let blocked = try #require(facts["blocked"].flatMap { Int($0) }, "the daemon kept reading: \(facts)")
        let answered = try stats(daemon)["lookups"]?.intValue ?? 0
        print("dns stub tcp flood: blocked after \(blocked) bytes of questions (\(blocked / Self.floodFrameBytes) questions), \(answered) answered")
        // Others are still answered meanwhile.
        let other = try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)
        #expect(other["rcode"] == "NOERROR", "\(other)")
    }
}
