/// An address family as protocol v1 spells it: `unspec`, `inet` or `inet6`.
///
/// Any other raw value can be sent as well (see ``ProtocolWord``).
public struct LookupFamily: ProtocolWord {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let unspecified = LookupFamily(rawValue: "unspec")
    public static let inet = LookupFamily(rawValue: "inet")
    public static let inet6 = LookupFamily(rawValue: "inet6")
}
