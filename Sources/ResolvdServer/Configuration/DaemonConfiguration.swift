import Logging
import ResolverCore

/// Everything the daemon runs with: where it listens, its limits, its log level, and the
/// ``ResolverConfiguration`` of its engine.
///
/// This type holds settings only. The configuration file is read by
/// ``DaemonConfiguration/load(file:overrides:)`` and command-line flags arrive as
/// ``DaemonConfiguration/Overrides``; flags win over the file, the file over defaults.
public struct DaemonConfiguration: Hashable, Sendable {
    /// Where the Unix socket is bound (ignored under socket activation).
    public var socketPath: String
    /// The socket file's permission bits; 0666 lets every local user resolve.
    public var socketMode: UInt32 = 0o666
    /// The Varlink socket (io.systemd.Resolve); its file has `socketMode` too.
    public var varlinkSocket = VarlinkSocket.besideSocket
    public var resolver: ResolverConfiguration
    /// `route = DOMAIN SERVER…` and `--route`: names under DOMAIN go to those servers
    /// (docs/routing.md); `resolver.servers` is the default route `.`.
    public var routes: [ConfiguredRoute] = []
    public var limits = Limits()
    /// The answer cache; `false` with --no-cache. Coalescing stays on either way.
    public var cacheEnabled = true
    /// The cache's bounds and TTL rules; serve-stale on, for up to one day past expiry
    /// (RFC 8767 §5 suggests 1 to 3 days; docs/cache.md).
    public var cache: CacheSettings = {
        var settings = CacheSettings()
        settings.maxStale = 86_400
        return settings
    }()
    public var logLevel: Logger.Level = .info
    /// `admin_group`: besides root, who may run admin ops (`reload`); nil: root only.
    public var adminGroup: AdminPolicy.Group?
    /// `metrics_listen`: serve the Prometheus text over HTTP here; nil (the default): off.
    public var metricsListen: MetricsListen?
    /// `dns_listen` / `--dns-listen`: where the DNS stub listener serves UDP and TCP;
    /// empty (the default): off.
    public var dnsListen: [MetricsListen] = []

    /// The per-client limits; a client over one gets a clear error and nobody else notices.
    public struct Limits: Hashable, Sendable {
        public var maxLookupsPerConnection = 4096
        public var maxConnections = 1024
        /// Connections one uid other than an admin may have open (``ConnectionShares``).
        public var maxConnectionsPerUID = 256
        /// The last slots of `maxConnections`, kept for uid 0 and `admin_group`.
        public var adminConnections = 16
        /// Monitors running at once, daemon-wide (``MonitorHub``).
        public var maxMonitors = 64
        /// Monitors one uid other than an admin may run.
        public var maxMonitorsPerUID = 8
        /// The last slots of `maxMonitors`, kept for uid 0 and `admin_group`.
        public var adminMonitors = 8
        /// Upstream lookups one uid may have in flight (``UpstreamShare``); nil: a quarter
        /// of the channels' query slots.
        public var maxUpstreamLookupsPerUID: Int?
        public var maxRequestBytes = 65536
        /// Reply bytes queued for one client before resolvd stops reading its requests
        /// until it reads (back-pressure, ``ReplyBackPressure``).
        public var maxQueuedReplyBytes = 1 << 20
        /// `metrics_max_connections`: HTTP connections `metrics_listen` keeps open at once;
        /// more are closed as they are accepted. Counted in the descriptors set aside
        /// (``DescriptorLimit``), so they never take one a socket's client needs.
        public var maxMetricsConnections = 16
        /// `metrics_idle_timeout_ms`: a metrics connection with nothing read or written for
        /// this long is closed (a client that stopped reading its reply included).
        public var metricsIdleTimeoutMilliseconds = 30_000
        /// `dns_max_queries_per_source`: UDP questions one source address may have in
        /// flight at the DNS stub listener; more are answered REFUSED.
        public var dnsMaxQueriesPerSource = 1024
        /// `dns_max_queries`: UDP questions in flight on every stub socket together.
        public var dnsMaxQueries = 4096
        /// `dns_max_tcp_connections`: TCP connections to the stub listener at once.
        public var dnsMaxTCPConnections = 256
        /// `dns_max_tcp_connections_per_source`: of those, from one source address.
        public var dnsMaxTCPConnectionsPerSource = 16
        /// `dns_max_queries_per_tcp_connection`: questions in flight on one TCP connection
        /// (RFC 7766 pipelining); more are answered REFUSED.
        public var dnsMaxQueriesPerTCPConnection = 64
        /// `dns_tcp_idle_timeout_ms`: a TCP connection with no question in flight and
        /// nothing read for this long is closed (RFC 7766 §6.2.3).
        public var dnsTCPIdleTimeoutMilliseconds = 10_000

        public init() {}
    }

    public typealias CacheSettings = AnswerCache.Settings

    public init(socketPath: String, resolver: ResolverConfiguration) {
        self.socketPath = socketPath
        self.resolver = resolver
    }

    /// The default socket: $RUNTIME_DIRECTORY/resolvd.sock under systemd, else
    /// /run/resolvd/resolvd.sock as root, else ./run/resolvd.sock.
    public static func defaultSocketPath(environment: [String: String], isRoot: Bool) -> String {
        if let runtime = environment["RUNTIME_DIRECTORY"], !runtime.isEmpty {
            // systemd may pass several directories separated by ':'; the first is ours.
            let first = runtime.split(separator: ":").first.map(String.init) ?? runtime
            return first + "/resolvd.sock"
        }
        return isRoot ? "/run/resolvd/resolvd.sock" : "./run/resolvd.sock"
    }
}
