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
        guard let elements = result["records"]?.arrayValue else { return nil }
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
    static func stats(_ result: JSONValue) -> [String]? {
        guard let members = result.objectValue else { return nil }
        let width = members.keys.map(\.count).max() ?? 0
        return members.sorted { $0.key < $1.key }.map { "\(pad($0.key, to: width))  \($0.value.jsonText)" }
    }

    static func cancelAll(_ result: JSONValue) -> [String]? {
        guard let count = result["cancelled"]?.intValue else { return nil }
        return ["cancelled \(count)"]
    }

    private static func pad(_ text: String, to width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
