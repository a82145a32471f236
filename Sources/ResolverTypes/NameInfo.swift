/// What getnameinfo is asked: an address and port, and the NI_* flags.
public struct NameInfoRequest: Hashable, Sendable {
    /// An IP literal.
    public var address: String
    public var port: UInt16
    public var flags: NameInfoFlags
    /// The lookup's own time limit (WSAETIMEDOUT).
    public var timeout: Duration?

    public init(address: String, port: UInt16 = 0, flags: NameInfoFlags = [], timeout: Duration? = nil) {
        self.address = address
        self.port = port
        self.flags = flags
        self.timeout = timeout
    }
}

/// getnameinfo's NI_* flags.
public struct NameInfoFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// NI_NAMEREQD: fail with WSAHOST_NOT_FOUND rather than return the numeric address.
    public static let nameRequired = NameInfoFlags(rawValue: 1 << 0)
    /// NI_NUMERICHOST: return the address as text; no PTR query.
    public static let numericHost = NameInfoFlags(rawValue: 1 << 1)
    /// NI_NUMERICSERV: return the port as digits.
    public static let numericService = NameInfoFlags(rawValue: 1 << 2)
    /// NI_NOFQDN: strip the local domain from names in it.
    public static let noFQDN = NameInfoFlags(rawValue: 1 << 3)
    /// NI_DGRAM: look the port up as a UDP service.
    public static let datagram = NameInfoFlags(rawValue: 1 << 4)
}

/// getnameinfo's answer.
public struct NameInfo: Hashable, Sendable {
    public var host: String
    public var service: String

    public init(host: String, service: String) {
        self.host = host
        self.service = service
    }
}
