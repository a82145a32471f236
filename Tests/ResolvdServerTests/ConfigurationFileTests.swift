import ResolvdServer
import ResolverTesting
import ResolverCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The configuration file: the shipped one documents only keys that exist, and errors name
/// the file, the line and the key.
@Suite struct ConfigurationFileTests {
    /// The source tree's config/resolvd.conf, found from this file's path.
    private var shippedFile: String {
        // #filePath is …/Tests/ResolvdServerTests/ConfigurationFileTests.swift: up three levels.
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/config/resolvd.conf"
    }

    private func load(_ text: String, overrides: DaemonConfiguration.Overrides = .init()) throws -> DaemonConfiguration {
        let path = "/tmp/resolvd-config-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).conf"
        try writeFile(path, text)
        defer { unlink(path) }
        return try DaemonConfiguration.load(file: path, overrides: overrides, environment: [:], isRoot: false, resolvConf: "/dev/null")
    }

    @Test func everyDocumentedSettingIsAccepted() throws {
        let text = try readWholeFile(shippedFile)
        // Uncomment every `#key = value` line: each documented key must parse with its example value.
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard line.hasPrefix("#"), let first = line.dropFirst().first, first.isLetter, line.contains(" = ") || line.hasSuffix(" =") else { return line }
            return line.dropFirst()
        }.joined(separator: "\n")
        #expect(uncommented.contains("\ncache_max_entries = "))
        let configuration = try load(uncommented)
        #expect(configuration.resolver.servers.map(\.description) == ["192.0.2.53:53", "[2001:db8::53]:53"])
        #expect(configuration.resolver.searchDomains == ["example.com", "example.net"])
        #expect(configuration.limits.maxLookupsPerConnection == 4096)
        #expect(configuration.cache.maxEntries == 100_000 && configuration.cache.negativeTTL == 30)
        #expect(configuration.socketMode == 0o666)
        #expect(configuration.limits.maxQueuedReplyBytes == 1 << 20)
        #expect(configuration.limits.maxConnectionsPerUID == 256 && configuration.limits.adminConnections == 16)
    }

    /// The bounds against local clients (docs/reliability.md): read from the file, out-of-range values refused.
    @Test func boundsAgainstLocalClients() throws {
        let configuration = try load(
            "max_queued_reply_bytes = 65536\nmax_connections_per_uid = 8\nadmin_connections = 0\n"
                + "metrics_max_connections = 4\nmetrics_idle_timeout_ms = 500\n")
        #expect(configuration.limits.maxQueuedReplyBytes == 65536)
        #expect(configuration.limits.maxConnectionsPerUID == 8 && configuration.limits.adminConnections == 0)
        #expect(configuration.limits.maxMetricsConnections == 4 && configuration.limits.metricsIdleTimeoutMilliseconds == 500)
        let monitors = try load("max_monitors = 16\nmax_monitors_per_uid = 2\nadmin_monitors = 0\n").limits
        #expect(monitors.maxMonitors == 16 && monitors.maxMonitorsPerUID == 2 && monitors.adminMonitors == 0)
        let defaults = try load("").limits
        #expect(defaults.maxMonitors == 64 && defaults.maxMonitorsPerUID == 8 && defaults.adminMonitors == 8)
        #expect(defaults.maxMetricsConnections == 16 && defaults.metricsIdleTimeoutMilliseconds == 30_000)
        for bad in [
            "max_queued_reply_bytes = 100", "max_connections_per_uid = 0", "admin_connections = -1", "metrics_max_connections = 0",
            "metrics_idle_timeout_ms = 10", "max_monitors = 0", "max_monitors_per_uid = 0", "admin_monitors = -1",
        ] {
            #expect(throws: ConfigurationError.self, "\(bad)") { _ = try load(bad + "\n") }
        }
    }

    /// `dns_listen` (repeatable, `none` clears) and `--dns-listen` (replaces the file's;
    /// `none` alone turns the stub off); the stub's bounds read and range-checked.
    @Test func dnsStubListenersAndBounds() throws {
        #expect(try load("").dnsListen.isEmpty)
        let file = try load("dns_listen = 127.0.0.53:53\ndns_listen = [::1]:5353\ndns_max_queries_per_source = 8\ndns_tcp_idle_timeout_ms = 500\n")
        #expect(file.dnsListen.map(\.description) == ["127.0.0.53:53", "[::1]:5353"])
        #expect(file.limits.dnsMaxQueriesPerSource == 8 && file.limits.dnsTCPIdleTimeoutMilliseconds == 500)
        #expect(try load("dns_listen = 127.0.0.53:53\ndns_listen = none\ndns_listen = 127.0.0.1:5300\n").dnsListen.map(\.description) == ["127.0.0.1:5300"])
        var overrides = DaemonConfiguration.Overrides()
        overrides.dnsListen = ["127.0.0.1:5301"]
        #expect(try load("dns_listen = 127.0.0.53:53\n", overrides: overrides).dnsListen.map(\.description) == ["127.0.0.1:5301"])
        overrides.dnsListen = ["none"]
        #expect(try load("dns_listen = 127.0.0.53:53\n", overrides: overrides).dnsListen.isEmpty)
        overrides.dnsListen = ["localhost:53"]
        #expect(throws: ConfigurationError.self) { _ = try load("", overrides: overrides) }
        for bad in ["dns_listen = 127.0.0.1", "dns_listen = 127.0.0.1:0", "dns_max_queries = 0", "dns_max_queries_per_tcp_connection = 0", "dns_tcp_idle_timeout_ms = 1"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { _ = try load(bad + "\n") }
        }
    }

    @Test func errorsNameFileLineAndKey() throws {
        do {
            _ = try load("tries = 2\nno_such_key = 1\n")
            Issue.record("an unknown key must be an error")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(":2: no_such_key: unknown key"), "\(error)")
        }
        do {
            _ = try load("# comment\n\ntries = many\n")
            Issue.record("a bad value must be an error")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(":3: tries:"), "\(error)")
        }
        #expect(throws: ConfigurationError.self) { _ = try load("dns = not-an-address\n") }
        #expect(throws: ConfigurationError.self) { _ = try load("cache_min_ttl = 100\ncache_max_ttl = 10\n") }
    }

    @Test func flagsOverrideTheFile() throws {
        var overrides = DaemonConfiguration.Overrides()
        overrides.servers = ["127.0.0.1:5353"]
        overrides.tries = 5
        overrides.noCache = true
        let configuration = try load("dns = 192.0.2.1\ntries = 2\ncache = on\n", overrides: overrides)
        #expect(configuration.resolver.servers.map(\.description) == ["127.0.0.1:5353"])
        #expect(configuration.resolver.tries == 5)
        #expect(configuration.cacheEnabled == false)
    }

    /// `--search none` and `--ndots` win over both the file and resolv.conf: how the tests keep
    /// the host's resolver settings out of every daemon they start.
    @Test func searchAndNdotsFlagsOverrideFileAndResolvConf() throws {
        let resolvConf = "/tmp/resolvd-resolvconf-test-\(getpid()).conf"
        try writeFile(resolvConf, "nameserver 127.0.0.9\nsearch host.example\noptions ndots:4\n")
        defer { unlink(resolvConf) }
        let inherited = try DaemonConfiguration.load(file: nil, overrides: .init(), environment: [:], isRoot: false, resolvConf: resolvConf)
        #expect(inherited.resolver.searchDomains == ["host.example"] && inherited.resolver.ndots == 4)

        var overrides = DaemonConfiguration.Overrides()
        overrides.searchDomains = []
        overrides.ndots = 1
        let configuration = try DaemonConfiguration.load(file: nil, overrides: overrides, environment: [:], isRoot: false, resolvConf: resolvConf)
        #expect(configuration.resolver.searchDomains.isEmpty && configuration.resolver.ndots == 1)

        overrides.searchDomains = ["a.test", "b.test"]
        #expect(try load("search = file.test\n", overrides: overrides).resolver.searchDomains == ["a.test", "b.test"])
        overrides.ndots = 16
        #expect(throws: ConfigurationError.self) { _ = try load("", overrides: overrides) }
    }

    @Test func defaultSocketPath() {
        #expect(DaemonConfiguration.defaultSocketPath(environment: ["RUNTIME_DIRECTORY": "/run/resolvd"], isRoot: false) == "/run/resolvd/resolvd.sock")
        #expect(DaemonConfiguration.defaultSocketPath(environment: [:], isRoot: true) == "/run/resolvd/resolvd.sock")
        #expect(DaemonConfiguration.defaultSocketPath(environment: [:], isRoot: false) == "./run/resolvd.sock")
    }
}
