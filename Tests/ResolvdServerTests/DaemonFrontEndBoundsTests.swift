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
        let report = try Self.expectBoundedFlood(daemon: daemon, attacker: attacker, residentBefore: before, baseline: baseline, during: {
            let started = DaemonBoundsTests.waitUntilSteady { DaemonBoundsTests.lookupsStarted(root, &nextID) } - startedBefore
            #expect(started > 1 && started < 200, "lookups started for the non-reading client: \(started)")
            print("varlink flood: \(started) lookups started")
        }, serveAnother: { Self.timed { other.varlinkCall(method, parameters)?.varlinkParameters != nil } })
        print("varlink flood: \(report)")
    }

    /// A Varlink client that pipelines thousands of calls before reading any reply, then
    /// reads: the daemon pauses and resumes it many times (a 64 KiB bound, ~10 MB of
    /// replies), and every call is answered once, in call order.
    @Test func aVarlinkClientThatReadsLateGetsEveryReplyInOrder() throws {
        let daemon = try DaemonProcess.start(
            upstream: DaemonBoundsTests.unbound.get().serverAddress, config: "max_queued_reply_bytes = 65536\n")
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let count = 4_000
        let begin = ContinuousClock.now
        for index in 0..<count {
            // Every 100th call a GetInfo, so that the order of the replies shows.
            if index % 100 == 99 {
                client.sendVarlinkCall("org.varlink.service.GetInfo")
            } else {
                client.sendVarlinkCall("io.systemd.Resolve.ResolveRecord", #"{"name":"medium.bulk.test","type":16}"#)
            }
        }
        print("late reader: sent in \(ContinuousClock.now - begin)")
        var replies = 0
        var outOfOrder: [Int] = []
        while replies < count, let reply = client.reply(timeout: .seconds(20)) {
            let isInfo = reply.varlinkParameters?["vendor"] != nil
            let isRecord = reply.varlinkParameters?["rrs"] != nil
            if replies % 100 == 99 ? !isInfo : !isRecord { outOfOrder.append(replies) }
            replies += 1
        }
        print("late reader: \(replies) replies, \(ContinuousClock.now - begin)")
        #expect(replies == count, "\(replies) replies")
        #expect(outOfOrder.isEmpty, "replies of the wrong call at \(outOfOrder.prefix(5))")
    }

    /// A `metrics_listen` client that pipelines `GET /metrics` and never reads: the daemon
    /// stops reading it once `max_queued_reply_bytes` of responses are queued (its sends
    /// block), RSS stays bounded and is still so after it hangs up, and Prometheus' own
    /// scrape is answered meanwhile.
    @Test func aMetricsClientThatNeverReadsIsStoppedWhileScrapesGoOn() throws {
        let daemon = try DaemonProcess.start(
            upstream: DaemonBoundsTests.unbound.get().serverAddress,
            config: "metrics_listen = 127.0.0.1:0\nmetrics_idle_timeout_ms = 3600000\n")
        defer { daemon.stop() }
        let port = try daemon.metricsPort()
        let baseline = try #require(Self.scrape(port: port), "a scrape before the flood")
        let before = try #require(DaemonBoundsTests.residentBytes(of: daemon.pid))

        // Up to 8 MB of requests (~185,000), whose responses would be gigabytes.
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        let attacker = try UnprivilegedAttacker(flooding: "127.0.0.1:\(port)", with: request, upTo: 8 << 20)
        defer { attacker.stop() }
        let report = try Self.expectBoundedFlood(
            daemon: daemon, attacker: attacker, residentBefore: before, baseline: baseline, serveAnother: { Self.scrape(port: port) })
        print("metrics flood: \(report)")
    }

    /// 2,000 idle TCP connections to `metrics_listen` from uid 65534: the daemon keeps
    /// `metrics_max_connections` of them and closes the rest as they come, its descriptors
    /// grow by no more than that, one more scrape is refused while the slots are taken, and
    /// both sockets answer as usual; once the attacker is gone a scrape is served again.
    @Test func idleMetricsConnectionsAreCappedAndLeaveTheSocketsAlone() throws {
        let cap = 8
        let daemon = try DaemonProcess.start(
            upstream: DaemonBoundsTests.unbound.get().serverAddress,
            config: "metrics_listen = 127.0.0.1:0\nmetrics_max_connections = \(cap)\nmetrics_idle_timeout_ms = 3600000\n")
        defer { daemon.stop() }
        let port = try daemon.metricsPort()
        let descriptorsBefore = try #require(DaemonDescriptorLimitTests.descriptorCount(of: daemon.pid))

        let attacker = try UnprivilegedAttacker(holding: 2_000, connectionsTo: "127.0.0.1:\(port)")
        defer { attacker.stop() }
        let connected = try #require(attacker.waitForLine(startingWith: "connected"), "\(attacker.errors)")
        #expect(connected == "connected 2000", "\(connected)")
        #expect(attacker.waitForLine(startingWith: "open \(cap) ", timeout: .seconds(20)) != nil, "the daemon kept more than \(cap): \(attacker.lines.last ?? "")")
        let descriptors = DaemonBoundsTests.waitUntilSteady { DaemonDescriptorLimitTests.descriptorCount(of: daemon.pid) ?? -1 }
        #expect(descriptors - descriptorsBefore <= cap + 2, "descriptors \(descriptorsBefore) → \(descriptors)")
        #expect(Self.scrape(port: port) == nil, "a scrape beyond the cap is refused")

        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0)
        let varlink = try LineClient.varlink(path: daemon.varlinkSocketPath)
        #expect(varlink.varlinkCall("org.varlink.service.GetInfo")?.varlinkParameters?["vendor"] != nil)

        attacker.stop()
        var served = false
        for _ in 0..<50 where !served {
            served = Self.scrape(port: port) != nil
            if !served { usleep(100_000) }
        }
        #expect(served, "a scrape once the attacker's connections closed")
        print("metrics connections: \(connected), daemon descriptors \(descriptorsBefore) → \(descriptors) (cap \(cap))")
    }

    /// Idle metrics connections are closed after `metrics_idle_timeout_ms`, not before,
    /// while a connection that keeps scraping stays open.
    @Test func idleMetricsConnectionsAreClosedAfterTheTimeout() throws {
        let daemon = try DaemonProcess.start(
            upstream: DaemonBoundsTests.unbound.get().serverAddress, config: "metrics_listen = 127.0.0.1:0\nmetrics_idle_timeout_ms = 1000\n")
        defer { daemon.stop() }
        let port = try daemon.metricsPort()
        let attacker = try UnprivilegedAttacker(holding: 4, connectionsTo: "127.0.0.1:\(port)")
        defer { attacker.stop() }
        let closed = try #require(attacker.waitForLine(startingWith: "all-closed", timeout: .seconds(30)), "\(attacker.lines.suffix(2)) \(attacker.errors)")
        let seconds = try #require(Double(closed.split(separator: " ").last ?? ""))
        #expect(seconds >= 0.9, "closed after \(seconds) s, before the 1 s timeout")

        // One keep-alive connection scraping every 0.3 s for 2.4 s: never idle for 1 s.
        let keepAlive = #"""
            import http.client, sys, time
            connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
            for _ in range(8):
                connection.request("GET", "/metrics")
                response = connection.getresponse()
                response.read()
                assert response.status == 200
                time.sleep(0.3)
            print("ok")
            """#
        let output = try SystemdTestSupport.run(["/usr/bin/python3", "-c", keepAlive, String(port)])
        #expect(output.status == 0 && output.stdout == "ok\n", "\(output.stderr)")
        print("metrics idle: \(closed) (timeout 1 s)")
    }

    /// One `GET /metrics` on a connection of its own; how long the response took, or nil
    /// when there was none (refused or closed).
    static func scrape(port: Int) -> Duration? {
        let fetch = #"""
            import sys, time, urllib.request
            start = time.monotonic()
            response = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10)
            response.read()
            print("%.6f" % (time.monotonic() - start))
            """#
        guard let output = try? SystemdTestSupport.run(["/usr/bin/python3", "-c", fetch, String(port)]), output.status == 0,
              let seconds = Double(output.stdout.split(separator: "\n").first ?? "")
        else { return nil }
        return .microseconds(Int64(seconds * 1_000_000))
    }

    /// The checks of a flood by a client that never reads: its sends block (the daemon
    /// stopped reading it), RSS stays within ``allowedGrowth`` during the flood and after
    /// the attacker hangs up, and `serveAnother` (another client's request, timed) takes
    /// at most ten times its `baseline` plus half a second. `during` checks more while the
    /// flood is on. Returns what it measured, for the test's output.
    static func expectBoundedFlood(
        daemon: DaemonProcess, attacker: UnprivilegedAttacker, residentBefore before: Int, baseline: Duration,
        during: () throws -> Void = {}, serveAnother: () -> Duration?
    ) throws -> String {
        let outcome = try #require(
            attacker.waitForLine(startingWith: "blocked") ?? attacker.waitForLine(startingWith: "sent-all"), "\(attacker.errors)")
        #expect(outcome.hasPrefix("blocked"), "the daemon kept reading: \(outcome)")
        try during()
        let flooded = try #require(DaemonBoundsTests.residentBytes(of: daemon.pid))
        #expect(flooded - min(flooded, before) < allowedGrowth, "RSS grew by \((flooded - min(flooded, before)) >> 10) KiB")
        let latency = try #require(serveAnother(), "another client during the flood")
        #expect(latency < baseline * 10 + .milliseconds(500), "another client: \(latency), before the flood \(baseline)")
        attacker.stop()
        let after = DaemonBoundsTests.waitUntilSteady { DaemonBoundsTests.residentBytes(of: daemon.pid) ?? 0 }
        #expect(after - min(after, before) < allowedGrowth, "after the hang-up RSS is \((after - min(after, before)) >> 10) KiB above")
        return "\(outcome) bytes sent, RSS \(before >> 10) → \(flooded >> 10) → \(after >> 10) KiB, another client \(baseline) → \(latency)"
    }

    /// Runs `body`; how long it took, or nil when it failed.
    static func timed(_ body: () -> Bool) -> Duration? {
        let clock = ContinuousClock()
        let start = clock.now
        return body() ? clock.now - start : nil
    }
}
