/// A transport protocol for getaddrinfo: `tcp` or `udp`.
///
/// Any other raw value can be sent as well (see ``ProtocolWord``).
public struct LookupProtocol: ProtocolWord {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let tcp = LookupProtocol(rawValue: "tcp")
    public static let udp = LookupProtocol(rawValue: "udp")
}
