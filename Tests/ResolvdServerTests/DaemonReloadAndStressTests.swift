import ResolvdProtocol
import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DaemonReloadTests {
    /// The new upstream of ``reloadKeepsConnectionsAndLookups``: www.example.test with
    /// another address than the shared unbound's 192.0.2.10.
    static let renumbered = Zone(origin: "example.test.", text: """
        $ORIGIN example.test.
        $TTL 300
        @    300 IN SOA ns.example.test. hostmaster.example.test. 2026120601 3600 600 86400 60
        @    300 IN NS  ns.example.test.
        ns   300 IN A   127.0.0.1
        www  300 IN A   198.51.100.10
        www  300 IN AAAA 2001:db8::110

        """)

    /// The addresses of a reply: its A records (`query`) or its addresses (`getaddrinfo`, one per socket type).
    static func addresses(_ reply: JSONObject?) -> [String] {
        let items = reply?.result?["records"]?.arrayValue ?? reply?.result?["addresses"]?.arrayValue ?? []
        return items.compactMap { $0.objectValue?["address"]?.stringValue }
    }

    /// SIGHUP swaps the upstream without dropping the connection or the lookups in flight:
    /// a lookup in flight at the reload finishes on the old configuration (the old upstream's
    /// answer, held at a gate until after the reload), one started after it goes to the new
    /// upstream (its different answer; nothing more through the old one's gate). A broken
    /// file on reload is logged and the old configuration kept.
    @Test func reloadKeepsConnectionsAndLookups() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let renumbered = try UnboundServer.start(zones: [Self.renumbered])
        defer { renumbered.stop() }
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold()
        // The file names the gated proxy; the flag must not pin the upstream, so pass it only in the file.
        let settings = "timeout_ms = 2000\ntries = 2\n"
        let daemon = try DaemonProcess.start(
            upstream: nil, config: "dns = \(proxy.serverAddress)\n" + settings, timeoutMilliseconds: nil, tries: nil)
        defer { daemon.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"query","name":"www.example.test","type":"A"}"#)
        #expect(proxy.waitUntil(repliesHeld: 1), "in flight across the reload: answered upstream, held at the gate")
        try daemon.rewriteConfig("dns = \(renumbered.serverAddress)\n" + settings)
        daemon.signal(SIGHUP)
        var id: Int64 = 2
        #expect(client.waitForStat("reloads", toBe: 1, nextID: &id)?["reloads"]?.intValue == 1)
        // A new lookup of the same name (another op: neither the cache nor the lookup in
        // flight can answer it) while the old one is still held: the new upstream's answer.
        let forwardedAtReload = proxy.queriesForwarded
        let fresh = client.call(#"{"id":\#(id),"op":"getaddrinfo","name":"www.example.test","family":"inet"}"#, id: id)
        #expect(fresh?.status == 0 && Set(Self.addresses(fresh)) == ["198.51.100.10"], "a lookup after the reload: the new upstream \(String(describing: fresh))")
        #expect(proxy.queriesForwarded == forwardedAtReload, "nothing after the reload went to the old upstream")
        proxy.release()
        let inFlight = try #require(client.reply())
        #expect(inFlight.id == 1 && inFlight.status == 0, "\(inFlight)")
        #expect(Set(Self.addresses(inFlight)) == ["192.0.2.10"], "finished on the configuration it started with: \(inFlight)")

        // A broken file naming the proxy again: logged, the running configuration (unbound
        // directly) kept. Were the broken file applied even in part, the proxy would be asked.
        proxy.hold()
        let forwardedBefore = proxy.queriesForwarded
        try daemon.rewriteConfig("dns = \(proxy.serverAddress)\n" + settings + "no_such_key = 1\n")
        daemon.signal(SIGHUP)
        let deadline = ContinuousClock.now + .seconds(10)
        while !daemon.log.contains("no_such_key") && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(daemon.log.contains("no_such_key"), "the broken file is logged: \(daemon.log)")
        id += 1
        let after = try #require(client.call(#"{"id":\#(id),"op":"query","name":"www.example.test","type":"AAAA"}"#, id: id))
        #expect(after.status == 0)
        #expect(proxy.queriesForwarded == forwardedBefore, "the broken file's upstream was not used")
        id += 1
        #expect(client.call(#"{"id":\#(id),"op":"stats"}"#, id: id)?.result?["reloads"]?.intValue == 1, "a failed reload is not counted")
        #expect(daemon.waitForExit(timeout: .milliseconds(10)) == nil, "still running")
    }
}

@Suite struct DaemonStressTests {
    /// Thousands of lookups with cancels at random moments on one connection: exactly one
    /// reply per id, and every cancel reply agrees with how its lookup ended.
    @Test func exactlyOneReplyPerID() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .milliseconds(2))
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        let lookups = 3000
        var id: Int64 = 0
        var lookupIDs: [Int64] = []
        var cancelOf: [Int64: Int64] = [:]  // cancel request id → lookup id
        let (generator, seed) = SplitMix64.forTest("exactlyOneReplyPerID")
        var random = generator
        for index in 0..<lookups {
            id += 1
            let lookupID = id
            lookupIDs.append(lookupID)
            client.send(#"{"id":\#(lookupID),"op":"getaddrinfo","name":"s\#(index).wild.example.test","socktype":"stream"}"#)
            if Bool.random(using: &random) {
                // Cancel now or a few lookups later: the answer may or may not have come.
                let target = lookupIDs[max(0, lookupIDs.count - 1 - Int.random(in: 0..<8, using: &random))]
                id += 1
                cancelOf[id] = target
                client.send(#"{"id":\#(id),"op":"cancel","handle":\#(target)}"#)
            }
        }
        var replies: [Int64: [Int64]] = [:]
        let expected = Int(id)
        var received = 0
        while received < expected, let reply = client.reply(timeout: .seconds(20)) {
            guard let replyID = reply.id, let status = reply.status else {
                Issue.record("reply without id: \(reply)")
                continue
            }
            replies[replyID, default: []].append(status)
            received += 1
        }
        #expect(received == expected)
        #expect(replies.values.allSatisfy { $0.count == 1 }, "some id got two replies (seed \(seed))")
        var cancelledLookups = 0
        for (cancelID, target) in cancelOf {
            guard let cancelStatus = replies[cancelID]?.first, let lookupStatus = replies[target]?.first else {
                Issue.record("missing reply for cancel \(cancelID) or lookup \(target)")
                continue
            }
            if cancelStatus == 0 {
                #expect(lookupStatus == 10111)
                cancelledLookups += 1
            } else {
                #expect(cancelStatus == 6)
            }
        }
        for lookupID in lookupIDs {
            let status = replies[lookupID]?.first
            #expect(status == 0 || status == 10111, "lookup \(lookupID): \(String(describing: status))")
        }
        #expect(cancelledLookups > 0, "seed \(seed)")
        let stats = try #require(client.call(#"{"id":\#(id + 1),"op":"stats"}"#, id: id + 1))
        #expect(stats.result?["in_flight"]?.intValue == 0)
    }
}
