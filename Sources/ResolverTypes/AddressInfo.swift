/// What getaddrinfo is asked: a name, an optional service, and the hints.
public struct AddressInfoRequest: Hashable, Sendable {
    /// A host name or an IP literal.
    public var name: String
    /// A service name ("http") or port number ("8080"); `nil` for port 0.
    public var service: String?
    public var family: AddressFamily
    /// Restricts results to one socket type; `nil` for all (stream, dgram and, without a service, raw).
    public var socketType: SocketType?
    /// Restricts results to one protocol; `nil` for all.
    public var transport: TransportProtocol?
    public var flags: AddressInfoFlags
    /// The lookup's own time limit (WSAETIMEDOUT), on top of c-ares' per-try timeouts.
    public var timeout: Duration?

    public init(
        name: String, service: String? = nil, family: AddressFamily = .unspecified,
        socketType: SocketType? = nil, transport: TransportProtocol? = nil,
        flags: AddressInfoFlags = [], timeout: Duration? = nil
    ) {
        self.name = name
        self.service = service
        self.family = family
        self.socketType = socketType
        self.transport = transport
        self.flags = flags
        self.timeout = timeout
    }
}

/// getaddrinfo's ai_flags that resolvd honours.
public struct AddressInfoFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// AI_CANONNAME: report the canonical name.
    public static let canonicalName = AddressInfoFlags(rawValue: 1 << 0)
    /// AI_NUMERICHOST: the name must be an IP literal; never query DNS.
    public static let numericHost = AddressInfoFlags(rawValue: 1 << 1)
    /// AI_NUMERICSERV: the service must be a port number.
    public static let numericService = AddressInfoFlags(rawValue: 1 << 2)
    /// AI_ADDRCONFIG: only families this host has a non-loopback address for.
    public static let addressConfig = AddressInfoFlags(rawValue: 1 << 3)
    /// AI_V4MAPPED: with family inet6, IPv4 answers as ::ffff:a.b.c.d when there is no IPv6 answer.
    public static let v4Mapped = AddressInfoFlags(rawValue: 1 << 4)
    /// AI_ALL: with v4Mapped, IPv6 answers and mapped IPv4 answers together.
    public static let all = AddressInfoFlags(rawValue: 1 << 5)
}

/// getaddrinfo's answer.
public struct AddressInfo: Hashable, Sendable {
    /// The canonical name (end of the CNAME chain) when ``AddressInfoFlags/canonicalName`` was asked, else nil.
    public var canonicalName: String?
    /// One entry per address and socket type, IPv6 before IPv4, each family in the upstream's order.
    public var addresses: [ResolvedAddress]

    public init(canonicalName: String?, addresses: [ResolvedAddress]) {
        self.canonicalName = canonicalName
        self.addresses = addresses
    }
}

/// One address of an ``AddressInfo``: an addrinfo node plus its TTL.
public struct ResolvedAddress: Hashable, Sendable {
    public var family: AddressFamily
    public var address: String
    public var port: UInt16
    public var socketType: SocketType
    /// `nil` for raw sockets (protocol 0).
    public var transport: TransportProtocol?
    /// Seconds the answer stays valid: the smallest TTL of the records it came from
    /// (the address record and any CNAME on the way); 0 for literals and hosts-file entries.
    public var ttl: UInt32

    public init(family: AddressFamily, address: String, port: UInt16, socketType: SocketType, transport: TransportProtocol?, ttl: UInt32) {
        self.family = family
        self.address = address
        self.port = port
        self.socketType = socketType
        self.transport = transport
        self.ttl = ttl
    }
}
