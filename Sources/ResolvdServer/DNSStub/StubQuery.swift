/// One DNS query as the stub listener received it (RFC 1035 §4.1, RFC 6891 for EDNS0),
/// parsed from a datagram or a TCP frame without sockets, allocations kept to the question.
///
/// What it checks: a 12-byte header with QR clear; OPCODE QUERY; exactly one question
/// whose name is well formed (labels of at most 63 bytes, at most 255 bytes in all, no
/// compression pointer: the question has nothing before it to point at, and a pointer in a
/// later record's name — a TSIG key's, say — is read as malformed too); no answer or authority records
/// (a query carries none); at most one OPT record in the additional section, owned by the
/// root, with version 0. A failed check becomes a ``StubQuery/Rejection`` that says which
/// DNS RCODE answers it (FORMERR, NOTIMP, REFUSED, BADVERS) — or that nothing may be
/// answered at all (fewer than 12 bytes: there is no id to echo; QR set: a response, which
/// a stub answering it could ping-pong with forever).
///
/// What it does not do: look at records after the OPT (TSIG, cookies are accepted and
/// ignored), validate EDNS options, or decide how to answer a well-formed question.
struct StubQuery: Sendable, Equatable {
    var id: UInt16
    var recursionDesired: Bool
    /// CD (RFC 4035): the client checks DNSSEC itself.
    var checkingDisabled: Bool
    /// The question section exactly as sent (name, type, class), letter case included.
    var question: [UInt8]
    /// The question name in wire form, as sent (the first bytes of ``question``).
    var nameWire: ArraySlice<UInt8> { question[question.startIndex..<(question.endIndex - 4)] }
    /// The question name as text, without the trailing dot; bytes outside letters, digits,
    /// `-` and `_` escaped as `dig` prints them (`\.`, `\DDD`). The root is "".
    var name: String
    var type: UInt16
    var qclass: UInt16
    /// The query's OPT record, if it had one.
    var edns: EDNS?

    struct EDNS: Sendable, Equatable {
        /// The requestor's UDP payload size (RFC 6891 §6.2.5: values below 512 mean 512).
        var udpSize: Int
        var version: UInt8
        /// DO (RFC 3225): the client wants DNSSEC records.
        var dnssecOK: Bool
    }

    /// Why a query cannot be asked, and what answers it.
    enum Rejection: Error, Equatable {
        /// Not answered: too short for an id, or a response.
        case ignore
        /// Answered with `rcode`, echoing what could be read: the question if it parsed,
        /// and an OPT when the query had one.
        case answer(StubReplyHead)
    }

    static let headerLength = 12

    /// The largest reply a UDP client may be sent: 512 without EDNS, else what it
    /// advertises (512 at least), never more than resolvd's own advertised size.
    func udpReplyLimit(serverSize: Int) -> Int {
        guard let edns else { return 512 }
        return max(512, min(edns.udpSize, serverSize))
    }

    /// The head of the reply to this query, with `rcode`.
    func replyHead(_ rcode: DNSResponseCode) -> StubReplyHead {
        StubReplyHead(
            id: id, opcode: 0, recursionDesired: recursionDesired, checkingDisabled: checkingDisabled, rcode: rcode,
            question: question, edns: edns.map { StubReplyHead.EDNS(dnssecOK: $0.dnssecOK) })
    }
}

/// DNS RCODEs the stub answers with (RFC 1035 §4.1.1, RFC 6891 §9 for BADVERS, an
/// extended code that needs an OPT record to carry its upper bits).
enum DNSResponseCode: UInt16, Sendable, Equatable {
    case noError = 0
    case formatError = 1
    case serverFailure = 2
    case nameError = 3
    case notImplemented = 4
    case refused = 5
    case badVersion = 16
}

/// DNS record types and classes the stub's rules name.
enum DNSWireType {
    static let opt: UInt16 = 41
    static let ixfr: UInt16 = 251
    static let axfr: UInt16 = 252
    static let classIN: UInt16 = 1
}

