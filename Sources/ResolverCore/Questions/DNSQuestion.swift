/// One DNS question of class IN: a name and a record type — what resolvd's cache is keyed by
/// and what the engine sends upstream (``Resolver/ask(_:owner:completion:)``).
///
/// The name is kept as the caller wrote it (without a trailing dot); ``key`` is its canonical
/// form (lower case), which the cache and the coalescing table compare. It does not search:
/// a search list is expanded into questions before (``Resolver/searchNames(for:)``).
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var type: UInt16
    /// DO and CD, as a DNSSEC-aware client sent them (the DNS stub's): such a question goes
    /// upstream with those bits and its reply comes back as sent (``QuestionOutcome/passedThrough(rcode:answer:authority:)``),
    /// never from or into the cache. Empty for every question of resolvd's own ops.
    public var dnssec: DNSSECBits

    /// DO (RFC 3225) and CD (RFC 4035 §3.2.2) of a question.
    public struct DNSSECBits: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let dnssecOK = DNSSECBits(rawValue: 1)
        public static let checkingDisabled = DNSSECBits(rawValue: 2)
    }

    public init(name: String, type: UInt16, dnssec: DNSSECBits = []) {
        // By UTF-8 byte, as DNS reads a name: `hasSuffix` and `count` walk graphemes (~450
        // instructions a question).
        self.name = name.utf8.last == UInt8(ascii: ".") && name.utf8.count > 1 ? String(name.dropLast()) : name
        self.type = type
        self.dnssec = dnssec
    }

    /// The canonical form of a name: ASCII lower case, no trailing dot (RFC 4343); the root
    /// (`.`) is `""`, as ``DNSMessage`` writes it. A name in that form already is returned as
    /// it is (no copy: most names are asked in lower case).
    public static func canonical(_ name: String) -> String {
        if isCanonical(name) { return name }
        var lowered = name.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }

    /// Whether `name` is in canonical form already: no ASCII capital, no byte past ASCII (whose
    /// lower case Swift would change), no trailing dot.
    static func isCanonical(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.last != UInt8(ascii: ".") else { return false }
            for byte in bytes where byte >= 0x80 || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) { return false }
            return true
        }
    }

    /// Whether two names are the same name: ASCII letters compared without case (RFC 4343),
    /// a trailing dot ignored (so `.` is the root, `""`); no allocation.
    public static func sameName(_ lhs: String, _ rhs: String) -> Bool {
        // Equal strings first: a reply's records that point at the question carry the asker's
        // own string (``DNSMessage/init(parsing:questionName:)``), equal at once.
        if lhs == rhs { return true }
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in
                let aCount = a.last == UInt8(ascii: ".") ? a.count - 1 : a.count
                let bCount = b.last == UInt8(ascii: ".") ? b.count - 1 : b.count
                guard aCount == bCount else { return false }
                for index in 0..<aCount where a[index] != b[index] {
                    let x = a[index] | 0x20, y = b[index] | 0x20
                    guard x == y, x >= UInt8(ascii: "a"), x <= UInt8(ascii: "z") else { return false }
                }
                return true
            }
        }
    }

    /// The record type's mnemonic (`A`, `PTR`), or `TYPE65` for one resolvd has no name for (RFC 3597).
    public var typeName: String { DNSRecordType(number: type)?.rawValue ?? "TYPE\(type)" }

    public var description: String { "\(name) \(typeName)" }

    public static let a: UInt16 = 1
    public static let cname: UInt16 = 5
    public static let ptr: UInt16 = 12
    public static let aaaa: UInt16 = 28
}

