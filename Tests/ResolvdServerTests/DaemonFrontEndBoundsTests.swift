import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bounds of the Varlink socket and of `metrics_listen` against local clients
/// (docs/reliability.md, "Bounds against local clients"), end to end: a real daemon,
/// unbound serving ``Zone/bulk``, attackers as uid 65534 (``UnprivilegedAttacker``).
@Suite(.serialized) struct DaemonFrontEndBoundsTests {
    /// RSS may grow this much under an attack that would otherwise cost gigabytes.
    static let allowedGrowth = 16 << 20

    /// A Varlink client that pipelines ResolveRecord calls for a cached ~48 KB answer and
    /// never reads: the daemon stops reading it once `max_queued_reply_bytes` of replies
    /// are queued (the client's sends block), only a handful of lookups start, RSS stays
    /// bounded and is still so after the hang-up, and another Varlink client is answered
    /// as promptly as before.
    @Test func aVarlinkClientThatNeverReadsIsStoppedWhileOthersAreServed() throws {
        let daemon = try DaemonProcess.start(upstream: DaemonBoundsTests.unbound.get().serverAddress)
        defer { daemon.stop() }
        let root = try daemon.connect()
        let other = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let method = "io.systemd.Resolve.ResolveRecord"
        let parameters = #"{"name":"large.bulk.test","type":16}"#
        let warm = try #require(other.varlinkCall(method, parameters))
        #expect(warm.varlinkParameters?["rrs"]?.arrayValue?.count == Zone.largeTXTRecords, "\(warm)")
        let baseline = try #require(Self.timed { other.varlinkCall(method, parameters)?.varlinkParameters != nil })
        let before = try #require(DaemonBoundsTests.residentBytes(of: daemon.pid))
        var nextID: Int64 = 1
        let startedBefore = DaemonBoundsTests.lookupsStarted(root, &nextID)

        // Up to 2 MB of calls (~22,000), whose replies would be ~1.4 GB; it never reads.
        let call = Array(#"{"method":"\#(method)","parameters":\#(parameters)}"#.utf8) + [0]
        let attacker = try UnprivilegedAttacker(
            flooding: daemon.varlinkSocketPath, with: call, upTo: 2 << 20, readable: [daemon.directory])
        defer { attacker.stop() }
        let outcome = try #require(attacker.waitForLine(startingWith: "blocked") ?? attacker.waitForLine(startingWith: "sent-all"), "\(attacker.errors)")
        #expect(outcome.hasPrefix("blocked"), "the daemon kept reading: \(outcome)")

        let started = DaemonBoundsTests.waitUntilSteady { DaemonBoundsTests.lookupsStarted(root, &nextID) } - startedBefore
        #expect(started > 1 && started < 200, "lookups started for the non-reading client: \(started)")
        let during = try #require(DaemonBoundsTests.residentBytes(of: daemon.pid))
        #expect(during - min(during, before) < Self.allowedGrowth, "RSS grew by \((during - min(during, before)) >> 10) KiB")
        let latency = try #require(Self.timed { other.varlinkCall(method, parameters)?.varlinkParameters != nil })
        #expect(latency < baseline * 10 + .milliseconds(500), "another client: \(latency), before the flood \(baseline)")

        attacker.stop()
        let after = DaemonBoundsTests.waitUntilSteady { DaemonBoundsTests.residentBytes(of: daemon.pid) ?? 0 }
        #expect(after - min(after, before) < Self.allowedGrowth, "after the hang-up RSS is \((after - min(after, before)) >> 10) KiB above")
        print("varlink flood: \(outcome), \(started) lookups started, RSS \(before >> 10) → \(during >> 10) → \(after >> 10) KiB, other client \(baseline) → \(latency)")
    }

    /// Runs `body`; how long it took, or nil when it failed.
    static func timed(_ body: () -> Bool) -> Duration? {
        let clock = ContinuousClock()
        let start = clock.now
        return body() ? clock.now - start : nil
    }
}
