import ResolvdProtocol
import ResolverTesting
import ResolverTypes
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Upstream health cannot be poisoned by a client (docs/reliability.md, "Upstream health
/// and failover"): uid 65534 asking names that the primary answers SERVFAIL, over and over,
/// does not take the primary down, so root's names that only the primary knows are still
/// answered by it — not NXDOMAIN from the fallback.
@Suite(.serialized) struct DaemonPoisonedHealthTests {
    /// Root's lookups of primary-only names while the attacker runs.
    static let rootLookups = 48

    @Test func servfailNamesOfAnotherUIDDoNotFailRootOverToTheFallback() throws {
        // The primary answers every A query with 192.0.2.1 except `servfail…` names;
        // the fallback (unbound with example.test) has none of `primaryonly…`: NXDOMAIN.
        let primary = try ScriptedUpstream.start(script: .servfailForSomeNames)
        defer { primary.stop() }
        let fallback = try UnboundServer.start()
        defer { fallback.stop() }
        let daemon = try DaemonProcess.start(
            upstream: primary.serverAddress, timeoutMilliseconds: 500, tries: 2,
            extraArguments: ["--dns", fallback.serverAddress, "--probe-interval-ms", "1000"])
        defer { daemon.stop() }

        // uid 65534: distinct SERVFAIL names (no cache help), one after the other, 20 before
        // it says it is ready and up to 880 more while root asks.
        var steps: [String] = []
        for index in 1...900 {
            if index == 21 { steps.append(#"{"print":"ready"}"#) }
            steps.append(#"{"send":{"id":\#(index),"op":"getaddrinfo","name":"servfail\#(index).example.test","family":"inet"}}"#)
            steps.append(#"{"until_id":\#(index)}"#)
        }
        let attacker = try NobodyClient(daemon: daemon, steps: steps)
        #expect(attacker.waitFor(line: "ready"), "attacker: \(attacker.errors)")

        let root = try daemon.connect()
        var answeredByPrimary = 0
        var notFound = 0
        for index in 0..<Self.rootLookups {
            let reply = root.call(
                #"{"id":\#(index + 1),"op":"getaddrinfo","name":"primaryonly\#(index).example.test","family":"inet"}"#, id: Int64(index + 1))
            if reply?.status == 0 { answeredByPrimary += 1 }
            if reply?.status == Int64(ResultCode.hostNotFound.rawValue) { notFound += 1 }
        }
        let attackerStillRunning = !attacker.output.contains(#""id":900,"#)
        let replies = try attacker.finish()
        let servfails = replies.filter { ($0.id ?? 0) > 0 && $0.status != nil }.count
        let statsReply = try #require(root.call(#"{"id":1000,"op":"stats"}"#, id: 1000)?.result)
        let stats = try #require(StatsResult(json: .object(statsReply)))
        let health = stats.upstreams[0]
        print("poisoned failover: root \(answeredByPrimary)/\(Self.rootLookups) answered by the primary, \(notFound) NXDOMAIN from the fallback; "
            + "attacker \(servfails) SERVFAIL lookups; primary up \(health.up), servfail \(health.serverFailures), probes \(health.probes)")
        #expect(attackerStillRunning, "the attacker ran for the whole of root's lookups")
        #expect(health.serverFailures >= 20, "the attacker's SERVFAILs reached the primary: \(health)")
        #expect(answeredByPrimary == Self.rootLookups && notFound == 0)
        #expect(health.up)
    }
}
