#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A DNS response message (RFC 1035 §4), parsed from the bytes c-ares hands to an
/// `ares_query` callback.
///
/// Hand-written rather than built on c-ares' `ares_parse_*_reply`, because those (in
/// c-ares 1.18) drop the TTL of most record types, and because this runs once per answer.
/// The parser reads straight from the buffer with index arithmetic; the only allocations
/// are the two record arrays and the output strings (names of up to 15 characters
/// fit in a small `String` and allocate nothing).
///
/// What is parsed:
/// - The header: ``id``, ``rcode`` (the 4-bit header RCODE; an EDNS extended RCODE is not
///   looked at), ``isTruncated``, ``isResponse``, ``isAuthoritative``.
/// - The question section is validated and skipped.
/// - The answer and authority sections, into ``answers`` and ``authority``. Records whose type
///   ``DNSRecordType`` does not list are skipped (their RDATA is not looked into).
/// - The additional section is not read (bytes after the authority section are ignored).
///
/// Names:
/// - Kept in the case they were received in, without the trailing dot.
/// - The root name is the empty string `""` (so a null MX, RFC 7505, has exchange `""`).
/// - Bytes inside a label are escaped the way `dig` (BIND's `dns_name_totext`) prints them:
///   `.` `\` `"` `(` `)` `;` `@` `$` become `\.` `\\` and so on; bytes outside `0x21...0x7E`
///   (including space) become `\DDD`, three decimal digits. A name is therefore always ASCII,
///   at most 1,020 characters long (255 wire bytes, 4 characters each at worst).
/// - Compression pointers are followed with strict checks: every pointer must point strictly
///   before the start of the run of labels it ends (so targets strictly decrease and no loop is
///   possible), at most 128 pointers per name, and the name's wire length (length bytes, labels
///   and the final zero) must be at most 255. Label length bytes `0x40...0xBF` (the obsolete
///   extended label types) are rejected as ``ParseError/labelTooLong``.
///
/// TTLs: as RFC 2181 §8 asks, a TTL with the most significant bit set is read as 0.
public struct DNSMessage: Sendable {
    /// The message ID of the header.
    public var id: UInt16
    /// The 4-bit RCODE of the header: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...
    public var rcode: UInt8
    /// TC: the message was truncated by the server.
    public var isTruncated: Bool
    /// QR: the message is a response (as opposed to a query).
    public var isResponse: Bool
    /// AA: the answer is authoritative.
    public var isAuthoritative: Bool
    /// The answer section, in order, without the records of types ``DNSRecordType`` does not list.
    public var answers: [DNSRecord]
    /// The authority section, in order, without the records of types ``DNSRecordType`` does not list.
    public var authority: [DNSRecord]

    public init(
        id: UInt16,
        rcode: UInt8,
        isTruncated: Bool = false,
        isResponse: Bool = true,
        isAuthoritative: Bool = false,
        answers: [DNSRecord] = [],
        authority: [DNSRecord] = []
    ) {
        self.id = id
        self.rcode = rcode
        self.isTruncated = isTruncated
        self.isResponse = isResponse
        self.isAuthoritative = isAuthoritative
        self.answers = answers
        self.authority = authority
    }

    /// How long a negative answer (NXDOMAIN or NODATA) may be cached, per RFC 2308 §5:
    /// the smaller of the TTL and the MINIMUM field of the first SOA record of the authority
    /// section. `nil` when the authority section has no SOA.
    public var negativeTTL: UInt32? {
        for record in authority {
            if case .soa(_, _, _, _, _, _, let minimum) = record.data {
                return min(record.ttl, minimum)
            }
        }
        return nil
    }

    /// Parses a whole DNS message.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        self = try DNSMessageParser(bytes).parse()
    }

    /// The same, for a reply to a question of `questionName` (without a trailing dot): the
    /// records whose owner points at a question written exactly so take that string, which
    /// spares building the same name again for each (an allocation and a copy each).
    init(parsing bytes: UnsafeRawBufferPointer, questionName: String) throws(ParseError) {
        self = try DNSMessageParser(bytes, questionName: questionName).parse()
    }

    /// Parses a whole DNS message.
    public init(parsing bytes: [UInt8]) throws(ParseError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ParseError) -> DNSMessage in try DNSMessage(parsing: buffer) }
        }
        self = try result.get()
    }

    /// Parses the answer of an `ares_query` callback (`abuf`, `alen`). A `nil` buffer or a
    /// non-positive length is ``ParseError/truncated``.
    public init(parsing abuf: UnsafePointer<UInt8>?, length: Int) throws(ParseError) {
        guard let abuf, length > 0 else { throw ParseError.truncated.at(0) }
        try self.init(parsing: UnsafeRawBufferPointer(start: abuf, count: length))
    }
}

