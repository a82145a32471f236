import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `stats`' per-uid `clients` and the admin-only `dump_cache`, through the socket, with
/// lookups made as root and as nobody.
@Suite struct ClientStatsAndCacheDumpTests {
    @Test func perUidCountsMatchWhatEachClientDid() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress)
        defer { daemon.stop() }
        // root: 3 lookups, 1 of them from the cache, 1 failure; and 1 cancelled.
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"getaddrinfo","name":"www.example.test"}"#, id: 1)?.status == 0)
        #expect(root.call(#"{"id":2,"op":"getaddrinfo","name":"www.example.test"}"#, id: 2)?.status == 0)
        #expect(root.call(#"{"id":3,"op":"query","name":"nxdomain.example.test","type":"A"}"#, id: 3)?.status == 11001)
        proxy.hold()
        root.send(#"{"id":4,"op":"query","name":"multi.example.test","type":"A"}"#)
        #expect(proxy.waitUntil(repliesHeld: 1))
        // While that one is in flight, nobody: 2 lookups, 1 from the cache, in a connection of its own.
        let nobody = try NobodyClient(daemon: daemon, steps: [
            #"{"send":{"id":1,"op":"getaddrinfo","name":"www.example.test"}}"#, #"{"until_id":1}"#,
            #"{"send":{"id":2,"op":"gethostbyname","name":"v4only.example.test"}}"#,
            #"{"send":{"id":3,"op":"stats"}}"#, #"{"until_id":3}"#,
        ])
        let lines = try nobody.finish()
        // nobody's gethostbyname is held upstream too: in flight when it asks `stats`.
        let nobodyStats = try #require(lines.first { $0.id == 3 }?.result)
        let clients = try #require(nobodyStats["clients"]?.arrayValue?.compactMap { $0.objectValue })
        #expect(entry(65534, in: clients) == ["lookups": 2, "cache_hits": 1, "failures": 0, "cancelled": 0, "in_flight": 1], "\(clients)")
        #expect(clients.map { $0["uid"]?.intValue } == [65534], "a user other than an admin sees only its own row: \(clients)")
        #expect(nobodyStats["lookups"]?.intValue == 6, "the daemon's own counters are everyone's")

        // root cancels its held lookup; nobody's has been aborted when its connection closed.
        #expect(root.call(#"{"id":5,"op":"cancel","handle":4}"#, id: 5)?.status == 0)
        proxy.release()
        var id: Int64 = 6
        let stats = try #require(root.waitForStat("in_flight", toBe: 0, nextID: &id))
        let final = try #require(stats["clients"]?.arrayValue?.compactMap { $0.objectValue })
        #expect(entry(0, in: final) == ["lookups": 4, "cache_hits": 1, "failures": 1, "cancelled": 1, "in_flight": 0], "\(final)")
        #expect(entry(65534, in: final) == ["lookups": 2, "cache_hits": 1, "failures": 0, "cancelled": 1, "in_flight": 0], "\(final)")
        #expect(final.first?["uid"]?.intValue == 0, "busiest first")
    }

    /// A member of `admin_group` sees every uid's row, as root does.
    @Test func anAdminGroupMemberSeesEveryClient() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "admin_group = 65534\n")
        defer { daemon.stop() }
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"getaddrinfo","name":"www.example.test"}"#, id: 1)?.status == 0)
        let nobody = try NobodyClient(daemon: daemon, steps: [#"{"send":{"id":1,"op":"stats"}}"#, #"{"until_id":1}"#])
        let clients = try #require(try nobody.finish().first { $0.id == 1 }?.result?["clients"]?.arrayValue?.compactMap { $0.objectValue })
        #expect(Set(clients.compactMap { $0["uid"]?.intValue }) == [0, 65534], "\(clients)")
    }

    /// The counters of `uid` in a `clients` list, by wire name.
    private func entry(_ uid: Int64, in list: [JSONObject]) -> [String: Int64] {
        guard let object = list.first(where: { $0["uid"]?.intValue == uid }) else { return [:] }
        return Dictionary(uniqueKeysWithValues: ClientStatistics.counterNames.map { ($0, object[$0]?.intValue ?? -1) })
    }

    @Test func dumpCacheIsForAdminsAndListsTheEntries() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"query","name":"short.example.test","type":"A"}"#, id: 1)?.status == 0)
        #expect(root.call(#"{"id":2,"op":"getaddrinfo","name":"nxdomain.example.test"}"#, id: 2)?.status == 11001)
        #expect(root.call(#"{"id":3,"op":"gethostbyname","name":"longttl.example.test"}"#, id: 3)?.status == 0)
        #expect(root.call(#"{"id":4,"op":"getservbyname","name":"http","proto":"tcp"}"#, id: 4)?.status == 0)  // not cached

        let dump = try #require(root.call(#"{"id":5,"op":"dump_cache"}"#, id: 5)?.result)
        #expect(dump["total"]?.intValue == 3)
        let entries = try #require(DumpCacheResult(json: .object(dump))?.entries)
        #expect(entries.map(\.question) == ["longttl.example.test", "nxdomain.example.test", "short.example.test"], "most recent first")
        // Entries are by DNS question, whichever op asked: gethostbyname's A, getaddrinfo's
        // "no such name" (one entry for every type of the name, RFC 2308), query's A.
        #expect(entries.map(\.operation) == [.query, .query, .query])
        #expect(entries.map(\.type) == ["A", "ANY", "A"])
        #expect(entries.map(\.positive) == [true, false, true])
        #expect(entries[0].records.map(\.type) == [.a] && entries[0].records.allSatisfy { $0.name == "longttl.example.test" })
        #expect(entries[1].records.allSatisfy { $0.type == .soa }, "a negative entry shows the zone's SOA, if any")
        #expect(entries[0].ttl > 86_000 && entries[0].ttl <= 86_400)
        #expect(entries[1].ttl <= 60 && entries[2].ttl <= 5)
        let stats = try #require(root.call(#"{"id":6,"op":"stats"}"#, id: 6)?.result?["cache"]?.objectValue)
        #expect(Int64(entries.reduce(0) { $0 + $1.bytes }) == stats["bytes"]?.intValue, "sizes add up to the cache's bytes")

        let limited = try #require(root.call(#"{"id":7,"op":"dump_cache","limit":1}"#, id: 7)?.result)
        #expect(limited["entries"]?.arrayValue?.count == 1 && limited["total"]?.intValue == 3)
        #expect(root.call(#"{"id":8,"op":"dump_cache","limit":0}"#, id: 8)?.status == 10022)

        let nobody = try NobodyClient(daemon: daemon, steps: [#"{"send":{"id":1,"op":"dump_cache"}}"#, #"{"until_id":1}"#])
        let nobodyLines = try nobody.finish()
        let refused = try #require(nobodyLines.first { $0.id == 1 })
        #expect(refused.status == 10013 && refused.errorSymbol == "WSAEACCES", "\(refused)")
    }
}
