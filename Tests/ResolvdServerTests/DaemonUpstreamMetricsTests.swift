import ResolvdProtocol
import ResolverTypes
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Per-upstream statistics where an operator reads them (docs/operations.md, "Which upstream
/// is slow or failing"): `stats`' `upstreams`, the *Upstreams* section of `resolvdctl stats`,
/// and the `resolvd_upstream_*` families of `stats --prometheus` and `/metrics`, parsed by
/// Debian's python3-prometheus-client.
///
/// Which upstream gets which query is made deterministic by the failover rules
/// (docs/reliability.md, "Upstream health and failover"): the failing upstream (SERVFAIL, or
/// silent) is first, so each of the first two lookups asks it and then — at once, or after
/// one try's timeout — the slow one; two failures in a row take it down, and every later
/// lookup asks only the slow one. Probes are put
/// off (`--probe-interval-ms 60000`) so that nothing else reaches the failing upstream.
@Suite(.serialized) struct DaemonUpstreamMetricsTests {
    static let delay = Duration.milliseconds(50)
    static let lookups = 10

    /// One sample as prometheus_client parsed it: the sample's name, its labels and value.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses Prometheus text with prometheus_client and prints one JSON array per sample:
    /// family type, sample name, labels, value (JSON, so that any label value survives).
    static let parser = #"""
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                print(json.dumps([family.type, sample.name, sample.labels, sample.value]))
        """#

    /// The samples of `text` with their family's type; the test fails if prometheus_client rejects it.
    static func parse(_ text: String) throws -> [(type: String, sample: Sample)] {
        try ObserveCommandLineTests.requirePrometheusClient()
        let output = try SystemdTestSupport.run(["/usr/bin/python3", "-c", parser], input: text)
        #expect(output.status == 0, "prometheus_client rejected the text: \(output.stderr)\n\(text)")
        return try output.stdout.split(separator: "\n").map { line in
            let array = try #require(try JSONParser.parse(String(line)).arrayValue)
            let labels = try #require(array[2].objectValue)
            var labelValues: [String: String] = [:]
            for (key, value) in labels { labelValues[key] = value.stringValue }
            let value = try #require(array[3].doubleValue)
            return (try #require(array[0].stringValue), Sample(name: try #require(array[1].stringValue), labels: labelValues, value: value))
        }
    }

    /// The value of `name` for `upstream`, nil if there is no such sample.
    static func value(_ samples: [(type: String, sample: Sample)], _ name: String, upstream: String) -> Double? {
        // Every upstream sample carries its route (docs/routing.md): these are all the default route's.
        samples.first { $0.sample.name == name && $0.sample.labels == ["upstream": upstream, "route": "."] }?.sample.value
    }

    /// How the first upstream fails: every query answered SERVFAIL (FailingUpstream), or
    /// never answered (ScriptedUpstream's names starting with `silent`).
    enum Fault: String, CaseIterable, Sendable {
        case servfail, silent

        /// The per-try timeout: a silent upstream costs each of the first two lookups one try.
        var timeoutMilliseconds: Int { self == .silent ? 500 : 2_000 }

        /// Starts the fixture: its address, its count of queries received, and its stop.
        func start() throws -> (address: String, received: @Sendable () -> Int, stop: @Sendable () -> Void) {
            switch self {
            case .servfail:
                let upstream = try FailingUpstream.start(failure: .serverFailure)
                return (upstream.serverAddress, { upstream.queriesReceived }, { upstream.stop() })
            case .silent:
                let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
                return (upstream.serverAddress, { upstream.queriesReceived }, { upstream.stop() })
            }
        }
    }

    @Test(arguments: Fault.allCases)
    func slowAndFailingUpstreamsAreCountedAndExported(fault: Fault) throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let slow = try DelayingProxy.start(upstreamPort: unbound.port, delay: Self.delay)
        defer { slow.stop() }
        let failing = try fault.start()
        defer { failing.stop() }
        let daemon = try DaemonProcess.start(
            upstream: failing.address, config: "metrics_listen = 127.0.0.1:0\n",
            timeoutMilliseconds: fault.timeoutMilliseconds, tries: 2,
            extraArguments: ["--dns", slow.serverAddress, "--probe-interval-ms", "60000"])
        defer { daemon.stop() }
        let metricsPort = try daemon.metricsPort()
        let client = try daemon.connect()
        var id: Int64 = 1
        for index in 0..<Self.lookups {
            let started = ContinuousClock.now
            let reply = client.call(#"{"id":\#(id),"op":"query","name":"silent\#(index).wild.example.test","type":"A"}"#, id: id)
            id += 1
            #expect(reply?.status == 0, "lookup \(index): \(String(describing: reply))")
            #expect(ContinuousClock.now - started >= Self.delay, "lookup \(index) was answered through the slow upstream")
        }
        let stats = try DaemonFailoverTests.stats(client, id: &id)
        client.close()

        // stats: what each upstream was sent and answered, as the fixtures counted it.
        #expect(stats.upstreams.map(\.address) == [failing.address, slow.serverAddress])
        let failed = try #require(stats.upstreams.first)
        #expect(failed.queries == failing.received())
        switch fault {
        case .servfail:
            // A lookup's SERVFAIL asks for a check with the daemon's own question; two failed
            // checks take it down (a third lookup may come while the first check runs).
            #expect(failed.probes == 2, "two checks: \(failed)")
            #expect((2...3).contains(failing.received() - failed.probes), "lookups asked the failing upstream until it was down")
            #expect(failed.serverFailures == failed.queries && failed.answers == failed.queries, "a SERVFAIL is a reply")
            #expect(failed.timeouts == 0)
        case .silent:
            #expect(failing.received() == 2, "the first two lookups asked the failing upstream, then it was down")
            #expect(failed.probes == 0)
            #expect(failed.timeouts == failed.queries && failed.answers == 0 && failed.serverFailures == 0)
            #expect(failed.roundTripP50Microseconds == 0 && failed.roundTripP99Microseconds == 0, "no reply, no round trip")
        }
        #expect(failed.refused == 0 && failed.errors == 0 && failed.truncated == 0)
        #expect(!failed.up && failed.consecutiveFailures == 2 && failed.sinceUnixMilliseconds > 0)
        let answered = try #require(stats.upstreams.last)
        #expect(slow.queriesForwarded == Self.lookups && slow.repliesRelayed == Self.lookups)
        #expect(answered.queries == Self.lookups && answered.answers == Self.lookups)
        #expect(answered.timeouts == 0 && answered.serverFailures == 0 && answered.refused == 0 && answered.errors == 0)
        #expect(answered.up && answered.consecutiveFailures == 0)
        #expect(answered.roundTripP50Microseconds >= 50_000, "p50 \(answered.roundTripP50Microseconds) µs behind a 50 ms delay")
        #expect(answered.roundTripP99Microseconds >= answered.roundTripP50Microseconds)
        #expect(answered.roundTripP99Microseconds < fault.timeoutMilliseconds * 1000, "no reply took a whole try")

        // resolvdctl stats: the Upstreams section, one row per upstream in configured order.
        let text = try SystemdTestSupport.run([ObserveCommandLineTests.resolvdctl, "--socket", daemon.socketPath, "stats"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let section = try #require(lines.firstIndex(of: "Upstreams"), "\(text.stdout)")
        #expect(lines.count > section + 3)
        let header = lines[section + 1].split(separator: " ").map(String.init)
        #expect(header.first == "upstream" && header.last == "µs", "\(lines[section + 1])")
        for (offset, upstream) in stats.upstreams.enumerated() {
            let row = lines[section + 2 + offset].split(separator: " ").map(String.init)
            let counts = [
                upstream.queries, upstream.answers, upstream.timeouts, upstream.serverFailures, upstream.refused, upstream.truncated,
                upstream.errors, upstream.probes, upstream.roundTripP50Microseconds, upstream.roundTripP99Microseconds,
            ].map(String.init)
            #expect(row == [upstream.address, upstream.up ? "up" : "DOWN", row.count > 2 ? row[2] : "?"] + counts, "\(row)")
            #expect(row.count > 2 && row[2].hasSuffix("Z") && row[2].count == 20, "since, in UTC: \(row)")
        }

        // The same figures in the Prometheus text of `stats --prometheus` and of /metrics.
        let prometheus = try SystemdTestSupport.run([ObserveCommandLineTests.resolvdctl, "--socket", daemon.socketPath, "stats", "--prometheus"])
        #expect(prometheus.status == 0, "\(prometheus.stderr)")
        let fetch = #"""
            import sys, urllib.request
            sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode())
            """#
        let scraped = try SystemdTestSupport.run(["/usr/bin/python3", "-c", fetch, String(metricsPort)])
        #expect(scraped.status == 0, "\(scraped.stderr)")
        for (source, exposition) in [("stats --prometheus", prometheus.stdout), ("/metrics", scraped.stdout)] {
            let samples = try Self.parse(exposition)
            for upstream in stats.upstreams {
                let expected: [(String, Double)] = [
                    ("resolvd_upstream_queries_total", Double(upstream.queries)), ("resolvd_upstream_answers_total", Double(upstream.answers)),
                    ("resolvd_upstream_timeouts_total", Double(upstream.timeouts)),
                    ("resolvd_upstream_servfail_total", Double(upstream.serverFailures)),
                    ("resolvd_upstream_refused_total", Double(upstream.refused)),
                    ("resolvd_upstream_truncated_total", Double(upstream.truncated)),
                    ("resolvd_upstream_errors_total", Double(upstream.errors)), ("resolvd_upstream_probes_total", Double(upstream.probes)),
                    ("resolvd_upstream_up", upstream.up ? 1 : 0),
                    ("resolvd_upstream_consecutive_failures", Double(upstream.consecutiveFailures)),
                    ("resolvd_upstream_rtt_p50_seconds", Double(upstream.roundTripP50Microseconds) / 1e6),
                    ("resolvd_upstream_rtt_p99_seconds", Double(upstream.roundTripP99Microseconds) / 1e6),
                ]
                for (name, value) in expected {
                    #expect(Self.value(samples, name, upstream: upstream.address) == value, "\(source): \(name){upstream=\(upstream.address)}")
                }
                // `since` is worked out from the monotonic clock at each read: a millisecond either way.
                let since = Self.value(samples, "resolvd_upstream_state_since_timestamp_seconds", upstream: upstream.address) ?? 0
                #expect(abs(since - Double(upstream.sinceUnixMilliseconds) / 1e3) <= 0.002, "\(source): since \(since)")
            }
            #expect(samples.filter { $0.sample.name.hasPrefix("resolvd_upstream_") && $0.sample.labels["upstream"] != nil }.count == 13 * 2)
            #expect(samples.first { $0.sample.name == "resolvd_upstream_queries_total" }?.type == "counter")
            #expect(samples.first { $0.sample.name == "resolvd_upstream_rtt_p50_seconds" }?.type == "gauge")
            #expect((Self.value(samples, "resolvd_upstream_rtt_p50_seconds", upstream: slow.serverAddress) ?? 0) >= 0.05, Comment(rawValue: source))
            let frontEnds = samples.filter { $0.sample.name == "resolvd_frontend_lookups_total" }.map(\.sample)
            #expect(frontEnds.contains(Sample(name: "resolvd_frontend_lookups_total", labels: ["frontend": "v1"], value: Double(Self.lookups))))
            #expect(frontEnds.contains(Sample(name: "resolvd_frontend_lookups_total", labels: ["frontend": "varlink"], value: 0)))
            #expect(samples.contains { $0.sample == Sample(name: "resolvd_cache_stale_answers_total", labels: [:], value: 0) })
            #expect(samples.contains { $0.sample == Sample(name: "resolvd_cache_prefetches_total", labels: [:], value: 0) })
        }
    }

    /// Through the real metrics socket: no label carries text a client chose. The label values
    /// are `op` (an op of the protocol), `le` (a bound), `uid` (a number), `frontend` and
    /// `upstream` (an address the operator configured, printed from its parsed form) — none
    /// from a request's text or the client's program name. uid 65534, under a program name
    /// with a double quote, a backslash and a line feed, sends lookups whose names, protocols,
    /// members and op carry the same characters; the scrape still parses with
    /// prometheus_client, every label value is from that closed set, and none of the hostile
    /// text is anywhere in it. (Escaping itself, for an upstream label no configuration can
    /// produce, is ``upstreamLabelsAreEscapedAndEveryFamilyHasHelp``.)
    @Test func noLabelOfTheMetricsSocketCarriesAClientsText() throws {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "metrics_listen = 127.0.0.1:0\n")
        defer { daemon.stop() }
        let metricsPort = try daemon.metricsPort()
        chmod(daemon.directory, 0o755)
        let hostile = #"""
            import ctypes, json, socket, sys
            ctypes.CDLL(None).prctl(15, b'q"b\\s\nl', 0, 0, 0)  # PR_SET_NAME: /proc/self/comm
            odd = 'a"b\\c\nd{e}=f,g'
            requests = [{"id": 1, "op": "getaddrinfo", "name": "www.example.test"}, {"id": 2, "op": "getaddrinfo", "name": odd},
                        {"id": 3, "op": "query", "name": odd + ".example.test", "type": "A"},
                        {"id": 4, "op": "getservbyname", "name": odd, "proto": odd}, {"id": 5, "op": "gethostbyname", "name": odd, odd: 1},
                        {"id": 6, "op": odd, "name": odd}]
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(10)
            connection.connect(sys.argv[1])
            connection.sendall("".join(json.dumps(request) + "\n" for request in requests).encode())
            replies = b""
            while replies.count(b"\n") < len(requests):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                replies += chunk
            print(replies.count(b"\n"))
            """#
        let run = try SystemdTestSupport.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", hostile, daemon.socketPath])
        #expect(run.status == 0 && run.stdout.hasPrefix("6"), "every hostile request answered: \(run.stdout) \(run.stderr)")

        let fetch = #"""
            import sys, urllib.request
            sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode())
            """#
        let scraped = try SystemdTestSupport.run(["/usr/bin/python3", "-c", fetch, String(metricsPort)])
        #expect(scraped.status == 0, "\(scraped.stderr)")
        let samples = try Self.parse(scraped.stdout)
        let ops = Set(Operation.allCases.map(\.rawValue))
        for sample in samples.map(\.sample) {
            for (key, value) in sample.labels {
                let allowed =
                    switch key {
                    case "op": ops.contains(value)
                    case "le": value == "+Inf" || Double(value) != nil
                    case "uid": !value.isEmpty && value.allSatisfy(\.isNumber)
                    case "frontend": value == "v1" || value == "varlink" || value == "dns"
                    case "upstream": value == unbound.serverAddress
                    case "route": value == "."  // routes are the configuration's (docs/routing.md); none here but the default
                    default: false
                    }
                #expect(allowed, "\(sample.name){\(key)=\(value)}")
            }
        }
        let nobody = samples.first { $0.sample.name == "resolvd_client_lookups_total" && $0.sample.labels == ["uid": "65534"] }
        #expect((nobody?.sample.value ?? 0) >= 1, "uid 65534's row: \(String(describing: nobody))")
        for piece in ["a\"b", #"b\c"#, "q\"b", #"\s"#, "{e}"] {
            #expect(!scraped.stdout.contains(piece), "\(piece) in the scrape")
        }
    }

    /// Label values are escaped as the text format says (backslash, double quote, line feed)
    /// and come back unchanged through prometheus_client; HELP lines are present for every family.
    @Test func upstreamLabelsAreEscapedAndEveryFamilyHasHelp() throws {
        var stats = StatsResult()
        let odd = "a\"quoted\\back\nslash:53"
        stats.upstreams = [
            UpstreamStatus(address: "[2001:db8::53]:53", up: true, sinceUnixMilliseconds: 1_795_977_000_123, queries: 7, roundTripP50Microseconds: 2_500),
            UpstreamStatus(address: odd, up: false, consecutiveFailures: 3, timeouts: 3, roundTripP99Microseconds: 1_250_000),
        ]
        stats.cache.stale = 4
        stats.cache.prefetches = 2
        stats.frontEnds = .init(v1: 5, varlink: 6)
        let text = stats.prometheusText
        #expect(text.contains(#"resolvd_upstream_up{upstream="a\"quoted\\back\nslash:53",route="."} 0"#), "\(text)")
        let samples = try Self.parse(text)
        #expect(Self.value(samples, "resolvd_upstream_timeouts_total", upstream: odd) == 3)
        #expect(Self.value(samples, "resolvd_upstream_consecutive_failures", upstream: odd) == 3)
        #expect(Self.value(samples, "resolvd_upstream_rtt_p99_seconds", upstream: odd) == 1.25)
        #expect(Self.value(samples, "resolvd_upstream_rtt_p50_seconds", upstream: "[2001:db8::53]:53") == 0.0025)
        #expect(Self.value(samples, "resolvd_upstream_state_since_timestamp_seconds", upstream: "[2001:db8::53]:53") == 1_795_977_000.123)
        #expect(Self.value(samples, "resolvd_upstream_queries_total", upstream: "[2001:db8::53]:53") == 7)
        #expect(samples.contains { $0.sample == Sample(name: "resolvd_cache_stale_answers_total", labels: [:], value: 4) })
        #expect(samples.contains { $0.sample == Sample(name: "resolvd_frontend_lookups_total", labels: ["frontend": "varlink"], value: 6) })
        // Every family has a HELP line that says something, and a TYPE line right after it.
        let lines = text.split(separator: "\n").map(String.init)
        let families = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        for family in families {
            let help = lines.firstIndex { $0.hasPrefix("# HELP \(family) ") }
            #expect(help.map { lines[$0 + 1].hasPrefix("# TYPE \(family) ") && lines[$0].count > "# HELP \(family) ".count + 10 } == true, "\(family)")
        }
        #expect(Set(samples.filter { $0.sample.labels["upstream"] != nil }.map(\.sample.name)).count == 13)
        #expect(!StatsResult().prometheusText.contains("upstream=\""), "no upstream family without upstreams")
    }
}
