import ResolvdServer
import ResolverCore
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The cache and coalescing through the socket.
@Suite struct DaemonCacheTests {
    /// An answer record on no CNAME chain from the name asked reaches neither the client
    /// nor the cache: the cached answer served next holds only the chain too.
    @Test func aStrayAnswerRecordIsNeitherAnsweredNorCached() throws {
        let upstream = try ScriptedUpstream.start(script: .strayAnswerRecord)
        defer { upstream.stop() }
        let daemon = try DaemonProcess.start(upstream: upstream.serverAddress, timeoutMilliseconds: 2_000, tries: 1)
        defer { daemon.stop() }
        let client = try daemon.connect()
        for id in Int64(1)...2 {
            let reply = try #require(client.call(#"{"id":\#(id),"op":"query","name":"asked.example.test","type":"A"}"#, id: id))
            let names = reply.result?["records"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue }
            #expect(names == ["asked.example.test", "chained.example.test"], "reply \(id): \(reply)")
        }
        #expect(upstream.queriesReceived == 1, "the second answer came from the cache")
        let stats = try #require(client.call(#"{"id":3,"op":"stats"}"#, id: 3)?.result)
        #expect(stats["cache"]?.objectValue?["hits"]?.intValue == 1)
        // Asked for itself, the stray name is not answered from that cache entry.
        let evil = try #require(client.call(#"{"id":4,"op":"query","name":"evil.test","type":"A"}"#, id: 4))
        #expect(evil.status == 0)
        #expect(upstream.queriesReceived == 2, "evil.test was asked upstream, not served from the cache")
    }

    @Test func cachedAnswersCarryTheRemainingTTLAndStatsCountThem() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        let first = try #require(client.call(#"{"id":1,"op":"query","name":"short.example.test","type":"A"}"#, id: 1))
        let firstTTL = try #require(first.result?["records"]?.arrayValue?.first?.objectValue?["ttl"]?.intValue)
        #expect(firstTTL <= 5 && firstTTL > 1)
        usleep(1_100_000)
        let second = try #require(client.call(#"{"id":2,"op":"query","name":"short.example.test","type":"A"}"#, id: 2))
        let secondTTL = try #require(second.result?["records"]?.arrayValue?.first?.objectValue?["ttl"]?.intValue)
        #expect(secondTTL < firstTTL, "a cached answer shows the remaining TTL")
        let nx1 = try #require(client.call(#"{"id":3,"op":"getaddrinfo","name":"nxdomain.example.test"}"#, id: 3))
        let nx2 = try #require(client.call(#"{"id":4,"op":"getaddrinfo","name":"nxdomain.example.test"}"#, id: 4))
        #expect(nx1.status == 11001 && nx2.status == 11001)
        let stats = try #require(client.call(#"{"id":5,"op":"stats"}"#, id: 5)?.result)
        let cache = try #require(stats["cache"]?.objectValue)
        #expect(cache["hits"]?.intValue == 2)  // the second short.example.test and the negative answer
        #expect(cache["misses"]?.intValue == 2)
        #expect(cache["entries"]?.intValue == 2)
        #expect((cache["bytes"]?.intValue ?? 0) > 0)
        #expect(cache["evictions"]?.intValue == 0)
        #expect(stats["coalesced"]?.intValue == 0)
        let latency = try #require(stats["latency_us"]?.objectValue)
        for key in ["p50", "p90", "p99", "p999"] { #expect((latency[key]?.intValue ?? 0) > 0, "\(key)") }
    }

