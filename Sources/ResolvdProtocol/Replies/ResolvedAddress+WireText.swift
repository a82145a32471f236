import ResolverTypes

// An address's enum members as constant reply text, keys and quotes included, for
// `JSONSink.result(_: AddressInfo)`: every cached getaddrinfo reply writes them, and a
// constant costs one copy where a string token costs a scan for escapes and the String's
// storage (~160 instructions each, callgrind). Spelled again beside their raw values, so
// ReplyWireTextTests checks every case against them.

extension AddressFamily {
    /// `{"family":"<raw value>","address":`: an address object's start.
    @inlinable
    var addressStartText: StaticString {
        switch self {
        case .unspecified: #"{"family":"unspec","address":"#
        case .inet: #"{"family":"inet","address":"#
        case .inet6: #"{"family":"inet6","address":"#
        }
    }
}

extension SocketType {
    /// `,"socktype":"<raw value>","protocol":`.
    @inlinable
    var socketTypeMemberText: StaticString {
        switch self {
        case .stream: #","socktype":"stream","protocol":"#
        case .datagram: #","socktype":"dgram","protocol":"#
        case .raw: #","socktype":"raw","protocol":"#
        }
    }
}

extension Optional where Wrapped == TransportProtocol {
    /// `"<raw value>","ttl":`, or `null,"ttl":` when there is none.
    @inlinable
    var transportValueText: StaticString {
        switch self {
        case .tcp: #""tcp","ttl":"#
        case .udp: #""udp","ttl":"#
        case nil: #"null,"ttl":"#
        }
    }
}
