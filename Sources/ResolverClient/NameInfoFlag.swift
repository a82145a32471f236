/// A getnameinfo flag, such as `namereqd` (NI_NAMEREQD).
///
/// The known values are static members; any other raw value can be sent as well,
/// which is how a caller asks the daemon to reject one.
public struct NameInfoFlag: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let nameRequired = NameInfoFlag(rawValue: "namereqd")
    public static let numericHost = NameInfoFlag(rawValue: "numerichost")
    public static let numericService = NameInfoFlag(rawValue: "numericserv")
    public static let noFullyQualifiedDomainName = NameInfoFlag(rawValue: "nofqdn")
    public static let datagram = NameInfoFlag(rawValue: "dgram")
}
