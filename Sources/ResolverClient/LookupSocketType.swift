/// A socket type for getaddrinfo: `stream`, `dgram` or `raw`.
///
/// Any other raw value can be sent as well (see ``ProtocolWord``).
public struct LookupSocketType: ProtocolWord {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let stream = LookupSocketType(rawValue: "stream")
    public static let datagram = LookupSocketType(rawValue: "dgram")
    public static let raw = LookupSocketType(rawValue: "raw")
}
