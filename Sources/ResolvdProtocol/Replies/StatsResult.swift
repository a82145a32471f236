import ResolverTypes

/// What the `stats` op reports (docs/protocol.md, "Other ops"): integers, three groups of
/// them in objects, then the `upstreams` array (StatsResult+Upstreams.swift) and last `routes` (StatsResult+Routes.swift). The daemon fills one from its counters and writes it
/// (it is ``JSONWritable``); the client reads it back with ``init(json:)``.
///
/// The wire names and their order are ``members``, the one table the writer, the reader
/// and ``counters`` go through.
public struct StatsResult: Hashable, Sendable {
    /// Lookups started and not yet answered.
    public var inFlight = 0
    /// Connections open.
    public var connections = 0
    /// Lookups started.
    public var lookups = 0
    /// Lookups answered, whatever the outcome.
    public var completed = 0
    public var cancelled = 0
    public var aborted = 0
    public var timedOut = 0
    /// Lookups that failed otherwise.
    public var failed = 0
    public var protocolErrors = 0
    /// Requests refused by a limit.
    public var rejected = 0
    /// Connections refused (`max_connections`, its per-uid share, the admins' slots); also in `rejected`.
    public var connectionsRefused = 0
    public var reloads = 0
    public var cache = Cache()
    /// Lookups that joined an identical one in flight.
    public var coalesced = 0
    public var upstream = Upstream()
    /// Request to reply, in microseconds (`latency_us`).
    public var latency = Latency()
    /// `lookups` by the front end they came from (`front_ends`).
    public var frontEnds = FrontEnds()
    /// The busiest client uids, most lookups first (`clients`; see ClientStatistics.swift).
    public var clients: [ClientStatistics] = []
    /// Lookups started per op (`lookups_by_op`).
    public var lookupsByOperation = LookupsByOperation()
    /// Lookup latency in buckets (`latency_histogram_us`).
    public var latencyHistogram = LatencyHistogram()
    /// Each upstream's health and traffic (`upstreams`, StatsResult+Upstreams.swift).
    public var upstreams: [UpstreamStatus] = []
    /// Each route and the lookups it took (`routes`, StatsResult+Routes.swift).
    public var routes: [RouteStatistics] = []

    public init() {}

    /// The answer cache (`cache`).
    public struct Cache: Hashable, Sendable {
        public var entries, bytes, hits, misses, evictions: Int
        /// Lookups answered from an expired entry (serve-stale), and background refreshes
        /// started by hits near expiry (prefetch).
        public var stale, prefetches: Int

        public init(
            entries: Int = 0, bytes: Int = 0, hits: Int = 0, misses: Int = 0, evictions: Int = 0, stale: Int = 0, prefetches: Int = 0
        ) {
            (self.entries, self.bytes, self.hits, self.misses, self.evictions) = (entries, bytes, hits, misses, evictions)
            (self.stale, self.prefetches) = (stale, prefetches)
        }
    }

    /// What the running resolver measured of its upstream sockets (`upstream`);
    /// `receiveBufferBytes` is 0 when it could not be measured.
    public struct Upstream: Hashable, Sendable {
        public var channels, queriesInFlightPerChannel, receiveBufferBytes: Int
        /// Upstream replies dropped because a channel already had as many waiting as it may
        /// hold (an upstream flooding its sockets while the channel was busy).
        public var repliesDropped: Int

        public init(channels: Int = 0, queriesInFlightPerChannel: Int = 0, receiveBufferBytes: Int = 0, repliesDropped: Int = 0) {
            (self.channels, self.queriesInFlightPerChannel, self.receiveBufferBytes) = (channels, queriesInFlightPerChannel, receiveBufferBytes)
            self.repliesDropped = repliesDropped
        }
    }

    /// Lookups started over protocol v1, over Varlink and by the DNS stub listener (`front_ends`).
    public struct FrontEnds: Hashable, Sendable {
        public var v1, varlink, dns: Int

        public init(v1: Int = 0, varlink: Int = 0, dns: Int = 0) {
            (self.v1, self.varlink, self.dns) = (v1, varlink, dns)
        }
    }

    /// Latency percentiles in microseconds (`latency_us`); 0 before the first lookup.
    public struct Latency: Hashable, Sendable {
        public var p50, p90, p99, p999: Int

        public init(p50: Int = 0, p90: Int = 0, p99: Int = 0, p999: Int = 0) {
            (self.p50, self.p90, self.p99, self.p999) = (p50, p90, p99, p999)
        }
    }
}

