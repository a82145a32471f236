/// One address from a getaddrinfo result.
public struct AddressInfo: Hashable, Sendable {
    /// `inet` or `inet6`.
    public var family: String
    /// The address in text form, such as `192.0.2.10` or `2001:db8::1`.
    public var address: String
    public var port: Int
    /// `stream`, `dgram` or `raw`; `nil` if the daemon sent null.
    public var socketType: String?
    /// `tcp`, `udp`, or `nil` when the daemon sent null (as it does for raw sockets).
    public var `protocol`: String?
    /// The DNS TTL in seconds; `nil` if the daemon sent none.
    public var ttl: Int?

    public init(family: String, address: String, port: Int, socketType: String?, protocol: String?, ttl: Int?) {
        self.family = family
        self.address = address
        self.port = port
        self.socketType = socketType
        self.protocol = `protocol`
        self.ttl = ttl
    }

    /// Reads one element of a getaddrinfo result's `addresses`; `nil` if `family`,
    /// `address` or `port` is missing or of the wrong type.
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let family = object["family"]?.stringValue,
            let address = object["address"]?.stringValue,
            let port = object.int("port")
        else { return nil }
        self.init(
            family: family,
            address: address,
            port: port,
            socketType: object["socktype"]?.stringValue,
            protocol: object["protocol"]?.stringValue,
            ttl: object.int("ttl")
        )
    }
}

/// A getaddrinfo result: the canonical name, if asked for, and the addresses.
public struct AddressInfoResult: Hashable, Sendable {
    /// Set when the `canonname` flag was given and the daemon found one.
    public var canonicalName: String?
    public var addresses: [AddressInfo]

    public init(canonicalName: String?, addresses: [AddressInfo]) {
        self.canonicalName = canonicalName
        self.addresses = addresses
    }

    /// Reads a getaddrinfo `result`; `nil` if `addresses` is missing or an element is malformed.
    public init?(json: JSONValue) {
        guard let object = json.objectValue, let elements = object["addresses"]?.arrayValue else { return nil }
        var addresses: [AddressInfo] = []
        addresses.reserveCapacity(elements.count)
        for element in elements {
            guard let address = AddressInfo(json: element) else { return nil }
            addresses.append(address)
        }
        self.init(canonicalName: object["canonical_name"]?.stringValue, addresses: addresses)
    }
}
