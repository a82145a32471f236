/// A DNS record type for the `query` op, by its mnemonic: `A`, `MX`, `SRV`, ….
///
/// Any other raw value can be sent as well (see ``ProtocolWord``).
public struct RecordType: ProtocolWord {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let a = RecordType(rawValue: "A")
    public static let aaaa = RecordType(rawValue: "AAAA")
    public static let cname = RecordType(rawValue: "CNAME")
    public static let mx = RecordType(rawValue: "MX")
    public static let ns = RecordType(rawValue: "NS")
    public static let ptr = RecordType(rawValue: "PTR")
    public static let soa = RecordType(rawValue: "SOA")
    public static let srv = RecordType(rawValue: "SRV")
    public static let txt = RecordType(rawValue: "TXT")
    public static let caa = RecordType(rawValue: "CAA")
    public static let naptr = RecordType(rawValue: "NAPTR")

    /// Every type the `query` op supports.
    public static let allSupported: [RecordType] = [.a, .aaaa, .cname, .mx, .ns, .ptr, .soa, .srv, .txt, .caa, .naptr]
}
