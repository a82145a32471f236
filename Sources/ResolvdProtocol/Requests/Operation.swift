/// One op of protocol v1, by its wire name: the one list of ops the decoder accepts, the
/// client sends and `hello` reports (``allCases``, in that order).
///
/// It names an op; what the op carries is ``Request/Command``.
public enum Operation: String, CaseIterable, Hashable, Sendable {
    case getAddrInfo = "getaddrinfo"
    case getNameInfo = "getnameinfo"
    case query
    case getHostByName = "gethostbyname"
    case getHostByAddr = "gethostbyaddr"
    case getServByName = "getservbyname"
    case getServByPort = "getservbyport"
    case getProtoByName = "getprotobyname"
    case getProtoByNumber = "getprotobynumber"
    case cancel
    case cancelAsyncRequest = "cancel_async_request"
    case cancelAll = "cancel_all"
    case hello
    case stats
    case reload
    case flushCache = "flush_cache"
    case monitor
    case dumpCache = "dump_cache"
    case link
    case revertLink = "revert_link"
    case routes

    /// The op of a wire name. Written out rather than synthesized: for an enum of more than
    /// 16 cases Swift's synthesized initializer hashes the string into a lookup table, which
    /// cost ~1,000 instructions per request (callgrind, docs/performance.md); a switch
    /// compares small strings as two words, the most frequent ops first.
    @inlinable
    public init?(rawValue: String) {
        switch rawValue {
        case "getaddrinfo": self = .getAddrInfo
        case "query": self = .query
        case "cancel": self = .cancel
        case "getnameinfo": self = .getNameInfo
        case "gethostbyname": self = .getHostByName
        case "gethostbyaddr": self = .getHostByAddr
        case "getservbyname": self = .getServByName
        case "getservbyport": self = .getServByPort
        case "getprotobyname": self = .getProtoByName
        case "getprotobynumber": self = .getProtoByNumber
        case "cancel_async_request": self = .cancelAsyncRequest
        case "cancel_all": self = .cancelAll
        case "hello": self = .hello
        case "stats": self = .stats
        case "reload": self = .reload
        case "flush_cache": self = .flushCache
        case "monitor": self = .monitor
        case "dump_cache": self = .dumpCache
        case "link": self = .link
        case "revert_link": self = .revertLink
        case "routes": self = .routes
        default: return nil
        }
    }

    /// What an op does, which decides how the daemon runs it.
    public enum Kind: Hashable, Sendable {
        /// Starts a lookup: one reply when it completes, cancellable by its id.
        case lookup
        /// Cancels lookups of the same connection by their ids.
        case cancel
        /// Reports on the daemon (`hello`, `stats`, `monitor`, `routes`); anyone may ask.
        case information
        /// Changes state or shows what every client asked (`reload`, `flush_cache`,
        /// `dump_cache`, `link`, `revert_link`); admins only.
        case admin
    }

    public var kind: Kind {
        switch self {
        case .getAddrInfo, .getNameInfo, .query, .getHostByName, .getHostByAddr, .getServByName, .getServByPort,
            .getProtoByName, .getProtoByNumber:
            .lookup
        case .cancel, .cancelAsyncRequest, .cancelAll: .cancel
        case .hello, .stats, .monitor, .routes: .information
        case .reload, .flushCache, .dumpCache, .link, .revertLink: .admin
        }
    }

    public var isLookup: Bool { kind == .lookup }
    public var isCancel: Bool { kind == .cancel }
    public var isAdmin: Bool { kind == .admin }

    /// The wire names of every op, in the order `hello` lists them.
    public static let wireNames: [String] = allCases.map(\.rawValue)
}
