import ResolverTypes

extension DNSRecordData {
    /// The record data in zone-file form, as dig prints it: `10 mail.example.com` for MX,
    /// `"v=spf1" "-all"` for TXT. Names are written as the daemon sent them (no final dot).
    public var presentation: String {
        switch self {
        case .a(let address), .aaaa(let address): address
        case .cname(let target), .ns(let target), .ptr(let target): target
        case .mx(let preference, let exchange): "\(preference) \(exchange)"
        case .srv(let priority, let weight, let port, let target): "\(priority) \(weight) \(port) \(target)"
        case .txt(let strings): strings.map(Self.quote).joined(separator: " ")
        case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
            "\(mname) \(rname) \(serial) \(refresh) \(retry) \(expire) \(minimum)"
        case .caa(let critical, let tag, let value): "\(critical ? 128 : 0) \(tag) \(Self.quote(value))"
        case .naptr(let order, let preference, let flags, let service, let regexp, let replacement):
            "\(order) \(preference) \(Self.quote(flags)) \(Self.quote(service)) \(Self.quote(regexp)) \(replacement)"
        case .unknown: genericPresentation ?? ""
        }
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
