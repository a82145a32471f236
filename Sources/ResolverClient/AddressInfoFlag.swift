/// A getaddrinfo flag, such as `canonname` (AI_CANONNAME).
///
/// The known values are static members; any other raw value can be sent as well,
/// which is how a caller asks the daemon to reject one.
public struct AddressInfoFlag: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let canonicalName = AddressInfoFlag(rawValue: "canonname")
    public static let numericHost = AddressInfoFlag(rawValue: "numerichost")
    public static let numericService = AddressInfoFlag(rawValue: "numericserv")
    public static let addressConfiguration = AddressInfoFlag(rawValue: "addrconfig")
    public static let v4Mapped = AddressInfoFlag(rawValue: "v4mapped")
    public static let all = AddressInfoFlag(rawValue: "all")
}
