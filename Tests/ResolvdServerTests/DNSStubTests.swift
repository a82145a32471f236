import NIOCore
import ResolvdProtocol
import ResolverCore
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The DNS stub listener through real sockets: every wire rule of docs/stub.md checked by
/// dnspython (Debian python3-dnspython), `dig` and `kdig` as real clients, and what the
/// daemon's `stats` count.
@Suite struct DNSStubTests {
    /// A daemon over the unbound fixture with the stub on a free loopback port.
    static func daemon(
        upstream: String? = nil, config: String = "", timeoutMilliseconds: Int = 2_000, tries: Int = 2, extraArguments: [String] = []
    ) throws -> (DaemonProcess, Int) {
        // A port taken between the pick and the daemon's bind fails its start: try another.
        var attempt = 0
        while true {
            attempt += 1
            let port = try DNSStubClient.freeLoopbackPort()
            do {
                let daemon = try DaemonProcess.start(
                    upstream: try upstream ?? DaemonOperationTests.unbound.get().serverAddress, config: "dns_listen = 127.0.0.1:\(port)\n" + config,
                    timeoutMilliseconds: timeoutMilliseconds, tries: tries, extraArguments: extraArguments)
                return (daemon, port)
            } catch where attempt < 3 {
                continue
            }
        }
    }

