import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The rules of docs/protocol.md about requests, framing, ids and the `hello`/`stats` ops,
/// each through a real daemon's socket. The cancel rules are in
/// ProtocolCancelContractTests.swift; docs/protocol.md ends with a table of where each
/// rule is tested.
@Suite struct ProtocolContractTests {
    private func plainDaemon() throws -> DaemonProcess {
        try DaemonProcess.start(upstream: DaemonOperationTests.unbound.get().serverAddress)
    }

    // MARK: Parameters

    /// A misspelt or misplaced parameter is an error naming it, not silently ignored: the
    /// request does nothing (no lookup starts) and the connection stays open.
    @Test func unknownParametersAreRejected() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        let cases: [(request: String, parameter: String)] = [
            (#""op":"hello","verbose":true"#, "verbose"),
            (#""op":"stats","reset":1"#, "reset"),
            (#""op":"getaddrinfo","name":"www.example.test","familly":"inet""#, "familly"),
            // Known to another op is still unknown here.
            (#""op":"getaddrinfo","name":"www.example.test","buflen":1024"#, "buflen"),
            (#""op":"gethostbyname","name":"www.example.test","flags":[]"#, "flags"),
            (#""op":"getservbyname","name":"ssh","timeout_ms":100"#, "timeout_ms"),
            (#""op":"cancel","handle":1,"all":true"#, "all"),
            (#""op":"cancel_all","handle":1"#, "handle"),
        ]
        for (index, item) in cases.enumerated() {
            let id = Int64(index + 1)
            let reply = try #require(client.call(#"{"id":\#(id),\#(item.request)}"#, id: id), "\(item.request)")
            #expect(reply.status == 10022 && reply.errorSymbol == "WSAEINVAL", "\(item.request)")
            #expect(reply["message"]?.stringValue?.contains(item.parameter) == true, "\(reply)")
        }
        // Today an unknown parameter is rejected even when given as null: "null counts as
        // absent" applies to the op's own parameters (docs/protocol.md does not say which).
        let unknownNull = try #require(client.call(#"{"id":20,"op":"hello","bogus":null}"#, id: 20))
        #expect(unknownNull.status == 10022)
        let stats = try #require(client.call(#"{"id":21,"op":"stats"}"#, id: 21)?.result)
        #expect(stats["lookups"]?.intValue == 0, "a rejected request starts nothing")
    }

    /// `null` is the same as leaving the parameter out: the op's default applies, and a
    /// required parameter given as null is missing.
    @Test func aParameterGivenAsNullCountsAsAbsent() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        let gai = try #require(client.call(
            #"{"id":1,"op":"getaddrinfo","name":"www.example.test","socktype":"stream","family":null,"service":null,"protocol":null,"flags":null,"timeout_ms":null}"#,
            id: 1))
        #expect(gai.status == 0, "\(gai)")
        // The default family is "unspec": both address families.
        let addresses = gai.result?["addresses"]?.arrayValue?.compactMap { $0.objectValue?["address"]?.stringValue } ?? []
        #expect(Set(addresses) == ["192.0.2.10", "2001:db8::10"])
        #expect(gai.result?["canonical_name"] == .null, "no flags: no canonname")

        // gethostbyname's default family is "inet"; buflen's default (1024) fits big.example.test.
        let host = try #require(client.call(
            #"{"id":2,"op":"gethostbyname","name":"www.example.test","family":null,"buflen":null,"timeout_ms":null}"#, id: 2))
        #expect(host.status == 0 && host.result?["family"]?.stringValue == "inet", "\(host)")
        let big = try #require(client.call(#"{"id":3,"op":"gethostbyname","name":"big.example.test","buflen":null}"#, id: 3))
        #expect(big.status == 0, "\(big)")
        let service = try #require(client.call(#"{"id":4,"op":"getservbyname","name":"ssh","proto":null,"buflen":null}"#, id: 4))
        #expect(service.status == 0 && service.result?["port"]?.intValue == 22, "\(service)")
        let name = try #require(client.call(#"{"id":5,"op":"getnameinfo","address":"192.0.2.10","port":null,"flags":null}"#, id: 5))
        #expect(name.status == 0 && name.result?["host"]?.stringValue == "www.example.test", "\(name)")

        let missingName = try #require(client.call(#"{"id":6,"op":"getaddrinfo","name":null}"#, id: 6))
        #expect(missingName.status == 10022 && missingName["message"]?.stringValue?.contains("name") == true)
        let missingHandle = try #require(client.call(#"{"id":7,"op":"cancel","handle":null}"#, id: 7))
        #expect(missingHandle.status == 10022 && missingHandle["message"]?.stringValue?.contains("handle") == true)
    }

    // MARK: Framing

    /// "\r\n" ends a line like "\n"; empty (and whitespace-only) lines get no reply at all
    /// and are no protocol error.
    @Test func carriageReturnsAndBlankLinesAreIgnored() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        client.sendBytes("{\"id\":1,\"op\":\"hello\"}\r\n\n\r\n  \t\r\n{\"id\":2,\"op\":\"hello\"}\r\n")
        client.send(#"{"id":3,"op":"stats"}"#)
        let replies = try client.replies(3)
        #expect(replies.map(\.id) == [1, 2, 3], "a blank line got a reply: \(replies)")
        #expect(replies.allSatisfy { $0.status == 0 })
        #expect(replies[2].result?["protocol_errors"]?.intValue == 0)
    }

    /// A request split over several writes is one request.
    @Test func aRequestSplitAcrossWritesIsOneRequest() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        // The first write ends inside request 2: the reply to request 1, from the same
        // write, shows the daemon has read that fragment before the rest is sent.
        client.sendBytes(#"{"id":1,"op":"hello"}"# + "\n" + #"{"id":2,"op":"getse"#)
        let first = try #require(client.reply())
        #expect(first.id == 1 && first.status == 0)
        for fragment in [#"rvbyname","na"#, #"me":"ssh","#, #""proto":"tcp"}"#, "\r", "\n"] { client.sendBytes(fragment) }
        let second = try #require(client.reply())
        #expect(second.id == 2 && second.status == 0 && second.result?["port"]?.intValue == 22, "\(second)")
        // Nothing else was made of the fragments.
        let stats = try #require(client.call(#"{"id":3,"op":"stats"}"#, id: 3)?.result)
        #expect(stats["protocol_errors"]?.intValue == 0)
    }

    /// Several requests in one write each get their reply.
    @Test func severalRequestsInOneWriteEachGetAReply() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        client.sendBytes([
            #"{"id":1,"op":"hello"}"#, #"{"id":2,"op":"getservbyname","name":"ssh"}"#,
            #"{"id":3,"op":"getprotobyname","name":"udp"}"#, #"{"id":4,"op":"getaddrinfo","name":"192.0.2.1"}"#,
        ].joined(separator: "\n") + "\n")
        let replies = try client.replies(4)
        #expect(Set(replies.compactMap(\.id)) == [1, 2, 3, 4])
        #expect(replies.allSatisfy { $0.status == 0 }, "\(replies)")
    }

    /// After the client shuts down its sending side, every lookup in flight is still
    /// answered, and only then does the daemon close.
    @Test func afterEOFEveryLookupInFlightIsAnsweredThenTheDaemonCloses() throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let client = try gated.connect()
        gated.proxy.hold()
        client.send(#"{"id":1,"op":"getaddrinfo","name":"eof1.wild.example.test","family":"inet"}"#)
        client.send(#"{"id":2,"op":"gethostbyname","name":"eof2.wild.example.test"}"#)
        client.send(#"{"id":3,"op":"query","name":"eof3.wild.example.test","type":"A"}"#)
        #expect(gated.proxy.waitUntil(repliesHeld: 3))
        // A last line without "\n" is read only at EOF, so its reply shows the daemon has
        // seen the EOF while all three lookups are still held at the gate.
        client.sendBytes(#"{"id":4,"op":"hello"}"#)
        client.shutdownSending()
        let hello = try #require(client.reply())
        #expect(hello.id == 4 && hello.status == 0)
        gated.proxy.release()
        let answers = try client.replies(3)
        #expect(Set(answers.compactMap(\.id)) == [1, 2, 3])
        #expect(answers.allSatisfy { $0.status == 0 }, "\(answers)")
        #expect(client.isClosedByPeer())
    }

    /// Replies come in completion order: a lookup held upstream does not hold up the ones
    /// sent after it.
    @Test func repliesComeInCompletionOrderMatchedByID() throws {
        let gated = try GatedDaemon.start()
        defer { gated.stop() }
        let client = try gated.connect()
        let cachedName = #""op":"getaddrinfo","name":"cached.wild.example.test","family":"inet""#
        #expect(client.call(#"{"id":1,\#(cachedName)}"#, id: 1)?.status == 0)
        gated.proxy.hold()
        client.send(#"{"id":2,"op":"getaddrinfo","name":"slow.wild.example.test","family":"inet"}"#)
        #expect(gated.proxy.waitUntil(repliesHeld: 1))
        client.send(#"{"id":3,\#(cachedName)}"#)  // from the cache
        client.send(#"{"id":4,"op":"getaddrinfo","name":"192.0.2.7"}"#)  // an IP literal: no DNS
        client.send(#"{"id":5,"op":"getservbyname","name":"ssh"}"#)  // the services database
        let fast = try client.replies(3)
        #expect(Set(fast.compactMap(\.id)) == [3, 4, 5], "the held lookup's reply came before later ones")
        #expect(fast.allSatisfy { $0.status == 0 })
        gated.proxy.release()
        let slow = try #require(client.reply())
        #expect(slow.id == 2 && slow.status == 0)
        let address = slow.result?["addresses"]?.arrayValue?.first?.objectValue?["address"]?.stringValue
        #expect(address == "192.0.2.99", "the reply carries its own lookup's answer")
    }

    // MARK: Ids

    /// Ids may skip but never go back; a lower or repeated id is answered `{"id": null}`
    /// 10022 and closes the connection. An id that got an error reply still counts.
    @Test func idsAreStrictlyIncreasing() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let skipping = try daemon.connect()
        for id: Int64 in [1, 7, 1000] {
            #expect(skipping.call(#"{"id":\#(id),"op":"hello"}"#, id: id)?.status == 0)
        }
        skipping.send(#"{"id":500,"op":"hello"}"#)
        let lower = try #require(skipping.reply())
        #expect(lower["id"] == .null && lower.status == 10022)
        #expect(skipping.isClosedByPeer())

        // Ids are per connection: a new one starts again at 1.
        let failing = try daemon.connect()
        let unknown = try #require(failing.call(#"{"id":1,"op":"frobnicate"}"#, id: 1))
        #expect(unknown.status == 10022)
        failing.send(#"{"id":1,"op":"hello"}"#)
        let repeated = try #require(failing.reply())
        #expect(repeated["id"] == .null && repeated.status == 10022)
        #expect(failing.isClosedByPeer())
    }

    /// 2^53−1 is the largest id; 2^53 (and a negative id) is a line without a valid id,
    /// which leaves the connection open.
    @Test func idRangeEndsAt2To53Minus1() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        for bad in [#"{"id":9007199254740992,"op":"hello"}"#, #"{"id":-1,"op":"hello"}"#] {
            client.send(bad)
            let reply = try #require(client.reply())
            #expect(reply["id"] == .null && reply.status == 10022, "\(bad)")
        }
        let largest: Int64 = (1 << 53) - 1
        let reply = try #require(client.call(#"{"id":9007199254740991,"op":"hello"}"#, id: largest))
        #expect(reply.status == 0)
        #expect(reply["id"] == .integer(largest), "the id comes back exactly")
    }

    // MARK: hello and stats

    @Test func helloNamesTheServerItsVersionProtocolAndOps() throws {
        let daemon = try plainDaemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        let hello = try #require(client.call(#"{"id":1,"op":"hello"}"#, id: 1)?.result)
        #expect(Set(hello.keys) == ["server", "version", "protocol", "ops"])
        #expect(hello["server"]?.stringValue == "resolvd")
        #expect(hello["version"]?.stringValue == "1.0.0")
        #expect(hello["protocol"] == .integer(1))
        let ops = hello["ops"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(ops.count == 21)
        #expect(Set(ops) == [
            "getaddrinfo", "getnameinfo", "query", "gethostbyname", "gethostbyaddr", "getservbyname", "getservbyport",
            "getprotobyname", "getprotobynumber", "cancel", "cancel_async_request", "cancel_all", "hello", "stats",
            "reload", "flush_cache", "monitor", "dump_cache", "link", "revert_link", "routes",
        ])
    }

    /// `stats` has exactly the documented keys, all integers, and each counter counts what
    /// the documentation says: one lookup of every outcome, one protocol error, one refusal.
    @Test func statsHasTheDocumentedKeysAndCounters() throws {
        let gated = try GatedDaemon.start(config: "max_lookups_per_connection = 1\n")
        defer { gated.stop() }
        let client = try gated.connect()
        #expect(client.call(#"{"id":1,"op":"getaddrinfo","name":"ok.wild.example.test","family":"inet"}"#, id: 1)?.status == 0)
        #expect(client.call(#"{"id":2,"op":"getaddrinfo","name":"nxdomain.example.test"}"#, id: 2)?.status == 11001)
        client.send("not json")
        #expect(client.reply()?.status == 10022)
        gated.proxy.hold()
        client.send(#"{"id":3,"op":"gethostbyname","name":"held.wild.example.test"}"#)
        #expect(gated.proxy.waitUntil(repliesHeld: 1))
        #expect(client.call(#"{"id":4,"op":"getaddrinfo","name":"refused.wild.example.test"}"#, id: 4)?.status == 10055)
        client.send(#"{"id":5,"op":"cancel","handle":3}"#)
        #expect(try client.replies(2).map(\.status) == [10111, 0])
        #expect(client.call(#"{"id":6,"op":"query","name":"late.wild.example.test","type":"A","timeout_ms":1}"#, id: 6)?.status == 10060)

        var nextID: Int64 = 7
        let stats = try #require(client.waitForStat("connections", toBe: 1, nextID: &nextID))
        #expect(Set(stats.keys) == [
            "in_flight", "connections", "lookups", "completed", "cancelled", "aborted", "timed_out", "failed",
            "protocol_errors", "rejected", "connections_refused", "reloads", "coalesced", "cache", "upstream", "latency_us", "front_ends",
            "clients", "lookups_by_op", "latency_histogram_us", "upstreams", "routes",
        ])
        // One route, the default one (docs/routing.md).
        let route = try #require(stats["routes"]?.arrayValue?.first?.objectValue)
        #expect(stats["routes"]?.arrayValue?.count == 1 && route["name"] == "." && route["domains"] == .integer(1))
        #expect(Set(route.keys) == ["name", "domains", "lookups"])
        // One entry per upstream (DaemonFailoverTests checks what they say).
        #expect(stats["upstreams"]?.arrayValue?.count == 1)
        let upstream = try #require(stats["upstreams"]?.arrayValue?.first?.objectValue)
        #expect(Set(upstream.keys) == [
            "address", "up", "route", "since_unix_ms", "consecutive_failures", "queries", "answers", "timeouts", "servfail",
            "refused", "truncated", "errors", "probes", "rtt_p50_us", "rtt_p99_us",
        ])
        #expect(stats["front_ends"] == ["v1": 4, "varlink": 0, "dns": 0])
        let counters: [String: Int64] = [
            "in_flight": 0, "connections": 1, "lookups": 4, "completed": 4, "cancelled": 1, "aborted": 0,
            "timed_out": 1, "failed": 1, "protocol_errors": 1, "rejected": 1, "connections_refused": 0, "reloads": 0, "coalesced": 0,
        ]
        for (key, value) in counters { #expect(stats[key] == .integer(value), "\(key): \(String(describing: stats[key]))") }
        let groups: [String: Set<String>] = [
            "cache": ["entries", "bytes", "hits", "misses", "evictions", "stale", "prefetches"],
            "upstream": ["channels", "queries_in_flight_per_channel", "receive_buffer_bytes", "replies_dropped"],
            "latency_us": ["p50", "p90", "p99", "p999"],
        ]
        for (group, keys) in groups {
            let object = try #require(stats[group]?.objectValue, "\(group)")
            #expect(Set(object.keys) == keys, "\(group)")
            for key in keys {
                guard case .integer? = object[key] else { Issue.record("\(group).\(key) is not an integer"); continue }
            }
        }
        // The members that are not plain integers: this uid's counts, per op, the histogram.
        let perUID = try #require(stats["clients"]?.arrayValue?.first?.objectValue)
        #expect(perUID == ["uid": .integer(Int64(getuid())), "lookups": 4, "cache_hits": 0, "failures": 2, "cancelled": 1, "in_flight": 0])
        let byOp = try #require(stats["lookups_by_op"]?.objectValue)
        #expect(byOp["getaddrinfo"] == 2 && byOp["gethostbyname"] == 1 && byOp["query"] == 1 && byOp["getnameinfo"] == 0)
        let histogram = try #require(stats["latency_histogram_us"]?.objectValue)
        #expect(histogram["count"] == 4 && histogram["le"]?.arrayValue?.count == histogram["counts"]?.arrayValue?.count)
    }
}
