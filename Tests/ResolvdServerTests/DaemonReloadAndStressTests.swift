import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DaemonReloadTests {
    /// SIGHUP swaps the upstream without dropping the connection or the lookups in flight;
    /// a broken file on reload is logged and the old configuration kept.
    @Test func reloadKeepsConnectionsAndLookups() throws {
        let unbound = try DaemonOperationTests.unbound.get()
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
        try daemon.rewriteConfig("dns = \(unbound.serverAddress)\n" + settings)
        daemon.signal(SIGHUP)
        var id: Int64 = 2
        #expect(client.waitForStat("reloads", toBe: 1, nextID: &id)?["reloads"]?.intValue == 1)
        proxy.release()
        let inFlight = try #require(client.reply())
        #expect(inFlight.id == 1 && inFlight.status == 0, "finished on the configuration it started with")

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