    @Test func anAnswerEchoesIdQuestionAndFlags() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        let facts = try DNSStubClient.run(["ask", "WwW.ExAmPle.TEST", "A", "edns", "4096"], port: port)
        #expect(facts["rcode"] == "NOERROR")
        #expect(facts["id-echoed"] == "True")
        #expect(facts["question-echoed"] == "True")
        #expect(facts["flags"] == "QR RD RA")
        #expect(facts["answers"] == "WwW.ExAmPle.TEST. A 192.0.2.10")
        #expect(facts["edns"] == "0")
        #expect(facts["payload"] == "1232")
        let plain = try DNSStubClient.run(["ask", "www.example.test", "AAAA"], port: port)
        #expect(plain["answers"] == "www.example.test. AAAA 2001:db8::10")
        #expect(plain["edns"] == "-1")  // no OPT back to a query without one
    }

    /// One UDP socket per event loop on the address (SO_REUSEPORT), so that queries are
    /// answered on every core; the kernel spreads client sockets over them by address and
    /// port, and every one of them answers: 64 client sockets, 64 answers.
    @Test func everyEventLoopServesItsOwnUDPSocketOnTheAddress() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        let hex = String(port, radix: 16, uppercase: true)
        let local = "0100007F:" + String(repeating: "0", count: 4 - hex.count) + hex
        let table = try #require(try? readWholeFile("/proc/net/udp"))
        let sockets = table.split(separator: "\n").filter { $0.split(separator: " ").dropFirst().first == Substring(local) }
        #expect(sockets.count == System.coreCount, "\(sockets)")
        var answered = 0
        for client in 0..<64 {
            // A new client socket each time: another source port, hashed to either socket.
            if let reply = try? DNSProbe.query("w\(client).wild.example.test", port: UInt16(port)), reply.rcode == 0, reply.answerCount == 1 {
                answered += 1
            }
        }
        #expect(answered == 64)
    }

    /// A type resolvd has no parser for passes through as the upstream sent it (RFC 3597),
    /// cached like any other (dump_cache shows it in RFC 3597's text form); a type whose
    /// data could hold compressed names (MB) is NOTIMP.
    @Test func typesWithoutAParserPassThroughAndAreCached() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        let https = try DNSStubClient.run(["ask", "https.example.test", "HTTPS"], port: port)
        #expect(https["rcode"] == "NOERROR")
        #expect(https["answers"] == "https.example.test. HTTPS 1 .")
        let privateType = try DNSStubClient.run(["ask", "Private.example.test", "TYPE65280"], port: port)
        #expect(privateType["answers"] == ##"Private.example.test. TYPE65280 \# 3 abcdef"##)
        let client = try daemon.connect()
        let dump = try #require(client.call(#"{"id":1,"op":"dump_cache"}"#, id: 1)?.result)
        let entries = try #require(DumpCacheResult(json: .object(dump))?.entries)
        let cached = entries.first { $0.question == "private.example.test" }
        #expect(cached?.type == "TYPE65280")
        #expect(cached?.records.map(\.data) == [.unknown(type: 65_280, rdata: [0xAB, 0xCD, 0xEF])])
        // Asked again: the same bytes, from the cache.
        #expect(try DNSStubClient.run(["ask", "private.example.test", "TYPE65280"], port: port)["answers"] == ##"private.example.test. TYPE65280 \# 3 abcdef"##)
        #expect(try DNSStubClient.run(["ask", "www.example.test", "MB"], port: port)["rcode"] == "NOTIMP")
    }

    /// A DO or CD question goes upstream with its bits and comes back as the upstream sent
    /// it — RRSIG in the answer, NSEC and RRSIG beside the SOA of an NXDOMAIN — never from
    /// or into the cache: each such question is its own upstream query, and a plain
    /// question neither gets nor gives a DNSSEC answer.
    @Test func dnssecQuestionsArePassedThroughUncached() throws {
        let upstream = try ScriptedUpstream.start(script: .signed)
        defer { upstream.stop() }
        let (daemon, port) = try Self.daemon(upstream: upstream.serverAddress, tries: 1)
        defer { daemon.stop() }
        let signed = try DNSStubClient.run(["ask", "www.example.test", "A", "edns", "1232", "do"], port: port)
        #expect(signed["rcode"] == "NOERROR")
        #expect(signed["do"] == "True")
        #expect(signed["order"] == "A,RRSIG")
        #expect(signed["answers"]?.contains("www.example.test. RRSIG A 8 2 300") == true, "\(signed)")
        let again = try DNSStubClient.run(["ask", "www.example.test", "A", "edns", "1232", "do"], port: port)
        #expect(again["answers"] == signed["answers"])
        let checking = try DNSStubClient.run(["ask", "www.example.test", "A", "cd"], port: port)
        #expect(checking["order"] == "A")
        let plain = try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)
        #expect(plain["order"] == "A")
        let plainAgain = try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)
        #expect(plainAgain["order"] == "A")
        #expect(upstream.dnssecBitsSeen == ["DO", "DO", "CD", ""], "one upstream query each, with its bits; the plain one cached once")
        let missing = try DNSStubClient.run(["ask", "nxname.example.test", "A", "edns", "1232", "do"], port: port)
        #expect(missing["rcode"] == "NXDOMAIN")
        #expect(missing["authority"] == "example.test. NSEC;example.test. RRSIG;example.test. RRSIG;example.test. SOA")
        let client = try daemon.connect()
        let dump = try #require(client.call(#"{"id":1,"op":"dump_cache"}"#, id: 1)?.result)
        #expect(dump["total"]?.intValue == 1, "only the plain question's answer: \(dump)")
    }

    @Test func cnameChainsComeFirst() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        let facts = try DNSStubClient.run(["ask", "chain.example.test", "A"], port: port)
        #expect(facts["order"] == "CNAME,CNAME,A")
        #expect(facts["answers"]?.contains("www.example.test. A 192.0.2.10") == true)
    }

    @Test func negativeAnswers() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        let nxdomain = try DNSStubClient.run(["ask", "nonexistent.example.test", "A"], port: port)
        #expect(nxdomain["rcode"] == "NXDOMAIN")
        #expect(nxdomain["authority"] == "example.test. SOA", "the zone's SOA, from the cache's negative entry")
        let nodata = try DNSStubClient.run(["ask", "v4only.example.test", "AAAA"], port: port)
        #expect(nodata["rcode"] == "NOERROR")
        #expect(nodata["answers"] == "")
        #expect(nodata["authority"] == "example.test. SOA")
        // Asked again: from the cache, the SOA still there.
        #expect(try DNSStubClient.run(["ask", "nonexistent.example.test", "MX"], port: port)["authority"] == "example.test. SOA")
    }

    @Test func failingUpstreamsAreServFail() throws {
        let failing = try FailingUpstream.start()
        defer { failing.stop() }
        let (daemon, port) = try Self.daemon(upstream: failing.serverAddress, tries: 1)
        defer { daemon.stop() }
        #expect(try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)["rcode"] == "SERVFAIL")
    }

    @Test func malformedQueriesGetFormErrNotImpRefusedBadVers() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        // QDCOUNT 0.
        let empty = try DNSStubClient.run(["raw", "abcd01000000000000000000"], port: port)
        #expect(empty["id"] == "43981" && empty["qr"] == "True" && empty["rcode-low"] == "1")
        // QDCOUNT 2 with one question.
        let two = try DNSStubClient.run(["raw", "abcd0100000200000000000003777777000001" + "0001"], port: port)
        #expect(two["rcode-low"] == "1")
        // A question cut short.
        #expect(try DNSStubClient.run(["raw", "abcd010000010000000000000377"], port: port)["rcode-low"] == "1")
        // A response is never answered (no ping-pong); nothing comes back within the wait.
        #expect(try DNSStubClient.run(["raw", "abcd8100000100000000000003777777000001" + "0001"], port: port)["timeout"] == "True")
        let status = try DNSStubClient.run(["opcode", "www.example.test", "STATUS"], port: port)
        #expect(status["rcode"] == "NOTIMP")
        #expect(try DNSStubClient.run(["ask", "example.test", "AXFR"], port: port)["rcode"] == "REFUSED")
        #expect(try DNSStubClient.run(["ask", "example.test", "IXFR"], port: port)["rcode"] == "REFUSED")
        let badvers = try DNSStubClient.run(["edns-version", "www.example.test", "1"], port: port)
        #expect(badvers["rcode"] == "BADVERS")
        #expect(badvers["edns"] == "0")
    }

    @Test func longAnswersAreTruncatedOverUDPAndWholeOverTCP() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        let udp = try DNSStubClient.run(["ask", "big.example.test", "A"], port: port)
        #expect(udp["flags"] == "QR TC RD RA")
        #expect(Int(udp["size"] ?? "") ?? .max <= 512)
        let edns = try DNSStubClient.run(["ask", "big.example.test", "A", "edns", "1232"], port: port)
        #expect(edns["flags"] == "QR RD RA")  // 40 A records fit in 1,232 bytes
        #expect(edns["answers"]?.split(separator: ";").count == Zone.bigRecordCount)
        let tcp = try DNSStubClient.run(["ask", "big.example.test", "A", "tcp"], port: port)
        #expect(tcp["flags"] == "QR RD RA")
        #expect(tcp["answers"]?.split(separator: ";").count == Zone.bigRecordCount)
    }

    @Test func tcpQueriesArePipelined() throws {
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        let facts = try DNSStubClient.run(["pipeline", "www.example.test", "v4only.example.test", "nonexistent.example.test"], port: port)
        #expect(facts["answered"] == "3")
        #expect(facts["replies"] == "nonexistent.example.test:NXDOMAIN:;v4only.example.test:NOERROR:192.0.2.20;www.example.test:NOERROR:192.0.2.10")
    }

    @Test func localhostAndHostsFileNamesAreAnsweredLocally() throws {
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        try writeFile(directory + "/hosts", "192.0.2.77 printer.lan printer\n2001:db8::77 printer.lan\n")
        // The upstream never answers: every answer below was made without it.
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let (daemon, port) = try Self.daemon(upstream: silent.serverAddress, extraArguments: ["--hosts-file", directory + "/hosts"])
        defer { daemon.stop() }
        #expect(try DNSStubClient.run(["ask", "localhost", "A"], port: port)["answers"] == "localhost. A 127.0.0.1")
        #expect(try DNSStubClient.run(["ask", "LocalHost", "AAAA"], port: port)["answers"] == "LocalHost. AAAA ::1")
        #expect(try DNSStubClient.run(["ask", "printer.lan", "A"], port: port)["answers"] == "printer.lan. A 192.0.2.77")
        #expect(try DNSStubClient.run(["ask", "printer.lan", "AAAA"], port: port)["answers"] == "printer.lan. AAAA 2001:db8::77")
        #expect(try DNSStubClient.run(["ask", "77.2.0.192.in-addr.arpa", "PTR"], port: port)["answers"] == "77.2.0.192.in-addr.arpa. PTR printer.lan.")
    }

    @Test func aRepeatedUDPQuestionJoinsTheFirst() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let (daemon, port) = try Self.daemon(upstream: silent.serverAddress, timeoutMilliseconds: 1_000, tries: 1)
        defer { daemon.stop() }
        let facts = try DNSStubClient.run(["repeat", "www.example.test", "4"], port: port)
        #expect(facts["replies"] == "1")
        let client = try daemon.connect()
        let stats = client.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result
        #expect(stats?["front_ends"]?.objectValue?["dns"]?.intValue == 1)
    }

    /// 1,000 questions in flight at once from one UDP socket (the upstream's answers held
    /// until the daemon counts all of them in flight), then every answer with its own id.
    @Test func aThousandUDPQuestionsFromOneSocketGetTheirOwnIds() throws {
        try DNSStubClient.requireDNSPython()
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold()
        let (daemon, port) = try Self.daemon(upstream: proxy.serverAddress, timeoutMilliseconds: 60_000, tries: 1)
        defer { daemon.stop() }
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let flood = try SpawnedProcess(
            arguments: ["/usr/bin/python3", "-c", DNSStubClient.script, "127.0.0.1", String(port), "flood-udp", "1000", "wild.example.test", "20"],
            stdout: directory + "/stdout", stderr: directory + "/stderr")
        let client = try daemon.connect()
        var next: Int64 = 1
        let held = client.waitForStat("in_flight", toBe: 1000, nextID: &next, timeout: .seconds(60))
        #expect(held?["in_flight"]?.intValue == 1000)
        proxy.release()
        #expect(flood.waitForExit(timeout: .seconds(120)) == 0)
        let facts = DNSStubClient.facts((try? readWholeFile(directory + "/stdout")) ?? "")
        #expect(facts["replies"] == "1000", "\((try? readWholeFile(directory + "/stderr")) ?? "")")
        #expect(facts["wrong"] == "0")
        #expect(facts["rcode-NOERROR"] == "1000")
    }

    @Test func aClosedTCPConnectionLeavesItsQuestions() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let (daemon, port) = try Self.daemon(upstream: silent.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { daemon.stop() }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let query = StubWireTests.query(name: ["www", "example", "test"])
        let frame = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        #expect(write(fd, frame, frame.count) == frame.count)
        let client = try daemon.connect()
        var next: Int64 = 1
        #expect(client.waitForStat("in_flight", toBe: 1, nextID: &next, timeout: .seconds(10))?["in_flight"]?.intValue == 1)
        close(fd)
        let stats = client.waitForStat("in_flight", toBe: 0, nextID: &next, timeout: .seconds(10))
        #expect(stats?["in_flight"]?.intValue == 0)
        #expect(stats?["aborted"]?.intValue == 1)
    }

    @Test func digAndKdigResolveThroughTheStub() throws {
        let dig = try SystemdTestSupport.require("dig", package: "bind9-dnsutils")
        let kdig = try SystemdTestSupport.require("kdig", package: "knot-dnsutils")
        let (daemon, port) = try Self.daemon()
        defer { daemon.stop() }
        for tcp in ["+notcp", "+tcp"] {
            let output = try SystemdTestSupport.run([dig, "@127.0.0.1", "-p", String(port), tcp, "+short", "+tries=1", "+time=5", "www.example.test", "A"])
            #expect(output.stdout == "192.0.2.10\n", "dig \(tcp): \(output.stdout) \(output.stderr)")
            let knot = try SystemdTestSupport.run([kdig, "@127.0.0.1", "-p", String(port), tcp, "+short", "+retry=0", "+time=5", "alias.example.test", "AAAA"])
            #expect(knot.stdout == "www.example.test.\n2001:db8::10\n", "kdig \(tcp): \(knot.stdout) \(knot.stderr)")
        }
        // dig retries a truncated answer over TCP by itself.
        let big = try SystemdTestSupport.run([dig, "@127.0.0.1", "-p", String(port), "+noedns", "+short", "big.example.test", "A"])
        #expect(big.stdout.split(separator: "\n").count == Zone.bigRecordCount)
    }
}

