import ResolverTesting
import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// `IPAddress.text` formats by hand what glibc's `inet_ntop` formats with `sprintf`; the two
/// must agree byte for byte, for every shape of address.
@Suite struct IPAddressTextTests {
    private static func inetNtop(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        bytes.withUnsafeBytes { _ = inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func address(_ bytes: [UInt8]) -> IPAddress {
        if bytes.count == 4 {
            var v4 = in_addr()
            withUnsafeMutableBytes(of: &v4) { $0.copyBytes(from: bytes) }
            return IPAddress(in4: v4)
        }
        var v6 = in6_addr()
        withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
        return IPAddress(in6: v6)
    }

    @Test func knownForms() {
        let cases: [(String, String)] = [
            ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("2001:db8::10", "2001:db8::10"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("::192.0.2.1", "::192.0.2.1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("fe80::abcd:ef01:2345:6789", "fe80::abcd:ef01:2345:6789"), ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
            ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"), ("10.0.100.9", "10.0.100.9"),
        ]
        for (input, expected) in cases {
            #expect(IPAddress(parsing: input)?.text == expected, "\(input)")
        }
    }

    /// `IPAddress(parsing:)` hands inet_pton a copy of the text on the stack: what it accepts
    /// and what it makes of it is inet_pton's, for every shape — the longest addresses, one
    /// byte too long, leading zeros, stray characters — and a NUL inside the text is refused
    /// rather than cutting the text short.
    @Test func parsingAgreesWithInetPton() {
        let longest = "0000:0000:0000:0000:0000:ffff:255.255.255.255"  // 45 bytes: INET6_ADDRSTRLEN - 1
        let inputs = [
            "192.0.2.1", "0.0.0.0", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.4 ",
            "::", "::1", "2001:db8::10", "::ffff:192.0.2.1", "2001:db8::g", "1:2:3:4:5:6:7:8:9", ":::", "12345::",
            longest, longest + "0", "0" + longest, "", ".", "example.test", "abc", "1e100",
        ]
        for input in inputs {
            var v4 = in_addr()
            var v6 = in6_addr()
            let expected: IPAddress? =
                inet_pton(AF_INET, input, &v4) == 1 ? IPAddress(in4: v4)
                : inet_pton(AF_INET6, input, &v6) == 1 ? IPAddress(in6: v6) : nil
            #expect(IPAddress(parsing: input) == expected, "\(input)")
        }
        #expect(IPAddress(parsing: longest) != nil)
        #expect(IPAddress(parsing: "192.0.2.1\u{0}.5") == nil)
    }

    /// Random addresses biased toward zero groups (where the `::` rules bite), 0xffff in
    /// group 5, and small values: compared with inet_ntop.
    @Test func agreesWithInetNtop() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("IPAddressTextTests seed \(seed)")
        var generator = SplitMix64(seed: seed)
        for _ in 0..<20_000 {
            var bytes = [UInt8](repeating: 0, count: 16)
            for group in 0..<8 {
                let value: UInt16
                switch Int.random(in: 0..<5, using: &generator) {
                case 0, 1: value = 0
                case 2: value = UInt16.random(in: 0...0xf, using: &generator)
                case 3: value = group == 5 ? 0xffff : UInt16.random(in: 0...0xfff, using: &generator)
                default: value = UInt16.random(in: 0...0xffff, using: &generator)
                }
                bytes[2 * group] = UInt8(value >> 8)
                bytes[2 * group + 1] = UInt8(value & 0xff)
            }
            let ours = Self.address(bytes).text
            let glibc = Self.inetNtop(bytes)
            guard ours == glibc else {
                Issue.record("seed \(seed): \(bytes): \(ours) vs inet_ntop \(glibc)")
                return
            }
            let v4 = Array(bytes[12..<16])
            #expect(Self.address(v4).text == Self.inetNtop(v4))
        }
    }
}
