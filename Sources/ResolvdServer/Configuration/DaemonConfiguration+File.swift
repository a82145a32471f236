import Logging
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// An error in the configuration file or the flags: it names the file, the line and the key.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    init(file: String, line: Int, key: String, _ problem: String) {
        self.description = "\(file):\(line): \(key): \(problem)"
    }
}

extension DaemonConfiguration {
    /// Values given on the command line; each non-nil one wins over the file.
    public struct Overrides: Hashable, Sendable {
        public var socketPath: String?
        /// `--varlink-socket`: a path or `none`.
        public var varlinkSocket: String?
        public var servers: [String] = []
        /// `--route DOMAIN=SERVER[,SERVER…]`, added to the file's routes.
        public var routes: [String] = []
        /// The search list; nil keeps the file's (or resolv.conf's), empty means none.
        public var searchDomains: [String]?
        public var ndots: Int?
        public var hostsFile: String?
        public var servicesFile: String?
        public var protocolsFile: String?
        public var timeoutMilliseconds: Int?
        public var tries: Int?
        public var probeIntervalMilliseconds: Int?
        public var noCache = false
        public var logLevel: String?
        /// `--dns-listen`, repeatable: ADDR:PORT or `[V6]:PORT`, or `none` (no stub listener).
        public var dnsListen: [String] = []

        public init() {}
    }

    /// Builds the configuration: defaults (upstreams and search list from /etc/resolv.conf),
    /// then the file if given, then the flags. Every error names where it came from.
    public static func load(
        file: String?,
        overrides: Overrides,
        environment: [String: String],
        isRoot: Bool,
        resolvConf: String = "/etc/resolv.conf"
    ) throws(ConfigurationError) -> DaemonConfiguration {
        var configuration = DaemonConfiguration(
            socketPath: defaultSocketPath(environment: environment, isRoot: isRoot),
            resolver: .systemDefault(resolvConf: resolvConf))
        if let file {
            let text: String
            do {
                text = try TextFile.read(file)
            } catch {
                throw ConfigurationError(error.message)
            }
            try configuration.apply(fileText: text, file: file)
        }
        try configuration.apply(overrides)
        do {
            try configuration.resolver.validate()
        } catch {
            throw ConfigurationError("\(file ?? "configuration"): \(error.message)")
        }
        return configuration
    }