/// The stub as front end `dns` in what the daemon reports: `monitor`, `stats`, Prometheus,
/// and one upstream query for a name asked through the stub and through v1.
@Suite struct DNSStubObserveTests {
    @Test func stubQuestionsReachMonitorStatsAndPrometheusAsFrontEndDNS() throws {
        let (daemon, port) = try DNSStubTests.daemon()
        defer { daemon.stop() }
        let monitor = try daemon.connect()
        #expect(monitor.call(#"{"id":1,"op":"monitor"}"# + "\n" + #"{"id":2,"op":"hello"}"#, id: 2)?.status == 0)
        #expect(try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)["rcode"] == "NOERROR")
        #expect(try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)["rcode"] == "NOERROR")
        #expect(try DNSStubClient.run(["ask", "nonexistent.example.test", "TXT", "tcp"], port: port)["rcode"] == "NXDOMAIN")
        var events: [JSONObject] = []
        #expect(monitor.readEvents(until: "nonexistent.example.test", into: &events) != nil)
        #expect(events.compactMap { $0["frontend"]?.stringValue } == ["dns", "dns", "dns"], "\(events)")
        #expect(events.compactMap { $0["source"]?.stringValue } == ["upstream", "cache", "upstream"], "\(events)")
        #expect(events.compactMap { $0["type"]?.stringValue } == ["A", "A", "TXT"])
        #expect(events.compactMap { $0["status"]?.intValue } == [0, 0, Int64(ResultCode.hostNotFound.rawValue)])

        let client = try daemon.connect()
        let stats = try #require(client.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
        #expect(stats["front_ends"]?.objectValue?["dns"]?.intValue == 3)
        #expect(stats["front_ends"]?.objectValue?["v1"]?.intValue == 0)
        #expect(stats["lookups"]?.intValue == 3)
        let output = try SystemdTestSupport.run([ObserveCommandLineTests.resolvdctl, "--socket", daemon.socketPath, "stats", "--prometheus"])
        let samples = try ObserveCommandLineTests.parsePrometheus(output.stdout)
        #expect(samples["resolvd_frontend_lookups_total{frontend=dns}"] == 3)
    }

