#if canImport(Glibc)
import Glibc
#endif

/// One upstream DNS server: an IP literal and a port.
///
/// Like Hummingbird's `BindAddress`, this is a value with static factories and a
/// parser for the `HOST[:PORT]` text operators write (`192.0.2.1`, `192.0.2.1:5353`,
/// `::1`, `[::1]:5353`). It does not resolve names: an upstream must be an address.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address as text, without brackets.
    public let host: String
    public let port: UInt16
    /// AF_INET or AF_INET6.
    public let family: AddressFamily

    /// An IPv4 server.
    public static func ipv4(_ host: String, port: UInt16 = 53) throws(ResolverError) -> DNSServerAddress {
        guard IPAddress(parsing: host)?.family == .inet else {
            throw .invalidArgument("'\(host)' is not an IPv4 address")
        }
        return DNSServerAddress(host: host, port: port, family: .inet)
    }

    /// An IPv6 server.
    public static func ipv6(_ host: String, port: UInt16 = 53) throws(ResolverError) -> DNSServerAddress {
        guard IPAddress(parsing: host)?.family == .inet6 else {
            throw .invalidArgument("'\(host)' is not an IPv6 address")
        }
        return DNSServerAddress(host: host, port: port, family: .inet6)
    }

    /// Parses `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`; the port defaults to 53.
    public init(parsing text: String) throws(ResolverError) {
        var host = Substring(text)
        var port: UInt16 = 53
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                throw .invalidArgument("'\(text)': missing ']'")
            }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = UInt16(rest.dropFirst()), value != 0 else {
                    throw .invalidArgument("'\(text)': bad port")
                }
                port = value
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let value = UInt16(host[host.index(after: colon)...]), value != 0 else {
                throw .invalidArgument("'\(text)': bad port")
            }
            port = value
            host = host[..<colon]
        }
        guard let address = IPAddress(parsing: String(host)) else {
            throw .invalidArgument("'\(text)' is not an IP address (an upstream must be an address, not a name)")
        }
        self.init(host: address.text, port: port, family: address.family)
    }

    private init(host: String, port: UInt16, family: AddressFamily) {
        self.host = host
        self.port = port
        self.family = family
    }

    public var description: String {
        family == .inet6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