// MARK: - Parse errors

extension DNSMessage {
    /// Why a message could not be parsed.
    ///
    /// Like SwiftNIO's errors, a struct with static members rather than an enum, so new kinds
    /// can be added without breaking callers. Two errors are equal when they are of the same
    /// kind; ``offset`` (where in the message it was noticed) is not compared.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        private enum Code: Hashable, Sendable {
            case truncated
            case forwardPointer
            case pointerLoop
            case labelTooLong
            case nameTooLong
            case rdataLengthMismatch
        }

        private let code: Code
        /// The byte offset in the message where the problem was noticed, when known.
        public let offset: Int?

        private init(_ code: Code, offset: Int? = nil) {
            self.code = code
            self.offset = offset
        }

        /// The same error, noticed at `offset`.
        func at(_ offset: Int) -> ParseError { ParseError(code, offset: offset) }

        /// The message ends before the header, a section or a record does.
        public static let truncated = ParseError(.truncated)
        /// A compression pointer points at or after itself.
        public static let forwardPointer = ParseError(.forwardPointer)
        /// A compression pointer points back into labels the name already read (a loop, or the
        /// start of one), or a name follows more than 128 pointers.
        public static let pointerLoop = ParseError(.pointerLoop)
        /// A label length byte is 64...191: neither a label of at most 63 bytes nor a pointer.
        public static let labelTooLong = ParseError(.labelTooLong)
        /// A name is longer than 255 bytes in wire format.
        public static let nameTooLong = ParseError(.nameTooLong)
        /// A record's RDATA is shorter or longer than its RDLENGTH says, or something inside the
        /// RDATA (a name, a character-string, a CAA tag) runs past it.
        public static let rdataLengthMismatch = ParseError(.rdataLengthMismatch)

        public static func == (lhs: ParseError, rhs: ParseError) -> Bool { lhs.code == rhs.code }
        public func hash(into hasher: inout Hasher) { hasher.combine(code) }

        public var description: String {
            let what: String
            switch code {
            case .truncated: what = "the message is truncated"
            case .forwardPointer: what = "a compression pointer does not point backwards"
            case .pointerLoop: what = "compression pointers loop"
            case .labelTooLong: what = "a label is longer than 63 bytes (or uses an unknown label type)"
            case .nameTooLong: what = "a name is longer than 255 bytes"
            case .rdataLengthMismatch: what = "a record's data does not match its RDLENGTH"
            }
            if let offset { return "DNS parse error: \(what) (at byte \(offset))" }
            return "DNS parse error: \(what)"
        }
    }
}

// MARK: - The parser

/// Reads a message from a raw buffer. All reads are bounds-checked by the callers before
/// they index `bytes`.
struct DNSMessageParser {
    typealias ParseError = DNSMessage.ParseError

    let bytes: UnsafeRawBufferPointer
    let count: Int
    /// The name the caller asked about, if it said (``DNSMessage/init(parsing:questionName:)``).
    let questionName: String?

    init(_ bytes: UnsafeRawBufferPointer, questionName: String? = nil) {
        self.bytes = bytes
        self.count = bytes.count
        self.questionName = questionName
    }

    /// Where the first question's name starts: an owner name that is a pointer here is it.
    static let firstQuestionName = headerLength

    static let headerLength = 12
    /// Owner name (at least 1 byte) + type, class, TTL, RDLENGTH.
    static let minimumRecordLength = 11

    @inline(__always) func u16(_ i: Int) -> UInt16 {
        UInt16(bytes[i]) &<< 8 | UInt16(bytes[i &+ 1])
    }

    @inline(__always) func u32(_ i: Int) -> UInt32 {
        UInt32(bytes[i]) &<< 24 | UInt32(bytes[i &+ 1]) &<< 16 | UInt32(bytes[i &+ 2]) &<< 8 | UInt32(bytes[i &+ 3])
    }

