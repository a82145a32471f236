import ResolverClient

/// Renders each op's result as the readable lines resolvdctl prints by default.
/// The readers (``AddressInfo/init(json:)``…) are the protocol's; a result they cannot
/// read is printed as its JSON instead.
enum ResultFormatter {
    /// A lookup's result, as the functions below render each kind.
    static func lines(_ value: LookupValue) -> [String] {
        switch value {
        case .addressInfo(let info): addressInfo(info)
        case .nameInfo(let info): ["\(info.host)  \(info.service)"]
        case .query(let answer): records(answer.records)
        case .host(let entry): hostEntry(entry)
        case .service(let entry): serviceEntry(entry)
        case .protocolEntry(let entry): protocolEntry(entry)
        case .stale(let inner): ["(stale)"] + lines(inner)
        }
    }

    /// `inet   192.0.2.10  port 0  stream/tcp  ttl 300`, one line per address, after
    /// `canonical name  host.example` when there is one.
    static func addressInfo(_ info: AddressInfo) -> [String] {
        var lines: [String] = []
        if let canonicalName = info.canonicalName {
            lines.append("canonical name  \(canonicalName)")
        }
        let addressWidth = info.addresses.map(\.address.count).max() ?? 0
        for entry in info.addresses {
            let socket = entry.transport.map { "\(entry.socketType.rawValue)/\($0.rawValue)" } ?? entry.socketType.rawValue
            lines.append([
                pad(entry.family.rawValue, to: 5),
                pad(entry.address, to: addressWidth),
                "port \(entry.port)",
                socket,
                "ttl \(entry.ttl)",
            ].joined(separator: "  "))
        }
        return lines
    }

    /// dig-like `name  ttl  TYPE  data`, one line per record.
    static func records(_ records: [DNSRecord]) -> [String] {
        let nameWidth = records.map(\.name.count).max() ?? 0
        let ttlWidth = records.map { String($0.ttl).count }.max() ?? 0
        let typeWidth = records.map(\.type.rawValue.count).max() ?? 0
        return records.map { record in
            [
                pad(record.name, to: nameWidth),
                pad(String(record.ttl), to: ttlWidth),
                pad(record.type.rawValue, to: typeWidth),
                record.data.presentation,
            ].joined(separator: "  ")
        }
    }

    static func hostEntry(_ entry: HostEntry) -> [String] {
        var lines = ["name     \(entry.name)"]
        if !entry.aliases.isEmpty { lines.append("aliases  \(entry.aliases.joined(separator: " "))") }
        lines.append("family   \(entry.family.rawValue)")
        lines += entry.addresses.map { "address  \($0)" }
        return lines
    }

    /// `/etc/services` style: `http  80/tcp  www`.
    static func serviceEntry(_ entry: ServiceEntry) -> [String] {
        [([entry.name, "\(entry.port)/\(entry.proto)"] + entry.aliases).joined(separator: "  ")]
    }

    /// `/etc/protocols` style: `tcp  6  TCP`.
    static func protocolEntry(_ entry: ProtocolEntry) -> [String] {
        [([entry.name, String(entry.number)] + entry.aliases).joined(separator: "  ")]
    }

    static func hello(_ result: JSONValue) -> [String]? {
        guard let info = ServerInfo(json: result) else { return nil }
        return [
            "\(info.server) \(info.version)  protocol \(info.protocolVersion)",
            "ops  \(info.ops.joined(separator: " "))",
        ]
    }

    /// `name  value`, sorted by name.
    /// The stats as an aligned two-column table; nested objects become `cache.hits`, `latency_us.p99`.
    static func stats(_ result: JSONValue) -> [String]? {
        guard let rows = flattenedStats(result) else { return nil }
        let width = rows.map(\.name.count).max() ?? 0
        return rows.map { "\(pad($0.name, to: width))  \($0.value)" }
    }

    /// The stats in the Prometheus text exposition format (for node_exporter's textfile collector).
    static func prometheus(_ result: JSONValue) -> [String]? {
        guard let rows = flattenedStats(result) else { return nil }
        var lines: [String] = []
        var latency: [(String, Int)] = []
        for (key, value) in rows {
            if key.hasPrefix("latency_us.") {
                latency.append((String(key.dropFirst("latency_us.".count)), value))
                continue
            }
            let name = "resolvd_" + key.replacingDots()
            let isGauge = gauges.contains(key)
            let metric = isGauge ? name : name + "_total"
            lines.append("# HELP \(metric) resolvd \(key.replacingDots().replacingUnderscores())")
            lines.append("# TYPE \(metric) \(isGauge ? "gauge" : "counter")")
            lines.append("\(metric) \(value)")
        }
        if !latency.isEmpty {
            lines.append("# HELP resolvd_lookup_latency_microseconds Lookup latency from request to reply")
            lines.append("# TYPE resolvd_lookup_latency_microseconds summary")
            for (name, value) in latency {
                let quantile = quantiles[name] ?? name
                lines.append("resolvd_lookup_latency_microseconds{quantile=\"\(quantile)\"} \(value)")
            }
        }
        return lines
    }

    private static let gauges: Set<String> = [
        "in_flight", "connections", "cache.entries", "cache.bytes",
        "upstream.channels", "upstream.queries_in_flight_per_channel", "upstream.receive_buffer_bytes",
    ]
    private static let quantiles = ["p50": "0.5", "p90": "0.9", "p99": "0.99", "p999": "0.999"]

    /// The stats' counters sorted by name (``StatsResult/counters``: `cache.hits`, …).
    private static func flattenedStats(_ result: JSONValue) -> [(name: String, value: Int)]? {
        StatsResult(json: result)?.counters.sorted { $0.name < $1.name }
    }

    static func flushCache(_ result: JSONValue) -> [String]? {
        FlushCacheResult(json: result).map { ["flushed \($0.flushed) cache entries"] }
    }

    static func cancelAll(_ result: JSONValue) -> [String]? {
        CancelAllResult(json: result).map { ["cancelled \($0.cancelled)"] }
    }

    private static func pad(_ text: String, to width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
