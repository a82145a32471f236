/// Builds DNS query messages (RFC 1035 §4.1): for tests, and for test fixtures that probe a server.
/// Real lookups are sent by c-ares.
enum DNSQueryBuilder {
    /// A query with one question (`name`, `type`, class IN), the given ID, and RD set when
    /// `recursionDesired`. No EDNS.
    ///
    /// `name` is in the text form ``DNSMessage`` produces: labels separated by ".", an optional
    /// trailing dot, `""` or `"."` for the root, and `\.`, `\\`, `\x` or `\DDD` escapes inside labels.
    /// An invalid name (an empty label, a label over 63 bytes, a name over 255 bytes, a bad escape)
    /// is a programming error and traps; use ``encodeName(_:)`` to check a name first.
    /// A DNSSEC-aware query: `query(id:name:type:)` with CD set when asked, and an OPT
    /// (RFC 6891: root owner, `udpSize`, version 0, DO when asked) when DO is.
    /// Nil for a name ``encodeName(_:)`` rejects.
    static func query(id: UInt16, name: String, type: UInt16, dnssec: DNSQuestion.DNSSECBits, udpSize: UInt16 = 1232) -> [UInt8]? {
        guard encodeName(name) != nil else { return nil }
        var message = query(id: id, name: name, type: type)
        if dnssec.contains(.checkingDisabled) { message[3] |= 0x10 }
        guard dnssec.contains(.dnssecOK) else { return message }
        message[11] = 1  // ARCOUNT
        message += [0, 0, 41, UInt8(udpSize >> 8), UInt8(udpSize & 0xFF), 0, 0, 0x80, 0, 0, 0]
        return message
    }

    static func query(id: UInt16, name: String, type: UInt16, recursionDesired: Bool = true) -> [UInt8] {
        guard let encodedName = encodeName(name) else {
            preconditionFailure("DNSQueryBuilder: invalid name \(name.debugDescription)")
        }
        var message: [UInt8] = []
        message.reserveCapacity(12 + encodedName.count + 4)
        message.append(UInt8(id >> 8))
        message.append(UInt8(id & 0xFF))
        message.append(recursionDesired ? 0x01 : 0x00) // QR=0, OPCODE=0 (QUERY), AA=0, TC=0, RD
        message.append(0x00) // RA=0, Z=0, RCODE=0
        message += [0, 1, 0, 0, 0, 0, 0, 0] // QDCOUNT=1, ANCOUNT=0, NSCOUNT=0, ARCOUNT=0
        message += encodedName
        message.append(UInt8(type >> 8))
        message.append(UInt8(type & 0xFF))
        message += [0, 1] // class IN
        return message
    }

    /// `name` in uncompressed wire format, final zero included; `nil` when it is not a valid name.
    static func encodeName(_ name: String) -> [UInt8]? {
        let text = Array(name.utf8)
        var wire: [UInt8] = []
        wire.reserveCapacity(text.count + 2)
        var label: [UInt8] = []
        var i = 0

        func endLabel() -> Bool {
            guard !label.isEmpty, label.count <= 63 else { return false }
            wire.append(UInt8(label.count))
            wire += label
            label.removeAll(keepingCapacity: true)
            return true
        }

        if text == [UInt8(ascii: ".")] { return [0] }
        while i < text.count {
            let byte = text[i]
            if byte == UInt8(ascii: ".") {
                guard endLabel() else { return nil }
                i += 1
            } else if byte == UInt8(ascii: "\\") {
                guard i + 1 < text.count else { return nil }
                let next = text[i + 1]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) {
                    guard i + 3 < text.count else { return nil }
                    var value = 0
                    for digit in text[(i + 1)...(i + 3)] {
                        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
                        value = value * 10 + Int(digit - UInt8(ascii: "0"))
                    }
                    guard value <= 255 else { return nil }
                    label.append(UInt8(value))
                    i += 4
                } else {
                    label.append(next)
                    i += 2
                }
            } else {
                label.append(byte)
                i += 1
            }
        }
        if !label.isEmpty {
            guard endLabel() else { return nil }
        }
        wire.append(0)
        return wire.count <= 255 ? wire : nil
    }
}
