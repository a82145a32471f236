/// One entry of the services database (a `servent`): what getservbyname/getservbyport return.
public struct ServiceEntry: Hashable, Sendable {
    /// The official service name.
    public var name: String
    /// Other names, in file order.
    public var aliases: [String]
    /// The port, in host byte order.
    public var port: UInt16
    /// The protocol name, such as "tcp".
    public var proto: String

    public init(name: String, aliases: [String], port: UInt16, proto: String) {
        self.name = name
        self.aliases = aliases
        self.port = port
        self.proto = proto
    }
}

/// One entry of the protocols database (a `protoent`): what getprotobyname/getprotobynumber return.
public struct ProtocolEntry: Hashable, Sendable {
    /// The official protocol name.
    public var name: String
    /// Other names, in file order.
    public var aliases: [String]
    /// The protocol number.
    public var number: Int32

    public init(name: String, aliases: [String], number: Int32) {
        self.name = name
        self.aliases = aliases
        self.number = number
    }
}

/// A `hostent`: what WSAAsyncGetHostByName / WSAAsyncGetHostByAddr return.
public struct HostEntry: Hashable, Sendable {
    /// The official (canonical) name.
    public var name: String
    /// Other names: the CNAME aliases that led to ``name``, without duplicates.
    public var aliases: [String]
    /// The family of every address.
    public var family: AddressFamily
    /// The addresses, as text ("192.0.2.1", "2001:db8::1").
    public var addresses: [String]
    /// Seconds the entry may be kept: the smallest TTL of the records behind it; 0 for
    /// literals and hosts-file entries; `nil` when c-ares does not say (PTR answers).
    public var ttl: UInt32?

    public init(name: String, aliases: [String], family: AddressFamily, addresses: [String], ttl: UInt32? = nil) {
        self.name = name
        self.aliases = aliases
        self.family = family
        self.addresses = addresses
        self.ttl = ttl
    }
}
