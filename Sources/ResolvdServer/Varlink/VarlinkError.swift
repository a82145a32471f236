import ResolvdProtocol
import ResolverCore

/// A Varlink error reply: its qualified name and parameters, as systemd-resolved sends
/// them (docs/varlink.md, "Errors"). glibc's nss-resolve turns NoNameServers,
/// QueryTimedOut, MaxAttemptsReached and NetworkDown into TRY_AGAIN (EAI_AGAIN), the
/// org.varlink.service errors into UNAVAIL (the next NSS module), and any other into
/// "not found".
struct VarlinkError: Error, Hashable {
    let name: String
    let parameters: JSONObject

    private init(_ name: String, _ parameters: JSONObject = JSONObject()) {
        self.name = name
        self.parameters = parameters
    }

    static func dnsError(rcode: Int64) -> VarlinkError { VarlinkError("io.systemd.Resolve.DNSError", ["rcode": .integer(rcode)]) }
    static let noSuchResourceRecord = VarlinkError("io.systemd.Resolve.NoSuchResourceRecord")
    static let queryTimedOut = VarlinkError("io.systemd.Resolve.QueryTimedOut")
    static let maxAttemptsReached = VarlinkError("io.systemd.Resolve.MaxAttemptsReached")
    static let queryAborted = VarlinkError("io.systemd.Resolve.QueryAborted")
    static let queryRefused = VarlinkError("io.systemd.Resolve.QueryRefused")
    static let badAddressSize = VarlinkError("io.systemd.Resolve.BadAddressSize")
    static let serviceNotProvided = VarlinkError("io.systemd.Resolve.ServiceNotProvided")
    static let resourceRecordTypeUnsupported = VarlinkError("io.systemd.Resolve.ResourceRecordTypeUnsupported")

    static func invalidParameter(_ parameter: String) -> VarlinkError {
        VarlinkError("org.varlink.service.InvalidParameter", ["parameter": .string(parameter)])
    }
    static func methodNotFound(_ method: String) -> VarlinkError {
        VarlinkError("org.varlink.service.MethodNotFound", ["method": .string(method)])
    }
    static func interfaceNotFound(_ interface: String) -> VarlinkError {
        VarlinkError("org.varlink.service.InterfaceNotFound", ["interface": .string(interface)])
    }
    /// More calls in flight on one connection than `max_lookups_per_connection`.
    static func tooManyCalls(limit: Int) -> VarlinkError {
        VarlinkError("io.resolvd.TooManyCalls", ["limit": .integer(Int64(limit))])
    }

    /// How a failed lookup is reported (docs/varlink.md has the table).
    init(_ error: ResolverError) {
        switch error.code {
        case .hostNotFound: self = .dnsError(rcode: 3)  // NXDOMAIN
        case .noData: self = .noSuchResourceRecord
        case .timedOut: self = .queryTimedOut
        // SERVFAIL, no answer after every try, a refused connection: a retry may succeed,
        // so it must reach the program as EAI_AGAIN, not as "no such name".
        case .tryAgain: self = .maxAttemptsReached
        case .cancelled, .operationAborted: self = .queryAborted
        case .invalidArgument: self = .invalidParameter("name")
        case .addressFamilyNotSupported: self = .invalidParameter("family")
        default: self = .queryRefused  // REFUSED, FORMERR, NOTIMP, a malformed answer, an answer too large
        }
    }
}