    /// `stats` shows what the resolver measured of its upstream sockets, and a receive
    /// buffer too small for `max_in_flight_per_channel` is logged as a warning.
    @Test func statsShowTheUpstreamReceiveBufferAndQueryLimit() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(
            upstream: unbound.serverAddress, config: "socket_receive_buffer = 32768\nmax_in_flight_per_channel = 1024\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        let stats = try #require(client.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
        let upstream = try #require(stats["upstream"]?.objectValue)
        let expected = try #require(ReceiveBufferCapacity.measure(requestedBytes: 32768))
        #expect(upstream["receive_buffer_bytes"]?.intValue == 65536)
        #expect(upstream["queries_in_flight_per_channel"]?.intValue == Int64(expected.replies / 2))
        #expect(upstream["channels"]?.intValue == 2)
        #expect(daemon.log.contains("queries in flight lowered to fit"), "\(daemon.log)")

        // resolvdctl exports them as gauges, the counters as counters.
        let resolvdctl = SystemdTestSupport.binaryDirectory + "/resolvdctl"
        let output = try SystemdTestSupport.run([resolvdctl, "--socket", daemon.socketPath, "stats", "--prometheus"])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = Set(output.stdout.split(separator: "\n").map(String.init))
        #expect(lines.contains("# TYPE resolvd_upstream_receive_buffer_bytes gauge"), "\(output.stdout)")
        #expect(lines.contains("resolvd_upstream_receive_buffer_bytes 65536"))
        #expect(lines.contains("resolvd_upstream_queries_in_flight_per_channel \(expected.replies / 2)"))
        #expect(lines.contains("# TYPE resolvd_lookups_total counter"))
    }

    @Test func flushCacheEmptiesItForRoot() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        #expect(client.call(#"{"id":1,"op":"query","name":"www.example.test","type":"A"}"#, id: 1)?.status == 0)
        #expect(client.call(#"{"id":2,"op":"query","name":"www.example.test","type":"AAAA"}"#, id: 2)?.status == 0)
        let flushed = try #require(client.call(#"{"id":3,"op":"flush_cache"}"#, id: 3))
        #expect(flushed.status == 0 && flushed.result?["flushed"]?.intValue == 2)
        let cache = try #require(client.call(#"{"id":4,"op":"stats"}"#, id: 4)?.result?["cache"]?.objectValue)
        #expect(cache["entries"]?.intValue == 0 && cache["bytes"]?.intValue == 0)
    }

    @Test func anExpiredEntryGoesUpstreamAgain() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "cache_max_ttl = 1\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        #expect(client.call(#"{"id":1,"op":"query","name":"www.example.test","type":"A"}"#, id: 1)?.status == 0)
        #expect(client.call(#"{"id":2,"op":"query","name":"www.example.test","type":"A"}"#, id: 2)?.status == 0)
        usleep(1_050_000)
        #expect(client.call(#"{"id":3,"op":"query","name":"www.example.test","type":"A"}"#, id: 3)?.status == 0)
        let cache = try #require(client.call(#"{"id":4,"op":"stats"}"#, id: 4)?.result?["cache"]?.objectValue)
        #expect(cache["hits"]?.intValue == 1 && cache["misses"]?.intValue == 2)
    }

    @Test func noCacheFlagDisablesTheCache() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, extraArguments: ["--no-cache"])
        defer { daemon.stop() }
        let client = try daemon.connect()
        for id in 1...3 {
            #expect(client.call(#"{"id":\#(id),"op":"query","name":"www.example.test","type":"A"}"#, id: Int64(id))?.status == 0)
        }
        let cache = try #require(client.call(#"{"id":4,"op":"stats"}"#, id: 4)?.result?["cache"]?.objectValue)
        #expect(cache["hits"]?.intValue == 0 && cache["entries"]?.intValue == 0)
    }

    @Test func identicalLookupsFromTwoConnectionsShareOneQuery() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress)
        defer { daemon.stop() }
        let alice = try daemon.connect()
        let bob = try daemon.connect()
        // The gate, not a delay, keeps alice's lookup in flight while bob asks the same.
        proxy.hold()
        alice.send(#"{"id":1,"op":"query","name":"mail.example.test","type":"MX"}"#)
        #expect(proxy.waitUntil(repliesHeld: 1), "alice's query never reached the upstream")
        bob.send(#"{"id":7,"op":"query","name":"mail.example.test","type":"MX"}"#)
        // Requests on one connection run in order: the stats come after bob's lookup joined.
        bob.send(#"{"id":8,"op":"stats"}"#)
        let stats = bob.reply()
        #expect(stats?.id == 8 && stats?.result?["coalesced"]?.intValue == 1, "\(String(describing: stats))")
        proxy.release()
        #expect(alice.reply()?.status == 0)
        let answer = bob.reply()
        #expect(answer?.id == 7 && answer?.status == 0)
        #expect(proxy.queriesForwarded == 1 && proxy.repliesRelayed == 1)
    }
}
