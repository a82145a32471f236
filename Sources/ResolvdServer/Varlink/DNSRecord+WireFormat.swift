import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

extension DNSRecord {
    /// The record in DNS wire format (RFC 1035 §4.1.3), class IN, names uncompressed: what
    /// io.systemd.Resolve.ResolveRecord returns base64-encoded as `raw`. The parsed record
    /// is written back, so the bytes are equal to the upstream's up to name compression
    /// and the case of names.
    var wireFormat: [UInt8] {
        var out: [UInt8] = []
        Self.appendName(name, to: &out)
        Self.append16(data.typeNumber, to: &out)
        Self.append16(1, to: &out)  // IN
        Self.append32(ttl, to: &out)
        data.appendWireFormat(to: &out)
        return out
    }

    /// A name as text in wire form: labels split at unescaped dots, `dig`'s escapes (`\.`,
    /// `\\`, `\DDD`, the way ``DNSMessage`` writes names) turned back into their bytes, so a
    /// name read from an answer is written as the same bytes; a label longer than 63 bytes
    /// is cut there.
    static func appendName(_ name: String, to out: inout [UInt8]) {
        // Straight into `out`, each label's length byte patched when the label ends: no
        // array per label or per name (this runs for every record of every stub answer).
        var name = name
        name.withUTF8 { bytes in
            var lengthAt = out.count
            var length = 0
            out.append(0)
            var index = 0
            while index < bytes.count {
                var byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: ".") {
                    if length > 0 {
                        out[lengthAt] = UInt8(length)
                        lengthAt = out.count
                        length = 0
                        out.append(0)
                    }
                    continue
                }
                if byte == UInt8(ascii: "\\"), index < bytes.count {
                    if index + 2 < bytes.count, let value = decimal(bytes[index...(index + 2)]) {
                        byte = value
                        index += 3
                    } else {
                        byte = bytes[index]
                        index += 1
                    }
                }
                guard length < 63 else { continue }  // a longer label is cut at 63
                out.append(byte)
                length += 1
            }
            if length > 0 {
                out[lengthAt] = UInt8(length)
                out.append(0)
            }
        }
    }

    /// Three decimal digits of a `\DDD` escape, when they are digits and at most 255.
    private static func decimal(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> UInt8? {
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }

    static func append16(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xff))
    }

    static func append32(_ value: UInt32, to out: inout [UInt8]) {
        append16(UInt16(value >> 16), to: &out)
        append16(UInt16(value & 0xffff), to: &out)
    }

    /// A DNS character-string: a length byte and at most 255 bytes.
    static func appendCharacterString(_ text: String, to out: inout [UInt8]) {
        let bytes = text.utf8.prefix(255)
        out.append(UInt8(bytes.count))
        out += bytes
    }
}

extension DNSRecordData {
    /// The RDATA in wire format.
    var wireFormat: [UInt8] {
        var out: [UInt8] = []
        appendRDATA(to: &out)
        return out
    }

    /// RDLENGTH and the RDATA, appended to `out`.
    func appendWireFormat(to out: inout [UInt8]) {
        let lengthAt = out.count
        out.append(0)
        out.append(0)
        appendRDATA(to: &out)
        let length = out.count - lengthAt - 2
        out[lengthAt] = UInt8(truncatingIfNeeded: length >> 8)
        out[lengthAt + 1] = UInt8(truncatingIfNeeded: length)
    }

    private func appendRDATA(to out: inout [UInt8]) {
        switch self {
        case .a(let address):
            var binary = in_addr()
            _ = inet_pton(AF_INET, address, &binary)
            withUnsafeBytes(of: &binary) { out += $0 }
        case .aaaa(let address):
            var binary = in6_addr()
            _ = inet_pton(AF_INET6, address, &binary)
            withUnsafeBytes(of: &binary) { out += $0 }
        case .cname(let target), .ns(let target), .ptr(let target):
            DNSRecord.appendName(target, to: &out)
        case .mx(let preference, let exchange):
            DNSRecord.append16(preference, to: &out)
            DNSRecord.appendName(exchange, to: &out)
        case .srv(let priority, let weight, let port, let target):
            for value in [priority, weight, port] { DNSRecord.append16(value, to: &out) }
            DNSRecord.appendName(target, to: &out)
        case .txt(let strings):
            for string in strings { DNSRecord.appendCharacterString(string, to: &out) }
        case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
            DNSRecord.appendName(mname, to: &out)
            DNSRecord.appendName(rname, to: &out)
            for value in [serial, refresh, retry, expire, minimum] { DNSRecord.append32(value, to: &out) }
        case .caa(let critical, let tag, let value):
            out.append(critical ? 0x80 : 0)
            DNSRecord.appendCharacterString(tag, to: &out)
            out += value.utf8
        case .naptr(let order, let preference, let flags, let service, let regexp, let replacement):
            DNSRecord.append16(order, to: &out)
            DNSRecord.append16(preference, to: &out)
            for text in [flags, service, regexp] { DNSRecord.appendCharacterString(text, to: &out) }
            DNSRecord.appendName(replacement, to: &out)
        case .unknown(_, let rdata):
            out += rdata
        }
    }
}

/// Standard base64 with padding (RFC 4648 §4), for ResolveRecord's `raw`.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[Int(value >> (18 - 6 * UInt32(position)) & 0x3f)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
