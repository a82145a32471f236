import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Serve-stale through the Varlink front end, and what `monitor` says of a stale answer
/// (docs/varlink.md, docs/cache.md): an expired answer whose upstream lookup fails answers
/// ResolveHostname with the old addresses and SD_RESOLVED_FROM_CACHE; with
/// SD_RESOLVED_NO_STALE the call gets the real failure; a monitor reports each stale answer,
/// v1's and Varlink's, with `"source":"stale"`.
///
/// DaemonServeStaleTests' set-up: unbound behind a gated DelayingProxy, answers kept 1 s
/// (`cache_max_ttl`), no client response timer, an upstream try of 400 ms, so a stale
/// answer comes when the silent upstream's lookup fails.
@Suite(.serialized) struct VarlinkServeStaleTests {
    static let method = "io.systemd.Resolve.ResolveHostname"
    static let question = #"{"name":"www.example.test"}"#
    static let noStale: Int64 = 1 << 24

    @Test func staleAnswersAreFromCacheUnlessNoStaleAndMonitoredAsStale() throws {
        let gated = try GatedDaemon.start(
            config: "cache_max_ttl = 1\nserve_stale = 60\nstale_answer_timeout_ms = 0\n", timeoutMilliseconds: 400)
        defer { gated.stop() }
        let monitor = try gated.connect()
        #expect(monitor.call(#"{"id":1,"op":"monitor"}"# + "\n" + #"{"id":2,"op":"hello"}"#, id: 2)?.status == 0)
        let varlink = try LineClient.varlink(path: gated.daemon.varlinkSocketPath)
        let v1 = try gated.connect()

        let fresh = try #require(varlink.varlinkCall(Self.method, Self.question))
        // Taken after the answer, which the cache stored before sending it: `stored + 1.1 s` is
        // past the entry's expiry however long the first lookup took.
        let stored = ContinuousClock.now
        #expect(fresh.varlinkParameters?["flags"]?.intValue == VarlinkResolveTests.dns | VarlinkResolveTests.fromNetwork, "\(fresh)")
        let freshAddresses = Set(VarlinkResolveTests.bytes(fresh))
        #expect(freshAddresses.contains([192, 0, 2, 10]), "\(fresh)")
        #expect(v1.call(#"{"id":1,"op":"query","name":"www.example.test","type":"A"}"#, id: 1)?.status == 0)
        DaemonServeStaleTests.sleep(until: stored + .milliseconds(1_100))  // expired, within serve_stale
        gated.proxy.hold()

        // The upstream fails: the expired addresses, reported from the cache.
        let stale = try #require(varlink.varlinkCall(Self.method, Self.question))
        #expect(stale.varlinkError == nil, "\(stale)")
        #expect(Set(VarlinkResolveTests.bytes(stale)) == freshAddresses, "\(stale)")
        #expect(stale.varlinkParameters?["name"]?.stringValue == "www.example.test")
        #expect(stale.varlinkParameters?["flags"]?.intValue == VarlinkResolveTests.dns | VarlinkResolveTests.fromCache, "\(stale)")
        // NO_STALE: the real failure, as the error docs/varlink.md gives for it.
        let started = ContinuousClock.now
        let optedOut = try #require(varlink.varlinkCall(Self.method, #"{"name":"www.example.test","flags":\#(Self.noStale)}"#))
        #expect(optedOut.varlinkError == "io.systemd.Resolve.MaxAttemptsReached", "NO_STALE gets the real failure: \(optedOut)")
        #expect(DaemonServeStaleTests.milliseconds(ContinuousClock.now - started) >= 380, "after the upstream's try, not before")
        let v1Stale = try #require(v1.call(#"{"id":2,"op":"query","name":"www.example.test","type":"A"}"#, id: 2))
        #expect(v1Stale.status == 0 && v1Stale.result?["stale"] == .bool(true), "\(v1Stale)")

        // The monitor: fresh answers from upstream (v1's A question was the Varlink call's: one
        // cache for both), stale ones as "stale", the opted-out failure from upstream.
        var events: [JSONObject] = []
        while events.count < 5, let line = monitor.reply(timeout: .seconds(10)) {
            if let event = line.event { events.append(event) }
        }
        let seen = events.map { [$0["frontend"]?.stringValue ?? "?", $0["source"]?.stringValue ?? "?", String($0["status"]?.intValue ?? -1)] }
        #expect(seen == [
            ["varlink", "upstream", "0"], ["v1", "cache", "0"],
            ["varlink", "stale", "0"], ["varlink", "upstream", "11002"], ["v1", "stale", "0"],
        ], "\(events)")
        #expect(events.dropFirst(2).first?["summary"]?.stringValue?.contains("192.0.2.10") == true, "\(events)")
        #expect(events.allSatisfy { $0["name"]?.stringValue == "www.example.test" })
        let stats = try #require(monitor.call(#"{"id":3,"op":"stats"}"#, id: 3)?.result)
        #expect(stats["cache"]?.objectValue?["stale"] == .integer(2), "\(stats)")
        gated.proxy.release()
    }

    /// ResolveService runs several lookups (SRV, then each target's addresses): each may be
    /// answered stale, and the reply is the one it would have been, from the cache.
    @Test func resolveServiceIsAnsweredStaleToo() throws {
        let gated = try GatedDaemon.start(
            config: "cache_max_ttl = 1\nserve_stale = 60\nstale_answer_timeout_ms = 0\n", timeoutMilliseconds: 400)
        defer { gated.stop() }
        let varlink = try LineClient.varlink(path: gated.daemon.varlinkSocketPath)
        let method = "io.systemd.Resolve.ResolveService"
        let service = #"{"type":"_http._tcp","domain":"example.test"}"#
        let fresh = try #require(varlink.varlinkCall(method, service))
        // Taken after the answer, which the cache stored before sending it: `stored + 1.1 s` is
        // past the entry's expiry however long the first lookup took.
        let stored = ContinuousClock.now
        let freshServices = try #require(fresh.varlinkParameters?["services"], "\(fresh)")
        #expect(freshServices.arrayValue?.first?.objectValue?["port"]?.intValue == 8080)
        #expect(freshServices.arrayValue?.first?.objectValue?["addresses"]?.arrayValue?.isEmpty == false, "\(fresh)")
        DaemonServeStaleTests.sleep(until: stored + .milliseconds(1_100))  // expired, within serve_stale
        gated.proxy.hold()

        let stale = try #require(varlink.varlinkCall(method, service))
        #expect(stale.varlinkError == nil, "\(stale)")
        #expect(stale.varlinkParameters?["services"] == freshServices, "the same services and addresses: \(stale)")
        #expect(stale.varlinkParameters?["flags"]?.intValue == VarlinkResolveTests.dns | VarlinkResolveTests.fromCache, "\(stale)")
        let optedOut = try #require(varlink.varlinkCall(method, #"{"type":"_http._tcp","domain":"example.test","flags":\#(Self.noStale)}"#))
        #expect(optedOut.varlinkError == "io.systemd.Resolve.MaxAttemptsReached", "\(optedOut)")
        gated.proxy.release()
    }
}
