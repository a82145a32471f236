/// A socket type for getaddrinfo: `stream`, `dgram` or `raw`.
///
/// The known values are static members; any other raw value can be sent as well,
/// which is how a caller asks the daemon to reject one.
public struct LookupSocketType: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let stream = LookupSocketType(rawValue: "stream")
    public static let datagram = LookupSocketType(rawValue: "dgram")
    public static let raw = LookupSocketType(rawValue: "raw")
}