/// What one question came to, from the upstream or the cache, TTLs counted down to now:
/// the CNAME links that lead from the name asked to the name that owns the records
/// (`chain`, in order) and those records; "no such name" for the name at the chain's end;
/// "no records of that type"; a failure (the upstreams did not give a usable answer); or a
/// reply resolvd's parser rejected (`malformed`: WSANO_RECOVERY for `query`, which hands
/// the records over as they are, WSATRY_AGAIN for the ops c-ares' own parsers used to read,
/// as they reported ARES_EBADRESP — docs/error-codes.md).
///
/// A negative outcome keeps the zone's SOA record (the authority section's first), whose TTL
/// is how long it may be cached (RFC 2308 §5) and which a DNS reply carries back.
public enum QuestionOutcome: Sendable {
    case records(chain: [DNSRecord], records: [DNSRecord])
    case nameError(chain: [DNSRecord], soa: DNSRecord?)
    case noData(chain: [DNSRecord], soa: DNSRecord?)
    case failure(ResolverError)
    case malformed(ResolverError)
    /// A DO or CD question's reply as the upstream sent it: its RCODE (NOERROR or NXDOMAIN)
    /// and every record of its answer and authority sections, in order — RRSIG, NSEC and the
    /// other DNSSEC types kept opaque (``DNSRecordData/unknown(type:rdata:)``). Never cached.
    case passedThrough(rcode: UInt8, answer: [DNSRecord], authority: [DNSRecord])

    /// What an upstream's reply says about `question`: only the records that the question's
    /// name and its CNAME chain own (``DNSMessage/answers(chainedFrom:)``), nothing else a
    /// reply may carry — except for a question with DNSSEC bits, whose reply is passed
    /// through whole.
    public init(_ message: DNSMessage, for question: DNSQuestion) {
        guard question.dnssec.isEmpty else {
            self = .passedThrough(rcode: message.rcode, answer: message.answers, authority: message.authority)
            return
        }
        let soa = message.authority.first { $0.type == .soa }
        var chain: [DNSRecord] = []
        var owner = question.name
        if question.type != DNSQuestion.cname {
            // Follow the links in chain order, whatever order the reply listed them in.
            for _ in 0..<DNSMessage.maxChainLength {
                guard let link = message.answers.first(where: { $0.type == .cname && DNSQuestion.sameName($0.name, owner) }),
                      case .cname(let target) = link.data else { break }
                chain.append(link)
                owner = target
            }
        }
        // Only the records of the chain's end: nothing else a reply carried answers the question.
        let answersIt = { (record: DNSRecord) in record.data.typeNumber == question.type && DNSQuestion.sameName(record.name, owner) }
        // The usual reply holds nothing else: its array is shared, not filtered into a copy.
        let records = chain.isEmpty && message.answers.allSatisfy(answersIt) ? message.answers : message.answers.filter(answersIt)
        if !records.isEmpty {
            self = .records(chain: chain, records: records)
        } else if message.rcode == 3 {
            self = .nameError(chain: chain, soa: soa)
        } else {
            self = .noData(chain: chain, soa: soa)
        }
    }

    /// The smallest TTL of the chain's links, or nil without a chain.
    public var chainTTL: UInt32? {
        switch self {
        case .records(let chain, _), .nameError(let chain, _), .noData(let chain, _): chain.map(\.ttl).min()
        case .failure, .malformed, .passedThrough: nil
        }
    }

    /// The canonical name: the chain's last target, or nil when the name asked owns the records.
    public var canonicalName: String? {
        switch self {
        case .records(let chain, _), .nameError(let chain, _), .noData(let chain, _):
            guard case .cname(let target)? = chain.last?.data else { return nil }
            return target
        case .failure, .malformed, .passedThrough: return nil
        }
    }

    /// The chain's aliases (the owners of its links), each once, as the upstream wrote them.
    public var aliases: [String] {
        switch self {
        case .records(let chain, _), .nameError(let chain, _), .noData(let chain, _):
            var seen: [String] = []
            for link in chain where !seen.contains(link.name) { seen.append(link.name) }
            return seen
        case .failure, .malformed, .passedThrough: return []
        }
    }

    public var isNegative: Bool {
        switch self {
        case .nameError, .noData: true
        case .records, .failure, .malformed, .passedThrough: false
        }
    }
}

