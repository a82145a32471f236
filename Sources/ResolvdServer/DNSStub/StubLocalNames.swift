import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// Names the stub answers without asking anyone: `localhost` and the names under it
/// (RFC 6761 §6.3: A 127.0.0.1, AAAA ::1, nothing else), and the reverse names of
/// addresses (`4.3.2.1.in-addr.arpa`, the nibbles of `ip6.arpa`), turned back into the
/// address so that the hosts file can be asked. Pure: no lookup, no clock.
enum StubLocalNames {
    static let typeA: UInt16 = 1
    static let typeAAAA: UInt16 = 28
    static let typePTR: UInt16 = 12

    /// The answer for `localhost.` and `*.localhost.`; nil for any other name.
    static func localhostAnswer(_ question: StubQuestion) -> StubAnswer? {
        guard isLocalhost(question.name) else { return nil }
        let data: DNSRecordData? = switch question.type {
        case typeA: .a(address: "127.0.0.1")
        case typeAAAA: .aaaa(address: "::1")
        default: nil
        }
        return StubAnswer(
            rcode: .noError, answer: data.map { [DNSRecord(name: question.name, ttl: 0, data: $0)] } ?? [],
            status: data == nil ? .noData : .noError, source: .hosts, fromCache: false)
    }

    /// `localhost` or a name under it, in any letter case, without allocating.
    static func isLocalhost(_ name: String) -> Bool {
        let suffix = "localhost".utf8
        let bytes = name.utf8
        guard bytes.count >= suffix.count else { return false }
        let tail = bytes.suffix(suffix.count)
        guard zip(tail, suffix).allSatisfy({ $0 | 0x20 == $1 }) else { return false }
        return bytes.count == suffix.count || bytes[bytes.index(tail.startIndex, offsetBy: -1)] == UInt8(ascii: ".")
    }

    /// The address a reverse name stands for ("1.2.0.192.in-addr.arpa" → "192.0.2.1",
    /// printed as inet_ntop prints it, by ``IPAddress``); nil for any other name.
    static func address(ofReverseName name: String) -> String? {
        let labels = name.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 6, labels.suffix(2) == ["in-addr", "arpa"] {
            let octets = labels.prefix(4).reversed().compactMap { label in label.count <= 3 ? UInt8(label) : nil }
            guard octets.count == 4 else { return nil }
            return octets.withUnsafeBytes { IPAddress.text(ipv4: $0) }
        }
        if labels.count == 34, labels.suffix(2) == ["ip6", "arpa"] {
            let nibbles = labels.prefix(32).reversed().compactMap { label in label.count == 1 ? UInt8(label, radix: 16) : nil }
            guard nibbles.count == 32 else { return nil }
            let bytes = stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
            return bytes.withUnsafeBytes { IPAddress.text(ipv6: $0) }
        }
        return nil
    }
}
