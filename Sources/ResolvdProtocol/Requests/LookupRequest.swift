import ResolverTypes

/// What a lookup op asks, with every parameter that can change its answer (the timeout
/// included) and the defaults of docs/protocol.md filled in.
///
/// The daemon coalesces and caches by this value (its `LookupKey`), so two requests that
/// ask the same thing must decode to equal values. It does not say how to answer.
public enum LookupRequest: Hashable, Sendable {
    case addressInfo(AddressInfoRequest)
    case nameInfo(NameInfoRequest)
    case query(name: String, type: DNSRecordType, timeout: Duration?)
    case hostByName(name: String, family: AddressFamily, bufferLength: Int, timeout: Duration?)
    case hostByAddress(address: String, bufferLength: Int, timeout: Duration?)
    case serviceByName(name: String, proto: String?, bufferLength: Int)
    case serviceByPort(port: UInt16, proto: String?, bufferLength: Int)
    case protocolByName(name: String, bufferLength: Int)
    case protocolByNumber(number: Int32, bufferLength: Int)

    public var operation: Operation {
        switch self {
        case .addressInfo: .getAddrInfo
        case .nameInfo: .getNameInfo
        case .query: .query
        case .hostByName: .getHostByName
        case .hostByAddress: .getHostByAddr
        case .serviceByName: .getServByName
        case .serviceByPort: .getServByPort
        case .protocolByName: .getProtoByName
        case .protocolByNumber: .getProtoByNumber
        }
    }

    /// `gethostbyname`'s family when the request names none: a `hostent` holds one family.
    public static let defaultHostFamily = AddressFamily.inet
}
