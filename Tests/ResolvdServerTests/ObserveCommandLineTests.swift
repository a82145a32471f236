import ResolvdProtocol
import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `resolvdctl stats` (sections, `--prometheus` parsed by Debian's python3-prometheus-client),
/// `show-cache` and `monitor`, against a real daemon.
@Suite struct ObserveCommandLineTests {
    static let resolvdctl = SystemdTestSupport.binaryDirectory + "/resolvdctl"

    /// Parses Prometheus text with prometheus_client.parser and prints `name{labels} value` per sample.
    static let parser = #"""
        import sys
        from prometheus_client.parser import text_string_to_metric_families
        for family in text_string_to_metric_families(sys.stdin.read()):
            for sample in family.samples:
                labels = ",".join("%s=%s" % item for item in sorted(sample.labels.items()))
                print("%s %s{%s} %r" % (family.type, sample.name, labels, sample.value))
        """#

    /// Throws, naming the Debian package, unless /usr/bin/python3 can import prometheus_client.
    static func requirePrometheusClient() throws {
        guard access("/usr/bin/python3", X_OK) == 0 else { throw FixtureError("/usr/bin/python3 is missing: apt-get install python3-prometheus-client") }
        let check = try SystemdTestSupport.run(["/usr/bin/python3", "-c", "import prometheus_client.parser"])
        guard check.status == 0 else { throw FixtureError("prometheus_client is missing: apt-get install python3-prometheus-client") }
    }

    static func parsePrometheus(_ text: String) throws -> [String: Double] {
        try requirePrometheusClient()
        let output = try SystemdTestSupport.run(["/usr/bin/python3", "-c", parser], input: text)
        #expect(output.status == 0, "prometheus_client rejected the text: \(output.stderr)\n\(text)")
        var samples: [String: Double] = [:]
        for line in output.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let value = Double(parts[2]) else { continue }
            samples[String(parts[1])] = value
        }
        return samples
    }

    @Test func prometheusTextParsesAndMatchesTheStats() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        #expect(client.call(#"{"id":1,"op":"getaddrinfo","name":"www.example.test"}"#, id: 1)?.status == 0)
        #expect(client.call(#"{"id":2,"op":"getaddrinfo","name":"www.example.test"}"#, id: 2)?.status == 0)
        #expect(client.call(#"{"id":3,"op":"query","name":"nxdomain.example.test","type":"A"}"#, id: 3)?.status == 11001)
        #expect(client.call(#"{"id":4,"op":"getservbyname","name":"http","proto":"tcp"}"#, id: 4)?.status == 0)
        client.close()

        let output = try SystemdTestSupport.run([Self.resolvdctl, "--socket", daemon.socketPath, "stats", "--prometheus"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("# HELP resolvd_lookups_total Lookups started, by op.\n# TYPE resolvd_lookups_total counter\n"))
        let samples = try Self.parsePrometheus(output.stdout)
        #expect(samples["resolvd_lookups_total{op=getaddrinfo}"] == 2)
        #expect(samples["resolvd_lookups_total{op=query}"] == 1)
        #expect(samples["resolvd_lookups_total{op=getservbyname}"] == 1)
        #expect(samples["resolvd_lookups_total{op=gethostbyname}"] == 0)
        #expect(samples["resolvd_cache_hits_total{}"] == 1)
        #expect(samples["resolvd_lookups_failed_total{}"] == 1)
        #expect(samples["resolvd_client_lookups_total{uid=0}"] == 4)
        #expect(samples["resolvd_client_cache_hits_total{uid=0}"] == 1)
        #expect(samples["resolvd_lookup_duration_seconds_count{}"] == 4)
        #expect(samples["resolvd_lookup_duration_seconds_bucket{le=+Inf}"] == 4)
        #expect((samples["resolvd_lookup_duration_seconds_sum{}"] ?? 0) > 0)
        // Buckets are cumulative: never fewer lookups under a larger bound.
        let buckets = samples.filter { $0.key.hasPrefix("resolvd_lookup_duration_seconds_bucket{le=") && !$0.key.contains("Inf") }
            .map { (Double($0.key.dropFirst("resolvd_lookup_duration_seconds_bucket{le=".count).dropLast()) ?? -1, $0.value) }
            .sorted { $0.0 < $1.0 }
        #expect(buckets.count == LatencyHistogram.defaultBounds.count)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.1 <= $1.1 })
        #expect(buckets.last?.1 == 4)
    }

    @Test func statsInSectionsShowCacheAndMonitor() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        #expect(client.call(#"{"id":1,"op":"query","name":"longttl.example.test","type":"A"}"#, id: 1)?.status == 0)
        #expect(client.call(#"{"id":2,"op":"query","name":"longttl.example.test","type":"A"}"#, id: 2)?.status == 0)

        let stats = try SystemdTestSupport.run([Self.resolvdctl, "--socket", daemon.socketPath, "stats"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let lines = stats.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for section in ["Lookups", "Cache", "Daemon", "Clients (busiest uids)"] { #expect(lines.contains(section), "\(stats.stdout)") }
        #expect(lines.contains { $0.hasPrefix("  Hits:") && $0.hasSuffix(" 1") })
        #expect(lines.contains { $0.hasPrefix("  Upstream replies dropped:") && $0.hasSuffix(" 0") }, "\(stats.stdout)")
        #expect(lines.contains { $0.split(separator: " ").map(String.init) == ["0", "2", "1", "0", "0", "0"] }, "uid 0's row")

        let cache = try SystemdTestSupport.run([Self.resolvdctl, "--socket", daemon.socketPath, "show-cache", "--limit", "5"])
        #expect(cache.status == 0, "\(cache.stderr)")
        let rows = cache.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first?.prefix(3) == ["longttl.example.test", "A", "query"], "\(cache.stdout)")
        #expect(rows.first?.contains("positive") == true)
        #expect(rows.last == ["1", "of", "1", "entries"])

        // monitor: a line per lookup, with the program's name from /proc, until interrupted.
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let monitor = try SpawnedProcess(
            arguments: [Self.resolvdctl, "--socket", daemon.socketPath, "monitor"], stdout: directory + "/out", stderr: directory + "/err")
        let output = Self.lookUpUntilMonitorPrints(client, firstID: 3, output: directory + "/out")
        kill(monitor.pid, SIGINT)
        #expect(monitor.waitForExit() != nil)
        let line = try #require(output.split(separator: "\n").first { $0.contains("v4only") }).split(separator: " ").map(String.init)
        let comm = try readWholeFile("/proc/self/comm").split(separator: "\n").first.map(String.init)
        #expect(Array(line.dropFirst().prefix(4)) == ["uid", "0", comm ?? "", "getaddrinfo"], "\(line)")
        #expect(line.contains("v4only.example.test") && line.contains("OK") && line.contains("192.0.2.20"))
        #expect(line.contains("upstream") || line.contains("cache"))
    }

    /// Asks `v4only.example.test` through `client` until the `resolvdctl monitor` writing to
    /// `output` has printed it (it runs from then on); what it has printed so far.
    static func lookUpUntilMonitorPrints(_ client: LineClient, firstID: Int64, output path: String) -> String {
        var output = ""
        var id = firstID
        let deadline = ContinuousClock.now + .seconds(10)
        while !output.contains("v4only"), ContinuousClock.now < deadline {
            #expect(client.call(#"{"id":\#(id),"op":"getaddrinfo","name":"v4only.example.test"}"#, id: id)?.status == 0)
            id += 1
            usleep(50_000)
            output = (try? readWholeFile(path)) ?? ""
        }
        return output
    }

    /// `metrics_listen`: /metrics over HTTP, fetched by Python's urllib and parsed by
    /// prometheus_client; other paths 404; a non-loopback address refused at start. Port 0:
    /// the daemon binds a port the kernel chooses and prints it, and that port serves.
    @Test func metricsAreServedOverHTTPOnLoopback() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "metrics_listen = 127.0.0.1:0\n")
        defer { daemon.stop() }
        let port = try daemon.metricsPort()
        #expect(port > 0)
        let client = try daemon.connect()
        #expect(client.call(#"{"id":1,"op":"query","name":"www.example.test","type":"AAAA"}"#, id: 1)?.status == 0)
        let fetch = #"""
            import sys, urllib.request, urllib.error
            response = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10)
            print(response.headers["Content-Type"])
            sys.stdout.write(response.read().decode())
            try:
                urllib.request.urlopen("http://127.0.0.1:%s/other" % sys.argv[1], timeout=10)
            except urllib.error.HTTPError as error:
                print("# other: %d" % error.code)
            """#
        let output = try SystemdTestSupport.run(["/usr/bin/python3", "-c", fetch, String(port)])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n", maxSplits: 1)
        #expect(lines.first == "text/plain; version=0.0.4; charset=utf-8")
        #expect(output.stdout.hasSuffix("# other: 404\n"))
        let samples = try Self.parsePrometheus(String(lines.last ?? ""))
        #expect(samples["resolvd_lookups_total{op=query}"] == 1)
        #expect(samples["resolvd_connections{}"] == 1)
        #expect(samples["resolvd_lookup_duration_seconds_count{}"] == 1)

        let refused = try DaemonConfiguration.load(fileText: "metrics_listen = 192.0.2.1:9153\n")
        #expect(refused?.contains("not a loopback address") == true, "\(refused ?? "accepted")")
        #expect(try DaemonConfiguration.load(fileText: "metrics_listen = 192.0.2.1:9153\nmetrics_allow_remote = yes\n") == nil)
        #expect(try DaemonConfiguration.load(fileText: "metrics_listen = [::1]:9153\n") == nil)
        #expect(try DaemonConfiguration.load(fileText: "metrics_listen = localhost:9153\n")?.contains("is not IP:PORT") == true)
        #expect(try DaemonConfiguration.load(fileText: "metrics_listen = 127.0.0.1:65536\n")?.contains("is not IP:PORT") == true)
    }
}

extension DaemonConfiguration {
    /// Loads a configuration file's text; the error's text, or nil when it loaded.
    static func load(fileText: String) throws -> String? {
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        try writeFile(directory + "/resolvd.conf", fileText)
        do {
            _ = try DaemonConfiguration.load(
                file: directory + "/resolvd.conf", overrides: .init(), environment: [:], isRoot: true, resolvConf: "/dev/null")
            return nil
        } catch {
            return "\(error)"
        }
    }
}
