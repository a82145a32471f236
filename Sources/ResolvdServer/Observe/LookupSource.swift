import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// Where the ``LookupService`` took a lookup's answer from, given with the answer and kept
/// by its ``LookupService/Token``: one byte.
///
/// It knows the service's four paths; ``monitorSource(for:resolver:)`` refines "local" by
/// what the question was: an address literal, a name or address the resolver's hosts
/// file has (asked of the resolver again, only when a monitor will report it), a services
/// or protocols database lookup.
enum LookupSource: UInt8, Sendable {
    // In order of cost: an op made of several questions reports its costliest.
    case cache
    case coalesced
    case upstream
    /// Answered from the resolver's memory without DNS: a literal, the hosts file, the
    /// services or protocols database (refined by ``monitorSource(for:resolver:)``).
    case local

    /// The `source` of a monitor event for a lookup of `key` that took this path;
    /// `resolver` tells whether its hosts file answers the question.
    func monitorSource(for key: LookupKey, resolver: CoreResolver) -> MonitorEvent.Source {
        guard self == .local else { return monitorSource }
        switch key {
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber:
            return .database
        case .addressInfo(let request):
            if Self.isAddressLiteral(request.name) { return .literal }
            return resolver.hostsFileAnswers(name: request.name, family: request.family) ? .hosts : .upstream
        case .hostByName(let name, let family, _, _):
            if Self.isAddressLiteral(name) { return .literal }
            return resolver.hostsFileAnswers(name: name, family: family) ? .hosts : .upstream
        case .nameInfo(let request):
            if request.flags.contains(.numericHost) { return .literal }
            return resolver.hostsFileAnswers(address: request.address) ? .hosts : .upstream
        case .hostByAddress(let address, _, _):
            return resolver.hostsFileAnswers(address: address) ? .hosts : .upstream
        case .query:
            return .upstream
        }
    }

    /// The monitor's word for the path, without refining "local" (a DNS question's own path:
    /// never local).
    var monitorSource: MonitorEvent.Source {
        switch self {
        case .cache: .cache
        case .coalesced: .coalesced
        case .upstream, .local: .upstream
        }
    }

    static func isAddressLiteral(_ name: String) -> Bool {
        var buffer = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw in
            inet_pton(AF_INET, name, raw.baseAddress) == 1 || inet_pton(AF_INET6, name, raw.baseAddress) == 1
        }
    }
}
