#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address in binary form, parsed from text with inet_pton and printed as
/// inet_ntop prints it: the one parser and formatter of addresses (IP literals, the hosts
/// file, DNS records, the front ends' replies).
package struct IPAddress: Hashable, Sendable {
    enum Storage: Hashable, Sendable {
        case v4(UInt32)  // network byte order, as in_addr.s_addr
        case v6(UInt64, UInt64)  // the 16 bytes, in order
    }

    let storage: Storage

    package var family: AddressFamily {
        switch storage {
        case .v4: .inet
        case .v6: .inet6
        }
    }

    package init?(parsing text: String) {
        // Read as one buffer: a String's bytes one at a time cost ~20 instructions each
        // (callgrind), and getaddrinfo parses every address of its answer.
        var text = text
        guard let address = text.withUTF8({ Self.parse($0) }) else { return nil }
        self = address
    }

    /// The same, from UTF-8 bytes (a field of a database file).
    init?(parsing utf8: [UInt8]) {
        guard let address = utf8.withUnsafeBufferPointer({ Self.parse($0) }) else { return nil }
        self = address
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        // Most names are not literals: reject them from their characters before inet_pton.
        var hasColon = false
        var hasHexLetter = false
        for byte in text {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."): continue
            case UInt8(ascii: ":"): hasColon = true
            case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): hasHexLetter = true
            default: return nil
            }
        }
        if !hasColon && hasHexLetter { return nil }
        // inet_pton wants a C string: the text and its NUL on the stack, not the heap copy
        // (`utf8CString`) that passing a String makes. No address is this long.
        guard text.count < Int(INET6_ADDRSTRLEN) else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buffer in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(text))
            buffer[text.count] = 0
            if !hasColon {
                var v4 = in_addr()
                guard inet_pton(AF_INET, buffer.baseAddress!, &v4) == 1 else { return nil }
                return IPAddress(in4: v4)
            }
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, buffer.baseAddress!, &v6) == 1 else { return nil }
            return IPAddress(in6: v6)
        }
    }

    init(in4: in_addr) {
        storage = .v4(in4.s_addr)
    }

    init(in6: in6_addr) {
        let (high, low) = withUnsafeBytes(of: in6) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        storage = .v6(high, low)
    }

    /// The name a PTR query asks: `10.2.0.192.in-addr.arpa`, or the 32 reversed nibbles
    /// of an IPv6 address under `ip6.arpa`.
    var reverseName: String {
        let bytes = self.bytes
        if family == .inet {
            return bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
        }
        let digits = Array("0123456789abcdef")
        var labels: [String] = []
        labels.reserveCapacity(32)
        for byte in bytes.reversed() {
            labels.append(String(digits[Int(byte & 0x0f)]))
            labels.append(String(digits[Int(byte >> 4)]))
        }
        return labels.joined(separator: ".") + ".ip6.arpa"
    }

    /// Calls `body` with the address's bytes in network order (4 or 16), without an array.
    /// Not generic: called from another module, a generic one instantiated metadata per call.
    package func withBytes(_ body: (UnsafeRawBufferPointer) -> Void) {
        switch storage {
        case .v4(let addr): Swift.withUnsafeBytes(of: addr) { body($0) }
        case .v6(let high, let low): Swift.withUnsafeBytes(of: (high, low)) { body($0) }
        }
    }

    /// The address bytes in network order (4 or 16).
    package var bytes: [UInt8] {
        var bytes: [UInt8] = []
        withBytes { bytes = Array($0) }
        return bytes
    }

    /// The text form, exactly as glibc's `inet_ntop` writes it (RFC 5952 for IPv6, with
    /// `::a.b.c.d` for IPv4-compatible and IPv4-mapped addresses).
    ///
    /// Formatted by hand: `inet_ntop` formats with `sprintf`, which was the largest single
    /// cost of a getaddrinfo answer (docs/performance.md). Texts up to 15 bytes (every IPv4
    /// address, most IPv6 ones) are small strings, so this usually allocates nothing.
    package var text: String {
        switch storage {
        case .v4(let addr): withUnsafeBytes(of: addr) { Self.text(ipv4: $0) }
        case .v6(let high, let low): withUnsafeBytes(of: (high, low)) { Self.text(ipv6: $0) }
        }
    }

    /// The text of an IPv4 address's four bytes (network order), as ``text`` writes it: the
    /// one formatter of addresses, which the DNS parser's A records use too.
    package static func text(ipv4 octets: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 15) { writeDottedQuad(octets, into: $0, at: 0) }
    }

    /// The text of an IPv6 address's sixteen bytes, as ``text`` writes it (AAAA records too).
    package static func text(ipv6 bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: Int(INET6_ADDRSTRLEN)) { writeIPv6(bytes, into: $0) }
    }

    /// `a.b.c.d` from the first four bytes of `octets`; returns the index after it.
    private static func writeDottedQuad(_ octets: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var position = start
        for index in 0..<4 {
            let octet = octets[index]
            if index > 0 {
                out[position] = UInt8(ascii: ".")
                position += 1
            }
            if octet >= 100 {
                out[position] = UInt8(ascii: "0") + octet / 100
                position += 1
            }
            if octet >= 10 {
                out[position] = UInt8(ascii: "0") + octet / 10 % 10
                position += 1
            }
            out[position] = UInt8(ascii: "0") + octet % 10
            position += 1
        }
        return position
    }

    /// glibc's `inet_ntop6`: the longest run of two or more zero groups (the first of equal
    /// ones) becomes `::`, groups in lower-case hex without leading zeros.
    private static func writeIPv6(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        func word(_ index: Int) -> Int { Int(bytes[2 * index]) << 8 | Int(bytes[2 * index + 1]) }
        var best = (base: -1, length: 0)
        var current = (base: -1, length: 0)
        for index in 0..<8 {
            if word(index) == 0 {
                current = current.base == -1 ? (index, 1) : (current.base, current.length + 1)
            } else if current.base != -1 {
                if best.base == -1 || current.length > best.length { best = current }
                current.base = -1
            }
        }
        if current.base != -1, best.base == -1 || current.length > best.length { best = current }
        if best.base != -1, best.length < 2 { best.base = -1 }

        let hex: StaticString = "0123456789abcdef"
        var position = 0
        func put(_ byte: UInt8) {
            out[position] = byte
            position += 1
        }
        for index in 0..<8 {
            if best.base != -1, index >= best.base, index < best.base + best.length {
                if index == best.base { put(UInt8(ascii: ":")) }
                continue
            }
            if index != 0 { put(UInt8(ascii: ":")) }
            if index == 6, best.base == 0, best.length == 6 || (best.length == 5 && word(5) == 0xffff) {
                return writeDottedQuad(UnsafeRawBufferPointer(rebasing: bytes[12..<16]), into: out, at: position)
            }
            let group = word(index)
            var shift = group >= 0x1000 ? 12 : group >= 0x100 ? 8 : group >= 0x10 ? 4 : 0
            while shift >= 0 {
                put(hex.utf8Start[(group >> shift) & 0xf])
                shift -= 4
            }
        }
        if best.base != -1, best.base + best.length == 8 { put(UInt8(ascii: ":")) }
        return position
    }

    /// The IPv4-mapped IPv6 form (::ffff:a.b.c.d) of an IPv4 address.
    var v4Mapped: IPAddress {
        guard case .v4 = storage else { return self }
        var mapped = in6_addr()
        withUnsafeMutableBytes(of: &mapped) { raw in
            raw[10] = 0xff
            raw[11] = 0xff
            for (index, byte) in bytes.enumerated() { raw[12 + index] = byte }
        }
        return IPAddress(in6: mapped)
    }

    var isLoopback: Bool {
        switch storage {
        case .v4: bytes[0] == 127
        case .v6(let high, let low): high == 0 && low == UInt64(1).bigEndian
        }
    }
}
