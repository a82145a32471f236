import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// Where the ``LookupService`` took a waiter's answer from, as its ``LookupService/Token``
/// records it: one byte, set on the start path, read only when a `monitor` runs.
///
/// It knows the service's three paths; ``monitorSource(for:)`` refines "upstream" by what
/// the question was (an address literal, a services or protocols database lookup). It does
/// not see inside the resolver, so a name the hosts file answers is reported "upstream".
enum LookupSource: UInt8, Sendable {
    case cache
    case upstream
    case coalesced

    /// The `source` of a monitor event for a lookup of `key` that took this path.
    func monitorSource(for key: LookupKey) -> MonitorEvent.Source {
        switch self {
        case .cache: return .cache
        case .coalesced: return .coalesced
        case .upstream: break
        }
        switch key {
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber:
            return .database
        case .addressInfo(let request):
            return Self.isAddressLiteral(request.name) ? .literal : .upstream
        case .hostByName(let name, _, _, _):
            return Self.isAddressLiteral(name) ? .literal : .upstream
        case .nameInfo(let request):
            return request.flags.contains(.numericHost) ? .literal : .upstream
        case .query, .hostByAddress:
            return .upstream
        }
    }

    static func isAddressLiteral(_ name: String) -> Bool {
        var buffer = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw in
            inet_pton(AF_INET, name, raw.baseAddress) == 1 || inet_pton(AF_INET6, name, raw.baseAddress) == 1
        }
    }
}
