import ResolverCore

/// What a reply says before its records: the query's id, opcode, RD and CD copied, the
/// RCODE, the question to echo (as sent) and whether an OPT goes back.
struct StubReplyHead: Sendable, Equatable {
    var id: UInt16
    var opcode: UInt8
    var recursionDesired: Bool
    var checkingDisabled: Bool
    var rcode: DNSResponseCode
    /// The question section as the query had it, or nil when it could not be read.
    var question: [UInt8]?
    /// Present when the query had an OPT (RFC 6891 §7: no OPT back to a query without one).
    var edns: EDNS?

    struct EDNS: Sendable, Equatable {
        /// DO copied back (RFC 3225 §3).
        var dnssecOK: Bool
    }
}

/// Writes DNS replies for the stub listener (RFC 1035 §4.1): the head, the answer and
/// authority records, and an OPT back when the query had one, advertising
/// ``advertisedUDPSize``. A reply longer than `limit` is cut to its head, question and
/// OPT with TC set (RFC 2181 §9: the client asks again over TCP, where the limit is 65,535).
///
/// Names are written uncompressed except one: an owner name equal (ignoring ASCII case) to
/// the question's is a pointer to it, which keeps typical answers small and each owner
/// in the letter case the client sent. It does not decide what to answer.
enum StubReplyEncoder {
    /// What resolvd advertises in its OPT: the DNS Flag Day 2020 size, which avoids IP
    /// fragmentation on every common path.
    static let advertisedUDPSize: UInt16 = 1232
    /// The most a TCP frame can hold.
    static let tcpLimit = 65_535

    static func encode(_ head: StubReplyHead, answer: [DNSRecord] = [], authority: [DNSRecord] = [], limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        writeHeader(head, counts: (answer.count, authority.count), truncated: false, to: &out)
        if let question = head.question { out += question }
        // The question's name: where it is in `out`, for owner names to point at.
        let questionName = head.question.map { StubQuery.headerLength..<(StubQuery.headerLength + $0.count - 4) }
        for record in answer { append(record, questionName: questionName, to: &out) }
        for record in authority { append(record, questionName: questionName, to: &out) }
        appendOPT(head, to: &out)
        guard out.count > limit else { return out }
        // Too long: the head alone, TC set; the client asks again over TCP.
        out.removeAll(keepingCapacity: true)
        writeHeader(head, counts: (0, 0), truncated: true, to: &out)
        if let question = head.question { out += question }
        appendOPT(head, to: &out)
        return out
    }

    static func writeHeader(_ head: StubReplyHead, counts: (Int, Int), truncated: Bool, to out: inout [UInt8]) {
        append16(head.id, to: &out)
        var flags: UInt16 = 0x8000 | UInt16(head.opcode & 0xF) << 11 | 0x0080  // QR, opcode, RA
        if truncated { flags |= 0x0200 }
        if head.recursionDesired { flags |= 0x0100 }
        if head.checkingDisabled { flags |= 0x0010 }
        flags |= head.rcode.rawValue & 0xF
        append16(flags, to: &out)
        append16(head.question == nil ? 0 : 1, to: &out)
        append16(UInt16(counts.0), to: &out)
        append16(UInt16(counts.1), to: &out)
        append16(head.edns == nil ? 0 : 1, to: &out)
    }

    static func appendOPT(_ head: StubReplyHead, to out: inout [UInt8]) {
        guard let edns = head.edns else { return }
        out.append(0)  // the root
        append16(DNSWireType.opt, to: &out)
        append16(advertisedUDPSize, to: &out)
        out.append(UInt8(head.rcode.rawValue >> 4))  // the extended RCODE's upper bits
        out.append(0)  // version 0
        append16(edns.dnssecOK ? 0x8000 : 0, to: &out)
        append16(0, to: &out)  // no options
    }

    /// Written straight into `out`: the owner name first, then replaced by a pointer to the
    /// question when it is the question's name.
    private static func append(_ record: DNSRecord, questionName: Range<Int>?, to out: inout [UInt8]) {
        let nameStart = out.count
        DNSRecord.appendName(record.name, to: &out)
        if let questionName, equalIgnoringASCIICase(out[nameStart...], out[questionName]) {
            out.removeSubrange(nameStart...)
            append16(0xC000 | UInt16(StubQuery.headerLength), to: &out)
        }
        append16(record.data.typeNumber, to: &out)
        append16(DNSWireType.classIN, to: &out)
        append32(record.ttl, to: &out)
        record.data.appendWireFormat(to: &out)
    }

    /// A name as text in wire form (``DNSRecord/appendName(_:to:)``).
    static func wireName(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        DNSRecord.appendName(text, to: &out)
        return out
    }

    static func equalIgnoringASCIICase(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (a, b) in zip(lhs, rhs) where lowercase(a) != lowercase(b) { return false }
        return true
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private static func append16(_ value: UInt16, to out: inout [UInt8]) { DNSRecord.append16(value, to: &out) }
    private static func append32(_ value: UInt32, to out: inout [UInt8]) { DNSRecord.append32(value, to: &out) }
}