extension StubQuery {
    /// Parses one query message.
    init(parsing bytes: some Collection<UInt8>) throws(Rejection) {
        let message = Array(bytes)
        guard message.count >= Self.headerLength else { throw .ignore }
        var reader = WireReader(message)
        let id = reader.u16(at: 0)
        let flags = reader.u16(at: 2)
        guard flags & 0x8000 == 0 else { throw .ignore }  // QR: a response
        let opcode = UInt8((flags >> 11) & 0xF)
        let recursionDesired = flags & 0x0100 != 0
        let checkingDisabled = flags & 0x0010 != 0
        let counts = (reader.u16(at: 4), reader.u16(at: 6), reader.u16(at: 8), reader.u16(at: 10))
        func reject(_ rcode: DNSResponseCode, question: [UInt8]? = nil, edns: EDNS? = nil) -> Rejection {
            .answer(StubReplyHead(
                id: id, opcode: opcode, recursionDesired: recursionDesired, checkingDisabled: checkingDisabled, rcode: rcode,
                question: question, edns: edns.map { StubReplyHead.EDNS(dnssecOK: $0.dnssecOK) }))
        }
        guard opcode == 0 else { throw reject(.notImplemented) }
        guard counts.0 == 1 else { throw reject(.formatError) }
        reader.offset = Self.headerLength
        guard let name = reader.name(), let type = reader.u16(), let qclass = reader.u16() else { throw reject(.formatError) }
        let question = Array(message[Self.headerLength..<reader.offset])
        // A query has no answers or authority; records there make it malformed.
        guard counts.1 == 0, counts.2 == 0 else { throw reject(.formatError, question: question) }
        var edns: EDNS?
        for _ in 0..<counts.3 {
            let ownerStart = reader.offset
            guard reader.name() != nil, let rrType = reader.u16(), let rrClass = reader.u16(), let ttl = reader.u32(),
                  let length = reader.u16(), reader.skip(Int(length))
            else { throw reject(.formatError, question: question, edns: edns) }
            guard rrType == DNSWireType.opt else { continue }
            // RFC 6891 §6.1.1: one OPT, owned by the root.
            guard edns == nil, reader.offset - Int(length) - 10 == ownerStart + 1 else {
                throw reject(.formatError, question: question)
            }
            edns = EDNS(udpSize: max(512, Int(rrClass)), version: UInt8(ttl >> 16 & 0xFF), dnssecOK: ttl & 0x8000 != 0)
        }
        guard reader.offset == message.count else { throw reject(.formatError, question: question, edns: edns) }
        if let edns, edns.version != 0 { throw reject(.badVersion, question: question, edns: edns) }
        if type == DNSWireType.axfr || type == DNSWireType.ixfr { throw reject(.refused, question: question, edns: edns) }
        self.init(
            id: id, recursionDesired: recursionDesired, checkingDisabled: checkingDisabled, question: question, name: name,
            type: type, qclass: qclass, edns: edns)
    }
}

/// Reads big-endian integers and uncompressed-or-compressed names from a message, never
/// past its end: every read returns nil rather than trap.
struct WireReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func u16(at position: Int) -> UInt16 {
        UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func u16() -> UInt16? {
        guard offset + 2 <= bytes.count else { return nil }
        defer { offset += 2 }
        return u16(at: offset)
    }

    mutating func u32() -> UInt32? {
        guard let high = u16(), let low = u16() else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    mutating func skip(_ count: Int) -> Bool {
        guard offset + count <= bytes.count else { return false }
        offset += count
        return true
    }

    /// An uncompressed name (a query's names have nothing before them to point at), as
    /// text; nil when malformed. Measured first, then written as UTF-8 into one string of
    /// its size: built scalar by scalar it was a twentieth of the stub's cached path (perf).
    mutating func name() -> String? {
        var end = offset
        var textLength = 0
        while true {
            guard end < bytes.count else { return nil }
            let length = Int(bytes[end])
            guard length <= 63, end + 1 + length - offset <= 255, end + 1 + length <= bytes.count else { return nil }
            if length == 0 { break }
            if textLength > 0 { textLength += 1 }
            for byte in bytes[(end + 1)..<(end + 1 + length)] { textLength += Self.escapedLength(byte) }
            end += 1 + length
        }
        let bytes = self.bytes
        let start = offset
        offset = end + 1
        return String(unsafeUninitializedCapacity: textLength) { out in
            var position = start
            var count = 0
            while position < end {
                let length = Int(bytes[position])
                if count > 0 {
                    out[count] = UInt8(ascii: ".")
                    count += 1
                }
                for byte in bytes[(position + 1)..<(position + 1 + length)] { count = Self.writeEscaped(byte, to: out, at: count) }
                position += 1 + length
            }
            return count
        }
    }

    /// The characters `writeEscaped` writes for `byte`.
    static func escapedLength(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
            2
        case 0x21...0x7E: 1
        default: 4
        }
    }

    /// One byte of a label as `dig` prints it, written at `index`; the index after it.
    static func writeEscaped(_ byte: UInt8, to out: UnsafeMutableBufferPointer<UInt8>, at index: Int) -> Int {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
            out[index] = UInt8(ascii: "\\")
            out[index + 1] = byte
            return index + 2
        case 0x21...0x7E:
            out[index] = byte
            return index + 1
        default:
            out[index] = UInt8(ascii: "\\")
            out[index + 1] = UInt8(ascii: "0") + byte / 100
            out[index + 2] = UInt8(ascii: "0") + byte / 10 % 10
            out[index + 3] = UInt8(ascii: "0") + byte % 10
            return index + 4
        }
    }
}
