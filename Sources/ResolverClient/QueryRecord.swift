/// One resource record from a `query` result.
///
/// `QueryRecord` keeps the type-specific members as JSON (``fields``) rather than
/// modelling each record type; ``presentationData`` renders them the way zone files
/// and dig do.
public struct QueryRecord: Hashable, Sendable {
    /// The owner name.
    public var name: String
    /// The type mnemonic, such as `MX`.
    public var type: String
    public var ttl: Int
    /// Every member except `name`, `type` and `ttl`: `address`, `target`, `preference`, ….
    public var fields: JSONObject

    public init(name: String, type: String, ttl: Int, fields: JSONObject) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.fields = fields
    }

    /// Reads one element of a `query` result's `records`; `nil` if `name`, `type` or
    /// `ttl` is missing or of the wrong type.
    public init?(json: JSONValue) {
        guard var fields = json.objectValue,
            let name = fields["name"]?.stringValue,
            let type = fields["type"]?.stringValue,
            let ttl = fields.int("ttl")
        else { return nil }
        for key in ["name", "type", "ttl"] {
            fields[key] = nil
        }
        self.init(name: name, type: type, ttl: ttl, fields: fields)
    }

    /// The record data in zone-file form, such as `10 mail.example.com` for MX or
    /// `"v=spf1" "-all"` for TXT. Types this client does not know, and records missing
    /// a member their type needs, are rendered as their fields' JSON, keys sorted.
    public var presentationData: String {
        func text(_ key: String) -> String? {
            switch fields[key] {
            case .string(let value)?: return value
            case .integer(let value)?: return String(value)
            default: return nil
            }
        }
        func texts(_ keys: String...) -> String? {
            var parts: [String] = []
            for key in keys {
                guard let part = text(key) else { return nil }
                parts.append(part)
            }
            return parts.joined(separator: " ")
        }
        func quoted(_ key: String) -> String? {
            fields[key]?.stringValue.map(Self.quote)
        }

        let rendered: String?
        switch type.uppercased() {
        case "A", "AAAA": rendered = text("address")
        case "CNAME", "NS", "PTR": rendered = text("target")
        case "MX": rendered = texts("preference", "exchange")
        case "SRV": rendered = texts("priority", "weight", "port", "target")
        case "SOA": rendered = texts("mname", "rname", "serial", "refresh", "retry", "expire", "minimum")
        case "TXT": rendered = fields["strings"]?.stringArrayValue.map { $0.map(Self.quote).joined(separator: " ") }
        case "CAA":
            if let critical = fields["critical"]?.boolValue, let tag = text("tag"), let value = quoted("value") {
                rendered = "\(critical ? 128 : 0) \(tag) \(value)"
            } else {
                rendered = nil
            }
        case "NAPTR":
            if let head = texts("order", "preference"), let flags = quoted("flags"), let service = quoted("service"),
                let regexp = quoted("regexp"), let replacement = text("replacement")
            {
                rendered = "\(head) \(flags) \(service) \(regexp) \(replacement)"
            } else {
                rendered = nil
            }
        default: rendered = nil
        }
        return rendered ?? JSONValue.object(fields).withSortedKeys().jsonText
    }

    /// A character-string in zone-file form: quoted, with `"` and `\` escaped and
    /// bytes outside printable ASCII as `\DDD`.
    static func quote(_ string: String) -> String {
        var output = "\""
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output += "\\" + String(UnicodeScalar(byte))
            case 0x20..<0x7F:
                output += String(UnicodeScalar(byte))
            default:
                let digits = String(byte)
                output += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return output + "\""
    }
}
