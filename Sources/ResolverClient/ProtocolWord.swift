/// A word of protocol v1 that is sent as a string (`"inet6"`, `"MX"`, `"canonname"`): the
/// known values are static members of each conforming type, and any other raw value can be
/// sent as well, which is how a caller asks the daemon to reject one.
///
/// Conforming types only declare `rawValue`, `init(rawValue:)` and their known values; the
/// literal and description conformances come from here.
public protocol ProtocolWord: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible
where RawValue == String {
    init(rawValue: String)
}

extension ProtocolWord {
    public init(stringLiteral value: String) {
        self.init(rawValue: value)
    }

    public var description: String { rawValue }
}
