import ResolvdProtocol
import ResolverCore
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Serve-stale through the real daemon (docs/cache.md, "Serve-stale"): an expired answer
/// answers when the upstream goes silent — at the client response timer, or when the
/// upstream lookup fails — with TTL 30 and `"stale": true`; `"stale": false` gets the real
/// failure; past `serve_stale` the real failure; a recovered upstream refreshes the entry.
///
/// The upstream is a DelayingProxy in front of unbound: its gate (hold/release) makes it
/// silent and back. Answers are kept 1 s (`cache_max_ttl`) and stale 1 s more (`serve_stale`),
/// so the only sleeps are those TTLs running out.
@Suite(.serialized) struct DaemonServeStaleTests {
    static let question = #""op":"query","name":"www.example.test","type":"A""#

    static func sleep(until deadline: ContinuousClock.Instant) {
        let left = deadline - ContinuousClock.now
        if left > .zero { usleep(UInt32(left.components.seconds * 1_000_000 + left.components.attoseconds / 1_000_000_000_000)) }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// The upstream lookup's bound: long with the timer (so that an answer before it proves
    /// the timer), short without (the failure is what serves stale).
    static func upstreamTimeout(_ timerMilliseconds: Int) -> Int { timerMilliseconds > 0 ? 1_500 : 400 }

    /// What a lookup the silent upstream fails gets: its try timed out (c-ares ARES_ETIMEOUT).
    static let upstreamFailure = Int64(ResultCode.tryAgain.rawValue)

    /// `timerMilliseconds` 300: answered stale by the client response timer, long before the
    /// upstream's 1.5 s timeout; 0: answered stale when the upstream lookup fails (400 ms).
    @Test(arguments: [300, 0])
    func expiredAnswerServedStaleWhileTheUpstreamIsSilent(timerMilliseconds: Int) throws {
        let gated = try GatedDaemon.start(
            config: "cache_max_ttl = 1\nserve_stale = 1\nstale_answer_timeout_ms = \(timerMilliseconds)\n",
            timeoutMilliseconds: Self.upstreamTimeout(timerMilliseconds))
        defer { gated.stop() }
        let proxy = gated.proxy
        let client = try gated.connect()

        let fresh = try #require(client.call(#"{"id":1,\#(Self.question)}"#, id: 1))
        // Taken after the answer, which the cache stored before sending it: `stored + 1.1 s` is
        // past the entry's expiry however long the first lookup took.
        let stored = ContinuousClock.now
        #expect(fresh.status == 0 && fresh.result?["stale"] == nil)
        Self.sleep(until: stored + .milliseconds(1_100))  // expired, still within serve_stale
        proxy.hold()

        var started = ContinuousClock.now
        let stale = try #require(client.call(#"{"id":2,\#(Self.question)}"#, id: 2))
        let staleAfter = Self.milliseconds(ContinuousClock.now - started)
        #expect(stale.status == 0)
        #expect(stale.result?["stale"] == .bool(true))
        let record = try #require(stale.result?["records"]?.arrayValue?.first?.objectValue)
        #expect(record["ttl"] == .integer(30) && record["address"] == .string("192.0.2.10"))
        let bound = Int64(timerMilliseconds > 0 ? timerMilliseconds : Self.upstreamTimeout(0))
        #expect(staleAfter >= bound - 20 && staleAfter < bound + 400, "answered stale after \(staleAfter) ms")

        if timerMilliseconds == 0 {
            started = ContinuousClock.now
            let optedOut = try #require(client.call(#"{"id":3,\#(Self.question),"stale":false}"#, id: 3))
            #expect(optedOut.status == Self.upstreamFailure && optedOut["result"] == nil, "stale:false gets the real failure: \(optedOut)")
            #expect(Self.milliseconds(ContinuousClock.now - started) >= 380)
        }

        Self.sleep(until: stored + .milliseconds(2_200))  // past TTL + serve_stale
        let tooOld = try #require(client.call(#"{"id":4,\#(Self.question)}"#, id: 4))
        #expect(tooOld.status == Self.upstreamFailure && tooOld["result"] == nil, "past serve_stale the real failure: \(tooOld)")

        proxy.release()
        let refreshed = try #require(client.call(#"{"id":5,\#(Self.question)}"#, id: 5))
        #expect(refreshed.status == 0 && refreshed.result?["stale"] == nil)
        let again = try #require(client.call(#"{"id":6,\#(Self.question)}"#, id: 6))  // a hit on the refreshed entry
        #expect(again.status == 0 && again.result?["stale"] == nil)

        let stats = try #require(client.call(#"{"id":7,"op":"stats"}"#, id: 7)?.result)
        #expect(stats["cache"]?.objectValue?["stale"] == .integer(1))
    }
}
