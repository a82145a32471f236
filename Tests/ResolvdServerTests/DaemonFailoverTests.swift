import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Failover through the real daemon (docs/reliability.md, "When upstreams fail"): the
/// `upstreams` array of `stats` reports each upstream's health and traffic, and once the
/// silent first upstream is down, cold lookups no longer wait a try on it.
@Suite(.serialized) struct DaemonFailoverTests {
    static func stats(_ client: LineClient, id: inout Int64) throws -> StatsResult {
        defer { id += 1 }
        let reply = try #require(client.call(#"{"id":\#(id),"op":"stats"}"#, id: id)?.result)
        return try #require(StatsResult(json: .object(reply)), "stats did not decode: \(reply)")
    }

    /// Cold lookups of distinct names through `client`: milliseconds each, sorted.
    static func coldLookupTimes(_ client: LineClient, id: inout Int64, tag: String) -> [Int64] {
        var times: [Int64] = []
        for index in 0..<100 {
            let started = ContinuousClock.now
            let reply = client.call(#"{"id":\#(id),"op":"getaddrinfo","name":"\#(tag)\#(index).wild.example.test","family":"inet"}"#, id: id)
            id += 1
            #expect(reply?.status == 0)
            let elapsed = ContinuousClock.now - started
            times.append(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        }
        return times.sorted()
    }

    @Test func silentFirstUpstreamIsReportedDownAndSkipped() throws {
        let unbound = try UnboundServer.start()
        defer { unbound.stop() }
        // The healthy upstream's own time, through a daemon that has only it, on this machine now.
        let baseline = try DaemonProcess.start(upstream: unbound.serverAddress, timeoutMilliseconds: 150, tries: 2)
        var baselineID: Int64 = 1
        let healthyP99 = Self.coldLookupTimes(try baseline.connect(), id: &baselineID, tag: "base")[98]
        baseline.stop()

        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let daemon = try DaemonProcess.start(
            upstream: silent.serverAddress, timeoutMilliseconds: 150, tries: 2,
            extraArguments: ["--dns", unbound.serverAddress, "--probe-interval-ms", "60000"])
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 1
        var stats = try Self.stats(client, id: &id)
        #expect(stats.upstreams.map(\.address) == [silent.serverAddress, unbound.serverAddress])
        #expect(stats.upstreams.allSatisfy { $0.up })

        // Learning: distinct names (cache misses) until the silent upstream is reported down.
        // Each of these waited a 150 ms try on it: their times are what waiting costs here, now.
        var waited: [Duration] = []
        for attempt in 0..<20 where stats.upstreams[0].up {
            let started = ContinuousClock.now
            _ = client.call(#"{"id":\#(id),"op":"getaddrinfo","name":"learn\#(attempt).wild.example.test","family":"inet"}"#, id: id)
            waited.append(ContinuousClock.now - started)
            id += 1
            stats = try Self.stats(client, id: &id)
        }
        #expect(!stats.upstreams[0].up && stats.upstreams[0].timeouts >= 2)
        let triesBefore = stats.upstreams[0].queries

        // Relative, not absolute: 90 of 100 cold lookups take less than half the fastest lookup
        // that waited a try on the silent upstream (once it is down, none waits; one that did
        // would take as long as those; a busy machine slows both sides alike). The count of
        // tries below is the exact check.
        let times = Self.coldLookupTimes(client, id: &id, tag: "cold")
        let fastestWait = try #require(waited.min())
        #expect(.milliseconds(times[89]) * 2 < fastestWait, "p90 of cold lookups \(times[89]) ms; a lookup that waited a try: ≥ \(fastestWait)")
        print("cold lookups with the silent upstream down: p50 \(times[49]) ms, p99 \(times[98]) ms; healthy alone p99 \(healthyP99) ms; waiting a try ≥ \(fastestWait)")
        stats = try Self.stats(client, id: &id)
        #expect(stats.upstreams[0].queries == triesBefore, "no try went to the silent upstream once it was down")
        let healthy = stats.upstreams[1]
        #expect(healthy.up && healthy.answers >= 100 && healthy.roundTripP50Microseconds > 0)
        #expect(healthy.roundTripP99Microseconds >= healthy.roundTripP50Microseconds)
        #expect(stats.upstreams[0].sinceUnixMilliseconds > 0)
    }
}
