/// Just enough DNS wire format for the fixtures: building a query, finding the end of the
/// question section, and building an empty reply with a chosen rcode. `query` is public
/// for the benchmark, which times the upstream's own round trip with it.
public enum DNSWire {
    public static func query(id: UInt16, name: String, type: UInt16, recursionDesired: Bool, ednsPayloadSize: UInt16?) throws -> [UInt8] {
        var msg: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), recursionDesired ? 0x01 : 0x00, 0x00,
                            0, 1, 0, 0, 0, 0, 0, ednsPayloadSize == nil ? 0 : 1]
        for label in name.split(separator: ".", omittingEmptySubsequences: true) {
            let bytes = Array(label.utf8)
            guard !bytes.isEmpty, bytes.count <= 63 else { throw FixtureError("bad label in \(name)") }
            msg.append(UInt8(bytes.count))
            msg += bytes
        }
        msg.append(0)
        msg += [UInt8(type >> 8), UInt8(type & 0xff), 0, 1]  // QTYPE, QCLASS IN
        if let size = ednsPayloadSize {
            // OPT: root name, type 41, class = payload size, TTL 0, RDLENGTH 0.
            msg += [0, 0, 41, UInt8(size >> 8), UInt8(size & 0xff), 0, 0, 0, 0, 0, 0]
        }
        return msg
    }

    /// `name` in wire format, uncompressed: length-prefixed labels and the root's 0.
    static func labels(_ name: String) -> [UInt8] {
        name.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    /// The offset just past the (possibly compressed) name starting at `offset`.
    static func skipName(_ msg: [UInt8], at offset: Int) -> Int? {
        var i = offset
        while i < msg.count {
            let len = msg[i]
            if len == 0 { return i + 1 }
            if len & 0xc0 == 0xc0 { return i + 2 <= msg.count ? i + 2 : nil }
            if len & 0xc0 != 0 { return nil }
            i += 1 + Int(len)
        }
        return nil
    }

    /// The first question's name, dotted and in lower case ("" for the root), or nil when
    /// it is compressed or malformed (a query's never is).
    static func questionName(_ msg: [UInt8]) -> String? {
        guard msg.count > 12 else { return nil }
        var labels: [String] = []
        var i = 12
        while i < msg.count {
            let length = Int(msg[i])
            if length == 0 { return labels.joined(separator: ".") }
            guard length & 0xc0 == 0, i + 1 + length <= msg.count else { return nil }
            labels.append(String(decoding: msg[(i + 1)..<(i + 1 + length)], as: UTF8.self).lowercased())
            i += 1 + length
        }
        return nil
    }

    /// The offset just past the question section, or nil if the message is malformed.
    static func questionEnd(_ msg: [UInt8]) -> Int? {
        guard msg.count >= 12 else { return nil }
        let qdcount = Int(msg[4]) << 8 | Int(msg[5])
        var offset = 12
        for _ in 0..<qdcount {
            guard let end = skipName(msg, at: offset), end + 4 <= msg.count else { return nil }
            offset = end + 4
        }
        return offset
    }

    /// A reply to `query` with no records, the same id, opcode, RD bit and question, and
    /// `rcode`. A query whose question cannot be parsed gets FORMERR with no question.
    static func emptyReply(to query: [UInt8], rcode: UInt8) -> [UInt8]? {
        guard query.count >= 12 else { return nil }
        let end = questionEnd(query)
        var reply = Array(query[0..<(end ?? 12)])
        reply[2] = 0x80 | (query[2] & 0x79)   // QR, opcode, RD
        reply[3] = 0x80 | ((end == nil ? 1 : rcode) & 0x0f)  // RA, rcode
        if end == nil { reply[4] = 0; reply[5] = 0 }
        for i in 6..<12 { reply[i] = 0 }
        return reply
    }
}
