import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Prefetch through the real daemon (docs/cache.md, "Prefetch"): a hit in the last 10 % of
/// an answer's TTL starts one background refresh, so a name asked across its TTL boundary
/// is never a miss; refreshes are counted, and bounded by `prefetch_share_percent` of the
/// upstream capacity (here 1 channel × 10 queries × 10 % = 1 at a time).
///
/// Answers are kept 10 s (`cache_max_ttl`; prefetch needs a TTL of at least 10 s), so the
/// test sleeps through one TTL; the upstream (a DelayingProxy in front of unbound) counts
/// the queries it forwards and holds the refresh in flight while the bound is checked.
@Suite(.serialized) struct DaemonPrefetchTests {
    @Test func aNameAskedAcrossItsTTLIsNeverAMissAndRefreshesAreBounded() throws {
        let gated = try GatedDaemon.start(config: "cache_max_ttl = 10\nchannels = 1\nmax_in_flight_per_channel = 10\nserve_stale = 0\n")
        defer { gated.stop() }
        let proxy = gated.proxy
        let client = try gated.connect()
        var id: Int64 = 1
        func ask(_ name: String) -> Int64? {
            defer { id += 1 }
            return client.call(#"{"id":\#(id),"op":"query","name":"\#(name)","type":"A"}"#, id: id)?.status
        }
        func cache() -> JSONObject? {
            defer { id += 1 }
            return client.call(#"{"id":\#(id),"op":"stats"}"#, id: id)?.result?["cache"]?.objectValue
        }

        #expect(ask("www.example.test") == 0 && ask("v4only.example.test") == 0)
        // Taken after the answers, which the cache stored before sending them: the deadlines
        // below are ages the entries have certainly reached, however long the lookups took.
        let stored = ContinuousClock.now
        #expect(proxy.queriesForwarded == 2)
        // Hits before the last 10 % of the TTL start nothing.
        while ContinuousClock.now < stored + .milliseconds(8_500) {
            #expect(ask("www.example.test") == 0)
            usleep(250_000)
        }
        #expect(proxy.queriesForwarded == 2 && cache()?["prefetches"] == .integer(0))

        DaemonServeStaleTests.sleep(until: stored + .milliseconds(9_150))  // inside the last second of 10
        proxy.hold()
        #expect(ask("www.example.test") == 0)  // a hit, and the refresh starts
        #expect(proxy.waitUntil(queriesForwarded: 3))
        #expect(ask("v4only.example.test") == 0)  // a hit too, but the one prefetch slot is taken
        #expect(ask("www.example.test") == 0)  // the refresh already runs: no second one
        usleep(100_000)
        #expect(proxy.queriesForwarded == 3, "one refresh at a time: \(proxy.queriesForwarded) queries")
        #expect(cache()?["prefetches"] == .integer(1))
        let refreshedBefore = ContinuousClock.now - stored
        #expect(refreshedBefore < .milliseconds(10_000), "the refresh went upstream before the entry expired")
        proxy.release()

        // Across the TTL boundary: www is always a hit; v4only, not refreshed, expires.
        while ContinuousClock.now < stored + .milliseconds(11_000) {
            #expect(ask("www.example.test") == 0)
            usleep(100_000)
        }
        let missesBefore = cache()?["misses"]?.intValue
        #expect(missesBefore == 2, "www was never a miss: \(String(describing: missesBefore))")
        #expect(ask("v4only.example.test") == 0)
        #expect(cache()?["misses"] == .integer(3))
    }
}