extension StatsResult {
    /// One member of the result: an integer, or an object of integers.
    enum Member {
        case counter(String, WritableKeyPath<StatsResult, Int>)
        case group(String, [(String, WritableKeyPath<StatsResult, Int>)])
    }

    /// Every member by its wire name, in wire order.
    static var members: [Member] {
        [
            .counter("in_flight", \.inFlight),
            .counter("connections", \.connections),
            .counter("lookups", \.lookups),
            .counter("completed", \.completed),
            .counter("cancelled", \.cancelled),
            .counter("aborted", \.aborted),
            .counter("timed_out", \.timedOut),
            .counter("failed", \.failed),
            .counter("protocol_errors", \.protocolErrors),
            .counter("rejected", \.rejected),
            .counter("connections_refused", \.connectionsRefused),
            .counter("reloads", \.reloads),
            .group("cache", [
                ("entries", \.cache.entries), ("bytes", \.cache.bytes), ("hits", \.cache.hits),
                ("misses", \.cache.misses), ("evictions", \.cache.evictions), ("stale", \.cache.stale),
                ("prefetches", \.cache.prefetches),
            ]),
            .counter("coalesced", \.coalesced),
            .group("upstream", [
                ("channels", \.upstream.channels),
                ("queries_in_flight_per_channel", \.upstream.queriesInFlightPerChannel),
                ("receive_buffer_bytes", \.upstream.receiveBufferBytes),
                ("replies_dropped", \.upstream.repliesDropped),
            ]),
            .group("latency_us", [
                ("p50", \.latency.p50), ("p90", \.latency.p90), ("p99", \.latency.p99), ("p999", \.latency.p999),
            ]),
            .group("front_ends", [("v1", \.frontEnds.v1), ("varlink", \.frontEnds.varlink), ("dns", \.frontEnds.dns)]),
        ]
    }

    /// Every integer by its wire name, a grouped one as `cache.hits`, in wire order.
    public var counters: [(name: String, value: Int)] {
        Self.members.flatMap { member -> [(name: String, value: Int)] in
            switch member {
            case .counter(let key, let path): [(key, self[keyPath: path])]
            case .group(let key, let counters): counters.map { ("\(key).\($0.0)", self[keyPath: $0.1]) }
            }
        }
    }

    /// Reads a `stats` result; `nil` if a member is missing or not an integer (an object,
    /// for the groups).
    public init?(json: JSONValue) {
        guard let object = json.objectValue else { return nil }
        self.init()
        for member in Self.members {
            switch member {
            case .counter(let key, let path):
                guard let value: Int = object.integer(key) else { return nil }
                self[keyPath: path] = value
            case .group(let key, let counters):
                guard let group = object[key]?.objectValue else { return nil }
                for (inner, path) in counters {
                    guard let value: Int = group.integer(inner) else { return nil }
                    self[keyPath: path] = value
                }
            }
        }
        clients = ClientStatisticsList(json: object["clients"])?.clients ?? []
        lookupsByOperation = LookupsByOperation(json: object["lookups_by_op"]) ?? LookupsByOperation()
        latencyHistogram = LatencyHistogram(json: object["latency_histogram_us"]) ?? LatencyHistogram()
        guard let upstreams = Self.upstreams(in: object) else { return nil }
        self.upstreams = upstreams
        guard let routes = Self.routes(in: object) else { return nil }
        self.routes = routes
    }
}

extension StatsResult: JSONWritable {
    /// `{"in_flight":n,…,"cache":{"entries":n,…},"coalesced":n,…}`, compact, in wire order.
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        func pair(_ key: String, _ value: Int) {
            sink.string(key)
            sink.raw(":")
            sink.integer(value)
        }
        sink.raw("{")
        for (index, member) in Self.members.enumerated() {
            if index > 0 { sink.raw(",") }
            switch member {
            case .counter(let key, let path):
                pair(key, self[keyPath: path])
            case .group(let key, let counters):
                sink.string(key)
                sink.raw(":{")
                for (inner, (name, path)) in counters.enumerated() {
                    if inner > 0 { sink.raw(",") }
                    pair(name, self[keyPath: path])
                }
                sink.raw("}")
            }
        }
        sink.raw(",\"clients\":")
        ClientStatisticsList(clients).write(to: &sink)
        sink.raw(",\"lookups_by_op\":")
        lookupsByOperation.write(to: &sink)
        sink.raw(",\"latency_histogram_us\":")
        latencyHistogram.write(to: &sink)
        writeUpstreams(to: &sink)
        writeRoutes(to: &sink)
        sink.raw("}")
    }
}
