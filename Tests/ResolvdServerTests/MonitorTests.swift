import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `monitor` op end to end: event lines for the lookups of every connection, filtered
/// by uid for non-admins, with the source of each answer; one reply when it ends; and a
/// monitor that never reads costs lookups nothing and the daemon bounded memory.
@Suite struct MonitorTests {
    @Test func adminSeesEveryUidAndNobodySeesOnlyItsOwn() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let rootMonitor = try daemon.connect()
        #expect(rootMonitor.call(#"{"id":1,"op":"monitor"}"# + "\n" + #"{"id":2,"op":"hello"}"#, id: 2)?.status == 0)
        let hello = try #require(try daemon.connect().call(#"{"id":1,"op":"hello"}"#, id: 1)?.result)
        #expect(hello["ops"]?.arrayValue?.compactMap(\.stringValue).contains("monitor") == true)

        let go = daemon.directory + "/go"
        let nobody = try NobodyClient(daemon: daemon, steps: [
            #"{"send":{"id":1,"op":"monitor"}}"#, #"{"send":{"id":2,"op":"hello"}}"#, #"{"until_id":2}"#, #"{"print":"READY"}"#,
            #"{"wait_file":"\#(go)"}"#,
            #"{"send":{"id":3,"op":"getaddrinfo","name":"v4only.example.test"}}"#, #"{"until_id":3}"#,
            #"{"until_event":"v4only.example.test"}"#,
            #"{"send":{"id":4,"op":"cancel","handle":1}}"#, #"{"until_id":4}"#,
        ])
        #expect(nobody.waitFor(line: "READY"), "\(nobody.errors)")
        // root's lookups, made while nobody's monitor runs, and finished before nobody's own.
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"getaddrinfo","name":"www.example.test"}"#, id: 1)?.status == 0)
        #expect(root.call(#"{"id":2,"op":"query","name":"nxdomain.example.test","type":"A"}"#, id: 2)?.status == 11001)
        try writeFile(go, "")
        let lines = try nobody.finish()

        // nobody saw its own lookup only, then its monitor's 10111 before the cancel's 0.
        let nobodyEvents = lines.compactMap(\.event)
        #expect(nobodyEvents.count == 1, "\(lines)")
        let own = try #require(nobodyEvents.first)
        #expect(own["name"]?.stringValue == "v4only.example.test")
        #expect(own["peer"]?.objectValue?["uid"]?.intValue == 65534 && own["peer"]?.objectValue?["gid"]?.intValue == 65534)
        #expect(own["frontend"]?.stringValue == "v1" && own["op"]?.stringValue == "getaddrinfo")
        #expect(own["status"]?.intValue == 0 && own["source"]?.stringValue == "upstream")
        #expect(own["summary"]?.stringValue == "192.0.2.20")
        let replies = lines.filter { $0.status != nil }.map { ($0.id ?? 0, $0.status ?? -1) }
        #expect(replies.map(\.0) == [2, 3, 1, 4] && replies[2].1 == 10111 && replies[3].1 == 0, "\(replies)")

        // root (an admin) saw all three, each with its peer.
        var events: [JSONObject] = []
        _ = rootMonitor.readEvents(until: "v4only.example.test", into: &events)
        #expect(events.compactMap { $0["name"]?.stringValue } == ["www.example.test", "nxdomain.example.test", "v4only.example.test"])
        #expect(events.compactMap { $0["peer"]?.objectValue?["uid"]?.intValue } == [0, 0, 65534])
        let failure = try #require(events.dropFirst().first)
        #expect(failure["status"]?.intValue == 11001 && failure["error"]?.stringValue == "WSAHOST_NOT_FOUND")
        #expect(failure["type"]?.stringValue == "A" && failure["op"]?.stringValue == "query")
        for event in events {
            let time = event["time"]?.stringValue ?? ""
            // RFC 3339, UTC, microseconds: 2026-11-29T18:40:01.123456Z
            #expect(time.count == 27 && time.hasSuffix("Z") && time.dropFirst(19).hasPrefix("."), "\(time)")
            #expect((event["latency_us"]?.intValue ?? 0) > 0)
            #expect(event["peer"]?.objectValue?["pid"]?.intValue ?? 0 > 0)
        }
    }

    @Test func everySource() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        // One long try: under load (TSan, parallel tests) a 2 s try could expire while the reply is held.
        let hosts = try SystemdTestSupport.makeTemporaryDirectory(mode: 0o755)
        defer { SystemdTestSupport.removeTree(hosts) }
        try writeFile(hosts + "/hosts", "192.0.2.77 fromhosts.test\n")
        let daemon = try DaemonProcess.start(
            upstream: proxy.serverAddress, timeoutMilliseconds: 20_000, tries: 1, extraArguments: ["--hosts-file", hosts + "/hosts"])
        defer { daemon.stop() }
        let monitor = try daemon.connect()
        #expect(monitor.call(#"{"id":1,"op":"monitor"}"# + "\n" + #"{"id":2,"op":"hello"}"#, id: 2)?.status == 0)
        let first = try daemon.connect()
        let second = try daemon.connect()
        proxy.hold()
        first.send(#"{"id":1,"op":"query","name":"multi.example.test","type":"A"}"#)
        #expect(proxy.waitUntil(repliesHeld: 1))
        second.send(#"{"id":1,"op":"query","name":"multi.example.test","type":"A"}"#)
        var statsID: Int64 = 3
        #expect(monitor.waitForStat("coalesced", toBe: 1, nextID: &statsID)?["coalesced"]?.intValue == 1)
        proxy.release()
        #expect(first.reply()?.status == 0 && second.reply()?.status == 0)
        #expect(first.call(#"{"id":2,"op":"query","name":"multi.example.test","type":"A"}"#, id: 2)?.status == 0)
        #expect(first.call(#"{"id":3,"op":"getaddrinfo","name":"192.0.2.7"}"#, id: 3)?.status == 0)
        #expect(first.call(#"{"id":4,"op":"getservbyname","name":"http","proto":"tcp"}"#, id: 4)?.status == 0)
        #expect(first.call(#"{"id":5,"op":"gethostbyname","name":"fromhosts.test"}"#, id: 5)?.status == 0)

        var events: [JSONObject] = []
        _ = monitor.readEvents(until: "fromhosts.test", into: &events)
        // The first two finish together, each on its own connection's event loop: either order.
        let sources = events.compactMap { $0["source"]?.stringValue }
        #expect(sources.prefix(2).sorted() == ["coalesced", "upstream"] && Array(sources.dropFirst(2)) == ["cache", "literal", "database", "hosts"], "\(events)")
        #expect(events.prefix(2).allSatisfy { $0["summary"]?.stringValue == "2 records" })
        #expect(events.dropFirst(3).first?["summary"]?.stringValue == "192.0.2.7")
    }

    @Test func cancelledMonitorRepliesOnceThenItsCancel() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"monitor"}"#)
        #expect(client.call(#"{"id":2,"op":"getaddrinfo","name":"www.example.test"}"#, id: 2)?.status == 0)
        var events: [JSONObject] = []
        #expect(client.readEvents(until: "www.example.test", into: &events) != nil)
        client.send(#"{"id":3,"op":"cancel","handle":1}"#)
        let ending = try #require(client.reply())
        #expect(ending.id == 1 && ending.status == 10111 && ending.errorSymbol == "WSA_E_CANCELLED", "\(ending)")
        let cancel = try #require(client.reply())
        #expect(cancel.id == 3 && cancel.status == 0)
        // Ended: no more events, and its handle has finished.
        #expect(client.call(#"{"id":4,"op":"getaddrinfo","name":"www.example.test"}"#, id: 4)?.status == 0)
        #expect(client.call(#"{"id":5,"op":"cancel_async_request","handle":1}"#, id: 5)?.status == 10037)
        #expect(client.readLine(timeout: .milliseconds(300)) == nil, "nothing after the monitor's reply")
        // cancel_all ends a monitor with 995, counted among what it cancelled.
        client.send(#"{"id":6,"op":"monitor"}"#)
        let all = try #require(client.call(#"{"id":7,"op":"cancel_all"}"#, id: 7))
        #expect(all.result?["cancelled"]?.intValue == 1)
    }

    /// Monitors are bounded: each counts against `max_lookups_per_connection`, and at most
    /// 64 run daemon-wide (WSAENOBUFS beyond, with the connection left open).
    @Test func monitorsAreBounded() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "max_lookups_per_connection = 100\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        client.send((1...65).map { #"{"id":\#($0),"op":"monitor"}"# }.joined(separator: "\n"))
        let refused = try #require(client.call(#"{"id":66,"op":"hello"}"#, id: 65))
        #expect(refused.status == 10055 && refused["message"]?.stringValue?.contains("too many monitors") == true, "\(refused)")
        #expect(client.call(#"{"id":67,"op":"hello"}"#, id: 67)?.status == 0)
        let small = try DaemonProcess.start(upstream: unbound.serverAddress, config: "max_lookups_per_connection = 1\n")
        defer { small.stop() }
        let one = try small.connect()
        one.send(#"{"id":1,"op":"monitor"}"#)
        #expect(one.call(#"{"id":2,"op":"getaddrinfo","name":"www.example.test"}"#, id: 2)?.status == 10055)
    }

    /// Lookups while one monitor never reads: no slower than without it (the median batch at
    /// most twice the median batch without a monitor, before and after it), every event
    /// either delivered or counted in `dropped`, the daemon's memory bounded. 5,000
    /// cached lookups rather than 100,000, to keep the test to seconds in a debug build and
    /// under TSan (five times the monitor's queue, so most events must be dropped). The
    /// connection's reply bound is lowered so that the socket, not the bound, fills first:
    /// with the default 1 MiB all 5,000 event lines would be queued and none dropped.
    @Test func aMonitorThatNeverReadsCostsLookupsNothing() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "max_queued_reply_bytes = 65536\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        #expect(client.call(#"{"id":1,"op":"getaddrinfo","name":"www.example.test"}"#, id: 1)?.status == 0)
        var nextID: Int64 = 2
        let lookups = 5_000
        /// The time of each batch of 200 pipelined lookups.
        func run(_ count: Int) -> [Duration] {
            (0..<(count / 200)).map { _ in
                let start = ContinuousClock.now
                let batch = (0..<200).map { offset in #"{"id":\#(nextID + Int64(offset)),"op":"getaddrinfo","name":"www.example.test"}"# }
                client.send(batch.joined(separator: "\n"))
                for _ in 0..<200 { #expect(client.reply()?.status == 0) }
                nextID += 200
                return ContinuousClock.now - start
            }
        }
        func median(_ times: [Duration]) -> Duration { times.sorted()[times.count / 2] }
        // Relative, not absolute: the median batch with the monitor against the median batch
        // without it, the latter measured both before the monitor and after it is gone (so a
        // machine getting busier or quieter during the test shifts both sides).
        var without = run(lookups / 2)
        let rssBefore = residentKilobytes(daemon.pid)

        let silent = try daemon.connect()
        #expect(silent.call(#"{"id":1,"op":"monitor"}"# + "\n" + #"{"id":2,"op":"hello"}"#, id: 2)?.status == 0)
        let with = run(lookups)
        let rssAfter = residentKilobytes(daemon.pid)
        #expect(rssAfter - rssBefore < 64 << 10, "daemon RSS grew from \(rssBefore) kB to \(rssAfter) kB")

        // Now it reads: what it gets plus what was dropped is every lookup, and the first
        // event after the drops says how many.
        var events: [JSONObject] = []
        while let line = silent.reply(timeout: .milliseconds(500)) { if let event = line.event { events.append(event) } }
        #expect(client.call(#"{"id":\#(nextID),"op":"getaddrinfo","name":"v4only.example.test"}"#, id: nextID)?.status == 0)
        _ = silent.readEvents(until: "v4only.example.test", into: &events)
        let dropped = events.reduce(0) { $0 + Int($1["dropped"]?.intValue ?? 0) }
        #expect(events.last?["dropped"]?.intValue ?? 0 > 0, "the next event after the drops carries their count")
        #expect(events.count + dropped == lookups + 1, "\(events.count) events + \(dropped) dropped")
        #expect(events.count < lookups * 4 / 5, "most were dropped, not buffered: \(events.count)")

        silent.close()
        nextID += 1
        #expect(client.waitForStat("connections", toBe: 1, nextID: &nextID)?["connections"]?.intValue == 1, "the monitor's connection closed")
        without += run(lookups / 2)
        #expect(median(with) <= median(without) * 2, "median batch of 200: with a silent monitor \(median(with)), without \(median(without))")
    }

    private func residentKilobytes(_ pid: pid_t) -> Int {
        let status = (try? readWholeFile("/proc/\(pid)/status")) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