    /// A name asked through the stub while the same question from v1 waits on the upstream:
    /// one upstream query for both.
    @Test func aStubQuestionAndAV1QueryShareOneUpstreamQuery() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold()
        let (daemon, port) = try DNSStubTests.daemon(upstream: proxy.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { daemon.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"query","name":"mail.example.test","type":"MX"}"#)
        #expect(proxy.waitUntil(queriesForwarded: 1))
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let stub = try SpawnedProcess(
            arguments: ["/usr/bin/python3", "-c", DNSStubClient.script, "127.0.0.1", String(port), "ask", "mail.example.test", "MX"],
            stdout: directory + "/stdout", stderr: directory + "/stderr")
        let watcher = try daemon.connect()
        var next: Int64 = 1
        #expect(watcher.waitForStat("in_flight", toBe: 2, nextID: &next)?["in_flight"]?.intValue == 2)
        proxy.release()
        #expect(client.reply()?.status == 0)
        #expect(stub.waitForExit(timeout: .seconds(30)) == 0)
        let facts = DNSStubClient.facts((try? readWholeFile(directory + "/stdout")) ?? "")
        #expect(facts["answers"] == "mail.example.test. MX 10 mx1.example.test.;mail.example.test. MX 20 mx2.example.test.")
        #expect(proxy.queriesForwarded == 1)
        #expect(watcher.call(#"{"id":100,"op":"stats"}"#, id: 100)?.result?["coalesced"]?.intValue == 1)
    }
}