    func parse() throws(ParseError) -> DNSMessage {
        guard count >= Self.headerLength else { throw ParseError.truncated.at(count) }
        let flags = u16(2)
        let questionCount = Int(u16(4))
        let answerCount = Int(u16(6))
        let authorityCount = Int(u16(8))

        var position = Self.headerLength
        // The first question's name, when it is written exactly as the caller's.
        var knownName: String?
        for index in 0..<questionCount {
            let name = try scanName(at: position, limit: count)
            if index == 0, let questionName, spells(name, questionName) { knownName = questionName }
            position = name.end
            guard count - position >= 4 else { throw ParseError.truncated.at(position) }
            position += 4
        }

        var message = DNSMessage(
            id: u16(0),
            rcode: UInt8(truncatingIfNeeded: flags & 0x000F),
            isTruncated: flags & 0x0200 != 0,
            isResponse: flags & 0x8000 != 0,
            isAuthoritative: flags & 0x0400 != 0
        )
        message.answers = try records(count: answerCount, at: &position, knownName: knownName)
        message.authority = try records(count: authorityCount, at: &position, knownName: knownName)
        return message
    }

    /// Whether `scanned` (a name of labels, no pointer) is `text` byte for byte.
    private func spells(_ scanned: ScannedName, _ text: String) -> Bool {
        guard !scanned.needsEscaping, scanned.textLength == text.utf8.count else { return false }
        var text = text
        return text.withUTF8 { expected in
            var position = scanned.start
            var out = 0
            while true {
                let length = Int(bytes[position])
                guard length != 0 else { return out == expected.count }
                guard length & 0xC0 == 0 else { return false }
                if out > 0 {
                    guard out < expected.count, expected[out] == UInt8(ascii: ".") else { return false }
                    out += 1
                }
                // A label at a time: byte by byte this was ~15 instructions a byte.
                guard out + length <= expected.count,
                      memcmp(bytes.baseAddress! + position + 1, expected.baseAddress! + out, length) == 0 else { return false }
                out += length
                position += 1 + length
            }
        }
    }

    private func records(count recordCount: Int, at position: inout Int, knownName: String?) throws(ParseError) -> [DNSRecord] {
        guard recordCount > 0 else { return [] }
        var records: [DNSRecord] = []
        // A bogus count must not make us reserve much more than the message can hold.
        records.reserveCapacity(min(recordCount, (count - position) / Self.minimumRecordLength + 1))
        for _ in 0..<recordCount {
            if let record = try record(at: &position, knownName: knownName) {
                records.append(record)
            }
        }
        return records
    }

    /// Reads one resource record starting at `position` and moves `position` past it.
    /// Returns `nil` for a record of a type that is neither parsed nor kept opaque
    /// (``DNSRecordData/isKeptOpaque(_:)``).
    private func record(at position: inout Int, knownName: String?) throws(ParseError) -> DNSRecord? {
        let owner = try scanName(at: position, limit: count)
        var p = owner.end
        guard count - p >= 10 else { throw ParseError.truncated.at(p) }
        let type = u16(p)
        var ttl = u32(p + 4)
        let rdlength = Int(u16(p + 8))
        p += 10
        guard count - p >= rdlength else { throw ParseError.truncated.at(p) }
        let rdataEnd = p + rdlength
        position = rdataEnd

        guard let data = try rdata(type: type, from: p, end: rdataEnd) else { return nil }
        if ttl & 0x8000_0000 != 0 { ttl = 0 } // RFC 2181 §8
        // An owner that is a pointer to the first question: its name, when known, not built again.
        let pointsAtQuestion = bytes[owner.start] == 0xC0 && bytes[owner.start + 1] == UInt8(Self.firstQuestionName)
        let name = pointsAtQuestion ? knownName ?? buildName(owner) : buildName(owner)
        return DNSRecord(name: name, ttl: ttl, data: data)
    }

    // MARK: RDATA

