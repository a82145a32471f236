/// A getaddrinfo flag, such as `canonname` (AI_CANONNAME).
///
/// Any other raw value can be sent as well (see ``ProtocolWord``).
public struct AddressInfoFlag: ProtocolWord {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let canonicalName = AddressInfoFlag(rawValue: "canonname")
    public static let numericHost = AddressInfoFlag(rawValue: "numerichost")
    public static let numericService = AddressInfoFlag(rawValue: "numericserv")
    public static let addressConfiguration = AddressInfoFlag(rawValue: "addrconfig")
    public static let v4Mapped = AddressInfoFlag(rawValue: "v4mapped")
    public static let all = AddressInfoFlag(rawValue: "all")
}
