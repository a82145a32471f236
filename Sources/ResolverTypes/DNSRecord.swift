/// The record types a DnsQueryEx-style ``Resolver/query(_:type:owner:timeout:completion:)`` accepts.
public enum DNSRecordType: String, Hashable, Sendable, CaseIterable {
    case a = "A"
    case aaaa = "AAAA"
    case cname = "CNAME"
    case mx = "MX"
    case ns = "NS"
    case ptr = "PTR"
    case soa = "SOA"
    case srv = "SRV"
    case txt = "TXT"
    case caa = "CAA"
    case naptr = "NAPTR"

    /// The RR type number on the wire.
    public var number: UInt16 {
        switch self {
        case .a: 1
        case .ns: 2
        case .cname: 5
        case .soa: 6
        case .ptr: 12
        case .mx: 15
        case .txt: 16
        case .aaaa: 28
        case .srv: 33
        case .naptr: 35
        case .caa: 257
        }
    }

    public init?(number: UInt16) {
        guard let type = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = type
    }
}

/// One resource record of an answer, parsed, with its TTL.
public struct DNSRecord: Hashable, Sendable {
    /// The owner name, without the trailing dot ("www.example.test").
    public var name: String
    /// The time to live, in seconds, as the answer carried it.
    public var ttl: UInt32
    /// The typed data.
    public var data: DNSRecordData

    public init(name: String, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.ttl = ttl
        self.data = data
    }

    public var type: DNSRecordType { data.type }
}

/// The typed RDATA of a ``DNSRecord``. Names are written without the trailing dot.
public enum DNSRecordData: Hashable, Sendable {
    /// A: an IPv4 address as text.
    case a(address: String)
    /// AAAA: an IPv6 address as text.
    case aaaa(address: String)
    case cname(target: String)
    case ns(target: String)
    case ptr(target: String)
    case mx(preference: UInt16, exchange: String)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    /// TXT: the character-strings, each decoded as UTF-8 (invalid bytes replaced).
    case txt(strings: [String])
    case soa(mname: String, rname: String, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32)
    case caa(critical: Bool, tag: String, value: String)
    case naptr(order: UInt16, preference: UInt16, flags: String, service: String, regexp: String, replacement: String)

    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ns: .ns
        case .ptr: .ptr
        case .mx: .mx
        case .srv: .srv
        case .txt: .txt
        case .soa: .soa
        case .caa: .caa
        case .naptr: .naptr
        }
    }
}

/// DnsQueryEx's answer: every answer-section record of a supported type, in the order
/// the upstream sent them (a CNAME chain comes before the records it leads to).
public struct QueryAnswer: Hashable, Sendable {
    public var records: [DNSRecord]
    /// For a negative answer's cache: min(SOA TTL, SOA minimum) from the authority section.
    public var negativeTTL: UInt32?

    public init(records: [DNSRecord], negativeTTL: UInt32? = nil) {
        self.records = records
        self.negativeTTL = negativeTTL
    }
}