    private mutating func apply(fileText: String, file: String) throws(ConfigurationError) {
        var fileServers: [DNSServerAddress] = []
        var fileSearch: [String]?
        var metricsAllowRemote = false
        // Lines cut on the newline byte, not by Character: a file of 70,000 `route` lines
        // took a second to split (docs/routing.md, "Cost").
        for (index, lineBytes) in fileText.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let rawLine = Substring(lineBytes)
            let lineNumber = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw ConfigurationError(file: file, line: lineNumber, key: trimmed, "expected 'key = value'")
            }
            let key = String(trimmed[..<equals]).trimmingWhitespace()
            let value = String(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace()
            func fail(_ problem: String) -> ConfigurationError {
                ConfigurationError(file: file, line: lineNumber, key: key, problem)
            }
            func integer(_ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
                guard let number = Int(value), range.contains(number) else {
                    throw fail("'\(value)' is not an integer in \(range.lowerBound)…\(range.upperBound)")
                }
                return number
            }
            func path() throws(ConfigurationError) -> String {
                guard !value.isEmpty else { throw fail("needs a path") }
                return value
            }
            switch key {
            case "socket":
                socketPath = try path()
            case "varlink_socket":
                varlinkSocket = VarlinkSocket(setting: try path())
            case "socket_mode":
                guard let mode = UInt32(value, radix: 8), mode <= 0o777 else { throw fail("'\(value)' is not an octal mode like 0666") }
                socketMode = mode
            case "dns":
                do {
                    fileServers.append(try DNSServerAddress(parsing: value))
                } catch {
                    throw fail(error.message)
                }
            case "route":
                do {
                    let route = try ConfiguredRoute(parsing: value)
                    if route.domain == "." { fileServers += route.servers } else { routes.append(route) }
                } catch {
                    throw fail(error.description)
                }
            case "search":
                fileSearch = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
            case "ndots":
                resolver.ndots = try integer(0...15)
            case "timeout_ms":
                resolver.timeoutPerTry = .milliseconds(try integer(1...300_000))
            case "tries":
                resolver.tries = try integer(1...20)
            case "upstream_probe_interval_ms":
                resolver.upstreamProbeInterval = .milliseconds(try integer(10...3_600_000))
            case "channels":
                resolver.channelCount = try integer(1...64)
            case "max_in_flight_per_channel":
                resolver.maxInFlightPerChannel = try integer(1...65536)
            case "socket_receive_buffer":
                resolver.socketReceiveBufferBytes = try integer(0...(1 << 30))
            case "hosts_file":
                resolver.hostsFile = value == "none" ? nil : try path()
            case "services_file":
                resolver.servicesFile = try path()
            case "protocols_file":
                resolver.protocolsFile = try path()
            case "local_domain":
                resolver.localDomain = value.isEmpty ? nil : value
            case "cache":
                guard let enabled = Self.boolean(value) else { throw fail("'\(value)' is not on/off") }
                cacheEnabled = enabled
            case "cache_max_entries":
                cache.maxEntries = try integer(1...100_000_000)
            case "cache_max_bytes":
                cache.maxBytes = try integer(4096...(1 << 40))
            case "cache_min_ttl":
                cache.minTTL = UInt32(try integer(0...604_800))
            case "cache_max_ttl":
                cache.maxTTL = UInt32(try integer(0...604_800))
            case "negative_ttl":
                cache.negativeTTL = UInt32(try integer(0...86_400))
            case "serve_stale":
                cache.maxStale = UInt32(try integer(0...604_800))
            case "stale_answer_timeout_ms":
                cache.staleAnswerAfterMilliseconds = UInt32(try integer(0...300_000))
            case "prefetch_share_percent":
                cache.prefetchSharePercent = Int(try integer(0...100))
            case "max_lookups_per_connection":
                limits.maxLookupsPerConnection = try integer(1...1_000_000)
            case "max_connections":
                limits.maxConnections = try integer(1...1_000_000)
            case "max_connections_per_uid":
                limits.maxConnectionsPerUID = try integer(1...1_000_000)
            case "admin_connections":
                limits.adminConnections = try integer(0...1_000_000)
            case "max_monitors":
                limits.maxMonitors = try integer(1...65_536)
            case "max_monitors_per_uid":
                limits.maxMonitorsPerUID = try integer(1...65_536)
            case "admin_monitors":
                limits.adminMonitors = try integer(0...65_536)
            case "max_upstream_lookups_per_uid":
                limits.maxUpstreamLookupsPerUID = value == "auto" ? nil : try integer(1...1_000_000)
            case "max_request_bytes":
                limits.maxRequestBytes = try integer(256...(16 << 20))
            case "max_queued_reply_bytes":
                limits.maxQueuedReplyBytes = try integer(4096...(1 << 30))
            case "admin_group":
                guard !value.isEmpty else { throw fail("needs a group name") }
                guard let group = AdminPolicy.Group.lookUp(value) else { throw fail("no group '\(value)' on this system") }
                adminGroup = group
            case "metrics_listen":
                guard let listen = MetricsListen(parsing: value) else { throw fail("'\(value)' is not IP:PORT or [IPv6]:PORT") }
                metricsListen = listen
            case "dns_listen":
                // Repeatable; `none` clears what earlier lines (or the defaults) listed.
                if value == "none" {
                    dnsListen = []
                } else {
                    // Port 0 is refused: UDP and TCP would each get a port of their own.
                    guard let listen = MetricsListen(parsing: value), listen.port != 0 else {
                        throw fail("'\(value)' is not IP:PORT or [IPv6]:PORT with a port of 1 to 65535")
                    }
                    dnsListen.append(listen)
                }
            case "dns_max_queries_per_source":
                limits.dnsMaxQueriesPerSource = try integer(1...65536)
            case "dns_max_queries":
                limits.dnsMaxQueries = try integer(1...1_048_576)
            case "dns_max_tcp_connections":
                limits.dnsMaxTCPConnections = try integer(1...65536)
            case "dns_max_tcp_connections_per_source":
                limits.dnsMaxTCPConnectionsPerSource = try integer(1...65536)
            case "dns_max_queries_per_tcp_connection":
                limits.dnsMaxQueriesPerTCPConnection = try integer(1...65536)
            case "dns_tcp_idle_timeout_ms":
                limits.dnsTCPIdleTimeoutMilliseconds = try integer(100...3_600_000)
            case "metrics_max_connections":
                limits.maxMetricsConnections = try integer(1...4096)
            case "metrics_idle_timeout_ms":
                limits.metricsIdleTimeoutMilliseconds = try integer(100...3_600_000)
            case "metrics_allow_remote":
                guard let allowed = Self.boolean(value) else { throw fail("'\(value)' is not yes/no") }
                metricsAllowRemote = allowed
            case "log_level":
                guard let level = Logger.Level(rawValue: value) else {
                    throw fail("'\(value)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                logLevel = level
            default:
                throw fail("unknown key")
            }
        }
        if cache.minTTL > cache.maxTTL {
            throw ConfigurationError("\(file): cache_min_ttl (\(cache.minTTL)) is greater than cache_max_ttl (\(cache.maxTTL))")
        }
        if let metricsListen, !metricsListen.isLoopback, !metricsAllowRemote {
            throw ConfigurationError(
                "\(file): metrics_listen = \(metricsListen) is not a loopback address; the metrics name client uids, so set metrics_allow_remote = yes to serve them there")
        }
        if !fileServers.isEmpty { resolver.servers = fileServers }
        if let fileSearch { resolver.searchDomains = fileSearch }
    }

    private mutating func apply(_ overrides: Overrides) throws(ConfigurationError) {
        if let socketPath = overrides.socketPath { self.socketPath = socketPath }
        if let varlinkSocket = overrides.varlinkSocket { self.varlinkSocket = VarlinkSocket(setting: varlinkSocket) }
        if !overrides.servers.isEmpty {
            var servers: [DNSServerAddress] = []
            for text in overrides.servers {
                do {
                    servers.append(try DNSServerAddress(parsing: text))
                } catch {
                    throw ConfigurationError("--dns \(text): \(error.message)")
                }
            }
            resolver.servers = servers
        }
        for text in overrides.routes {
            do {
                let route = try ConfiguredRoute(parsing: text)
                if route.domain == "." { resolver.servers = route.servers } else { routes.append(route) }
            } catch {
                throw ConfigurationError("--route \(text): \(error.description)")
            }
        }
        if let searchDomains = overrides.searchDomains { resolver.searchDomains = searchDomains }
        if let ndots = overrides.ndots {
            guard (0...15).contains(ndots) else { throw ConfigurationError("--ndots \(ndots): must be in 0…15") }
            resolver.ndots = ndots
        }
        if let hostsFile = overrides.hostsFile { resolver.hostsFile = hostsFile == "none" ? nil : hostsFile }
        if let servicesFile = overrides.servicesFile { resolver.servicesFile = servicesFile }
        if let protocolsFile = overrides.protocolsFile { resolver.protocolsFile = protocolsFile }
        if let timeout = overrides.timeoutMilliseconds {
            guard (1...300_000).contains(timeout) else { throw ConfigurationError("--timeout-ms \(timeout): must be in 1…300000") }
            resolver.timeoutPerTry = .milliseconds(timeout)
        }
        if let tries = overrides.tries {
            guard (1...20).contains(tries) else { throw ConfigurationError("--tries \(tries): must be in 1…20") }
            resolver.tries = tries
        }
        if let interval = overrides.probeIntervalMilliseconds {
            guard (10...3_600_000).contains(interval) else {
                throw ConfigurationError("--probe-interval-ms \(interval): must be in 10…3600000")
            }
            resolver.upstreamProbeInterval = .milliseconds(interval)
        }
        if !overrides.dnsListen.isEmpty {
            var listens: [MetricsListen] = []
            for text in overrides.dnsListen where text != "none" {
                guard let listen = MetricsListen(parsing: text), listen.port != 0 else {
                    throw ConfigurationError("--dns-listen \(text): not IP:PORT or [IPv6]:PORT with a port of 1 to 65535 (or none)")
                }
                listens.append(listen)
            }
            dnsListen = listens
        }
        if overrides.noCache { cacheEnabled = false }
        if let level = overrides.logLevel {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw ConfigurationError("--log-level \(level): must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            logLevel = parsed
        }
    }

    private static func boolean(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "on", "yes", "true", "1": true
        case "off", "no", "false", "0": false
        default: nil
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        // ASCII (every line of a usual file): trim bytes, without Unicode properties.
        let text = String(self)
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0d).contains(byte) }
            let bytes = text.utf8
            guard let first = bytes.firstIndex(where: { !isBlank($0) }) else { return "" }
            let last = bytes.lastIndex(where: { !isBlank($0) })!
            return String(Substring(bytes[first...last]))
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
