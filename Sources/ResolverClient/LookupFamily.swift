/// An address family as protocol v1 spells it: `unspec`, `inet` or `inet6`.
///
/// The known values are static members; any other raw value can be sent as well,
/// which is how a caller asks the daemon to reject one.
public struct LookupFamily: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let unspecified = LookupFamily(rawValue: "unspec")
    public static let inet = LookupFamily(rawValue: "inet")
    public static let inet6 = LookupFamily(rawValue: "inet6")
}
