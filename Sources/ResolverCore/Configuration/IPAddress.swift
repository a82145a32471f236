#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address in binary form, parsed from and printed to text with
/// inet_pton/inet_ntop. Used to answer IP literals without a DNS query.
struct IPAddress: Hashable, Sendable {
    enum Storage: Hashable, Sendable {
        case v4(UInt32)  // network byte order, as in_addr.s_addr
        case v6(UInt64, UInt64)  // the 16 bytes, in order
    }

    let storage: Storage

    var family: AddressFamily {
        switch storage {
        case .v4: .inet
        case .v6: .inet6
        }
    }

    init?(parsing text: String) {
        // Most names are not literals: reject them from their characters before inet_pton.
        var hasColon = false
        var hasHexLetter = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."): continue
            case UInt8(ascii: ":"): hasColon = true
            case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): hasHexLetter = true
            default: return nil
            }
        }
        if !hasColon {
            var v4 = in_addr()
            guard !hasHexLetter, inet_pton(AF_INET, text, &v4) == 1 else { return nil }
            self.init(in4: v4)
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        self.init(in6: v6)
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

    /// The address bytes in network order (4 or 16).
    var bytes: [UInt8] {
        switch storage {
        case .v4(let addr): withUnsafeBytes(of: addr) { Array($0) }
        case .v6(let high, let low): withUnsafeBytes(of: high) { Array($0) } + withUnsafeBytes(of: low) { Array($0) }
        }
    }

    /// The RFC 5952 text form.
    var text: String {
        if case .v4(let addr) = storage {
            // Dotted quad by hand: glibc's inet_ntop formats IPv4 with sprintf, the largest
            // single cost of a getaddrinfo answer (docs/performance.md).
            var text: [UInt8] = []
            text.reserveCapacity(15)
            withUnsafeBytes(of: addr) { octets in
                for (index, octet) in octets.enumerated() {
                    if index > 0 { text.append(UInt8(ascii: ".")) }
                    if octet >= 100 { text.append(UInt8(ascii: "0") + octet / 100) }
                    if octet >= 10 { text.append(UInt8(ascii: "0") + octet / 10 % 10) }
                    text.append(UInt8(ascii: "0") + octet % 10)
                }
            }
            return String(decoding: text, as: UTF8.self)
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let bytes = self.bytes
        let family = self.family == .inet ? AF_INET : AF_INET6
        bytes.withUnsafeBytes { raw in
            _ = inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
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
