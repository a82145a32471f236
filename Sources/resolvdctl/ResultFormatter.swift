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
        let typeWidth = records.map(\.typeName.count).max() ?? 0
        return records.map { record in
            [
                pad(record.name, to: nameWidth),
                pad(String(record.ttl), to: ttlWidth),
                pad(record.typeName, to: typeWidth),
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
