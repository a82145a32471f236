/// A transport protocol for getaddrinfo: `tcp` or `udp`.
///
/// The known values are static members; any other raw value can be sent as well,
/// which is how a caller asks the daemon to reject one.
public struct LookupProtocol: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let tcp = LookupProtocol(rawValue: "tcp")
    public static let udp = LookupProtocol(rawValue: "udp")
}
