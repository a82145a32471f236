/// A getnameinfo flag, such as `namereqd` (NI_NAMEREQD).
///
/// Any other raw value can be sent as well (see ``ProtocolWord``).
public struct NameInfoFlag: ProtocolWord {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let nameRequired = NameInfoFlag(rawValue: "namereqd")
    public static let numericHost = NameInfoFlag(rawValue: "numerichost")
    public static let numericService = NameInfoFlag(rawValue: "numericserv")
    public static let noFullyQualifiedDomainName = NameInfoFlag(rawValue: "nofqdn")
    public static let datagram = NameInfoFlag(rawValue: "dgram")
}