    /// Parses the RDATA in `start..<end` of a record of type `type`; the bytes as they are for
    /// a type kept opaque; `nil` for any other.
    /// The RDATA must be consumed exactly.
    private func rdata(type: UInt16, from start: Int, end: Int) throws(ParseError) -> DNSRecordData? {
        let length = end - start
        switch type {
        case 1: // A
            guard length == 4 else { throw ParseError.rdataLengthMismatch.at(start) }
            return .a(address: ipv4(at: start))

        case 28: // AAAA
            guard length == 16 else { throw ParseError.rdataLengthMismatch.at(start) }
            return .aaaa(address: ipv6(at: start))

        case 5, 2, 12: // CNAME, NS, PTR
            let target = try name(from: start, end: end, last: true)
            switch type {
            case 5: return .cname(target: target.text)
            case 2: return .ns(target: target.text)
            default: return .ptr(target: target.text)
            }

        case 15: // MX
            guard length >= 2 else { throw ParseError.rdataLengthMismatch.at(start) }
            let exchange = try name(from: start + 2, end: end, last: true)
            return .mx(preference: u16(start), exchange: exchange.text)

        case 33: // SRV
            guard length >= 6 else { throw ParseError.rdataLengthMismatch.at(start) }
            let target = try name(from: start + 6, end: end, last: true)
            return .srv(priority: u16(start), weight: u16(start + 2), port: u16(start + 4), target: target.text)

        case 16: // TXT
            var strings: [String] = []
            var p = start
            while p < end {
                let string = try characterString(at: p, end: end)
                strings.append(string.text)
                p = string.next
            }
            return .txt(strings: strings)

        case 6: // SOA
            let mname = try name(from: start, end: end, last: false)
            let rname = try name(from: mname.next, end: end, last: false)
            let p = rname.next
            guard end - p == 20 else { throw ParseError.rdataLengthMismatch.at(p) }
            return .soa(
                mname: mname.text, rname: rname.text,
                serial: u32(p), refresh: u32(p + 4), retry: u32(p + 8), expire: u32(p + 12), minimum: u32(p + 16)
            )

        case 257: // CAA
            guard length >= 2 else { throw ParseError.rdataLengthMismatch.at(start) }
            let flags = bytes[start]
            let tagLength = Int(bytes[start + 1])
            let tagStart = start + 2
            guard end - tagStart >= tagLength else { throw ParseError.rdataLengthMismatch.at(start + 1) }
            return .caa(
                critical: flags & 0x80 != 0,
                tag: text(tagStart, tagStart + tagLength),
                value: text(tagStart + tagLength, end)
            )

        case 35: // NAPTR
            guard length >= 4 else { throw ParseError.rdataLengthMismatch.at(start) }
            let flags = try characterString(at: start + 4, end: end)
            let service = try characterString(at: flags.next, end: end)
            let regexp = try characterString(at: service.next, end: end)
            let replacement = try name(from: regexp.next, end: end, last: true)
            return .naptr(
                order: u16(start), preference: u16(start + 2),
                flags: flags.text, service: service.text, regexp: regexp.text, replacement: replacement.text
            )

        default:
            guard DNSRecordData.isKeptOpaque(type) else { return nil }
            return .unknown(type: type, rdata: Array(UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
        }
    }

    /// A name inside RDATA: it must start and (before any pointer) stay within `start..<end`;
    /// when `last`, it must also end exactly at `end`.
    private func name(from start: Int, end: Int, last: Bool) throws(ParseError) -> (text: String, next: Int) {
        let scanned = try scanName(at: start, limit: end)
        if last && scanned.end != end { throw ParseError.rdataLengthMismatch.at(scanned.end) }
        return (buildName(scanned), scanned.end)
    }

    /// A <character-string> (a length byte and that many bytes) that must end by `end`.
    private func characterString(at start: Int, end: Int) throws(ParseError) -> (text: String, next: Int) {
        guard start < end else { throw ParseError.rdataLengthMismatch.at(start) }
        let length = Int(bytes[start])
        guard end - (start + 1) >= length else { throw ParseError.rdataLengthMismatch.at(start) }
        return (text(start + 1, start + 1 + length), start + 1 + length)
    }

    /// `bytes[start..<end]` decoded as UTF-8, invalid sequences replaced by U+FFFD.
    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// Four bytes as a dotted quad (a small string: no allocation), by ``IPAddress``'s formatter.
    private func ipv4(at start: Int) -> String {
        IPAddress.text(ipv4: UnsafeRawBufferPointer(rebasing: bytes[start..<start + 4]))
    }

    /// Sixteen bytes as RFC 5952 text, by ``IPAddress``'s formatter (glibc's `inet_ntop`
    /// formats each group with `sprintf`: ~650 instructions per address).
    private func ipv6(at start: Int) -> String {
        IPAddress.text(ipv6: UnsafeRawBufferPointer(rebasing: bytes[start..<start + 16]))
    }
}
