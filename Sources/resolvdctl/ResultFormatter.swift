import ResolverClient

/// Renders each op's result as the readable lines resolvdctl prints by default.
/// Each function returns `nil` when the result does not have the expected shape,
/// and the caller then prints the JSON instead.
enum ResultFormatter {
    /// `inet   192.0.2.10  port 0  stream/tcp  ttl 300`, one line per address, after
    /// `canonical name  host.example` when there is one.
    static func addressInfo(_ result: JSONValue) -> [String]? {
        guard let info = AddressInfoResult(json: result) else { return nil }
        var lines: [String] = []
        if let canonicalName = info.canonicalName {
            lines.append("canonical name  \(canonicalName)")
        }
        let addressWidth = info.addresses.map(\.address.count).max() ?? 0
        for entry in info.addresses {
            var fields = [
                pad(entry.family, to: 5),
                pad(entry.address, to: addressWidth),
                "port \(entry.port)",
            ]
            switch (entry.socketType, entry.protocol) {
            case (let type?, let proto?): fields.append("\(type)/\(proto)")
            case (let type?, nil): fields.append(type)
            case (nil, let proto?): fields.append("-/\(proto)")
            case (nil, nil): break
            }
            if let ttl = entry.ttl { fields.append("ttl \(ttl)") }
            lines.append(fields.joined(separator: "  "))
        }
        return lines
    }

    /// `host  service`.
    static func nameInfo(_ result: JSONValue) -> [String]? {
        guard let info = NameInfo(json: result) else { return nil }
        return ["\(info.host)  \(info.service)"]
    }

    /// dig-like `name  ttl  TYPE  data`, one line per record.
    static func records(_ result: JSONValue) -> [String]? {
        guard let elements = result.objectValue?["records"]?.arrayValue else { return nil }
        let records = elements.compactMap(QueryRecord.init(json:))
        guard records.count == elements.count else { return nil }
        let nameWidth = records.map(\.name.count).max() ?? 0
        let ttlWidth = records.map { String($0.ttl).count }.max() ?? 0
        let typeWidth = records.map(\.type.count).max() ?? 0
        return records.map { record in
            [
                pad(record.name, to: nameWidth),
                pad(String(record.ttl), to: ttlWidth),
                pad(record.type, to: typeWidth),
                record.presentationData,
            ].joined(separator: "  ")
        }
    }

    static func hostEntry(_ result: JSONValue) -> [String]? {
        guard let entry = HostEntry(json: result) else { return nil }
        var lines = ["name     \(entry.name)"]
        if !entry.aliases.isEmpty { lines.append("aliases  \(entry.aliases.joined(separator: " "))") }
        lines.append("family   \(entry.family)")
        lines += entry.addresses.map { "address  \($0)" }
        return lines
    }

    /// `/etc/services` style: `http  80/tcp  www`.
    static func serviceEntry(_ result: JSONValue) -> [String]? {
        guard let entry = ServiceEntry(json: result) else { return nil }
        let port = entry.protocol.map { "\(entry.port)/\($0)" } ?? String(entry.port)
        return [([entry.name, port] + entry.aliases).joined(separator: "  ")]
    }

    /// `/etc/protocols` style: `tcp  6  TCP`.
    static func protocolEntry(_ result: JSONValue) -> [String]? {
        guard let entry = ProtocolEntry(json: result) else { return nil }
        return [([entry.name, String(entry.number)] + entry.aliases).joined(separator: "  ")]
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
        let width = rows.map(\.key.count).max() ?? 0
        return rows.map { "\(pad($0.key, to: width))  \($0.value)" }
    }

    /// The stats in the Prometheus text exposition format (for node_exporter's textfile collector).
    static func prometheus(_ result: JSONValue) -> [String]? {
        guard let rows = flattenedStats(result) else { return nil }
        var lines: [String] = []
        var latency: [(String, Int64)] = []
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

    private static func flattenedStats(_ result: JSONValue) -> [(key: String, value: Int64)]? {
        guard let members = result.objectValue else { return nil }
        var rows: [(key: String, value: Int64)] = []
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            if let nested = value.objectValue {
                for (inner, innerValue) in nested.sorted(by: { $0.key < $1.key }) {
                    if let number = innerValue.intValue { rows.append(("\(key).\(inner)", number)) }
                }
            } else if let number = value.intValue {
                rows.append((key, number))
            }
        }
        return rows
    }

    static func flushCache(_ result: JSONValue) -> [String]? {
        guard let count = result.objectValue?["flushed"]?.intValue else { return nil }
        return ["flushed \(count) cache entries"]
    }

    static func cancelAll(_ result: JSONValue) -> [String]? {
        guard let count = result.objectValue?["cancelled"]?.intValue else { return nil }
        return ["cancelled \(count)"]
    }

    private static func pad(_ text: String, to width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
