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

    /// Its type, when resolvd parses that type (nil for ``DNSRecordData/unknown(type:rdata:)``).
    public var type: DNSRecordType? { data.type }

    /// Its type's mnemonic, or RFC 3597's `TYPE65` for a type resolvd does not parse.
    public var typeName: String { type?.rawValue ?? "TYPE\(data.typeNumber)" }
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
    /// A type resolvd does not parse, its RDATA kept as the upstream sent it (RFC 3597 §2):
    /// written back byte for byte by the DNS stub. Only types whose RDATA holds no name that
    /// could be compressed (``isKeptOpaque(_:)``).
    case unknown(type: UInt16, rdata: [UInt8])

    /// The RR type number on the wire.
    public var typeNumber: UInt16 {
        if case .unknown(let type, _) = self { return type }
        return type!.number
    }

    /// RFC 3597 §5's generic text form of RDATA, `\# 3 0a0b0c`, for a ``unknown(type:rdata:)``;
    /// nil for the parsed types, which have their own.
    public var genericPresentation: String? {
        guard case .unknown(_, let rdata) = self else { return nil }
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(rdata.count * 2)
        for byte in rdata {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0xF)])
        }
        return "\\# \(rdata.count)" + (rdata.isEmpty ? "" : " " + String(decoding: hex, as: UTF8.self))
    }

    /// Reads RFC 3597 §5's generic form back (``genericPresentation``) as a record of type
    /// `number`; nil when the text is not `\# LENGTH HEX` with LENGTH bytes of hex.
    public init?(type number: UInt16, genericPresentation text: String) {
        let parts = text.split(separator: " ")
        guard parts.count >= 2, parts[0] == "\\#", let length = Int(parts[1]), length >= 0, length <= 65_535 else { return nil }
        let hex = Array(parts.dropFirst(2).joined().utf8)
        guard hex.count == 2 * length else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var rdata: [UInt8] = []
        rdata.reserveCapacity(length)
        var index = 0
        while index < hex.count {
            guard let high = value(hex[index]), let low = value(hex[index + 1]) else { return nil }
            rdata.append(high << 4 | low)
            index += 2
        }
        self = .unknown(type: number, rdata: rdata)
    }

    /// Whether records of type `number` are kept as opaque RDATA when resolvd has no parser
    /// for them: every type but the RFC 1035 types whose RDATA may hold compressed names
    /// (MD, MF, MB, MG, MR, MINFO), those RFC 3597 §4 asks to decompress (RP, AFSDB, RT,
    /// SIG, PX, NXT), OPT, and the meta and question-only types (TKEY, TSIG, IXFR, AXFR,
    /// MAILB, MAILA, ANY): their bytes cannot be copied out of one message into another.
    public static func isKeptOpaque(_ number: UInt16) -> Bool {
        switch number {
        case 3, 4, 7, 8, 9, 14, 17, 18, 21, 24, 26, 30, 41, 249...255: false
        default: DNSRecordType(number: number) == nil
        }
    }

    public var type: DNSRecordType? {
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
        case .unknown: nil
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
