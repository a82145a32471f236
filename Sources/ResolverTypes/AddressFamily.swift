/// An address family as getaddrinfo's hints and results name it.
public enum AddressFamily: String, Hashable, Sendable, CaseIterable {
    /// AF_UNSPEC: IPv4 and IPv6.
    case unspecified = "unspec"
    /// AF_INET.
    case inet
    /// AF_INET6.
    case inet6
}

/// A socket type as getaddrinfo's hints and results name it.
public enum SocketType: String, Hashable, Sendable, CaseIterable {
    case stream
    case datagram = "dgram"
    case raw
}

/// A transport protocol as getaddrinfo's hints and results name it.
public enum TransportProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp
    case udp
}