/// A local user's `monitor` sees the stub questions of its own uid (the kernel names the
/// sending socket's uid on loopback), not another uid's; `stats` counts them under it.
@Suite struct DNSStubMonitorUIDTests {
    @Test func aUsersMonitorSeesItsOwnStubQuestionsOnly() throws {
        let (daemon, port) = try DNSStubTests.daemon()
        defer { daemon.stop() }
        let nobody = try NobodyClient(daemon: daemon, steps: [
            #"{"send":{"id":1,"op":"monitor"}}"#, #"{"send":{"id":2,"op":"hello"}}"#, #"{"until_id":2}"#, #"{"print":"READY"}"#,
            #"{"until_event":"v4only.example.test"}"#,
            #"{"send":{"id":3,"op":"cancel","handle":1}}"#, #"{"until_id":3}"#,
        ])
        #expect(nobody.waitFor(line: "READY"), "\(nobody.errors)")
        // root's question first, then uid 65534's: nobody's monitor must see only its own.
        #expect(try DNSStubClient.run(["ask", "www.example.test", "A"], port: port)["rcode"] == "NOERROR")
        #expect(try DNSStubClient.run(["ask", "multi.example.test", "A"], port: port, unprivileged: true)["rcode"] == "NOERROR")
        #expect(try DNSStubClient.run(["ask", "v4only.example.test", "A", "tcp"], port: port, unprivileged: true)["rcode"] == "NOERROR")
        let events = try nobody.finish().compactMap(\.event)
        #expect(events.compactMap { $0["name"]?.stringValue } == ["multi.example.test", "v4only.example.test"], "\(events)")
        #expect(events.allSatisfy { $0["frontend"]?.stringValue == "dns" })
        // `clients`: the two questions under uid 65534, root's under uid 0.
        let client = try daemon.connect()
        let stats = try #require(client.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
        let clients = try #require(stats["clients"]?.arrayValue?.compactMap { $0.objectValue })
        #expect(VarlinkMonitorTests.counters(65534, in: clients) == ["lookups": 2, "cache_hits": 0, "failures": 0, "cancelled": 0, "in_flight": 0], "\(clients)")
        #expect(VarlinkMonitorTests.counters(0, in: clients)["lookups"] == 1, "\(clients)")
    }
}
