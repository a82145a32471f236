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

    /// What an op does, which decides how the daemon runs it.
    public enum Kind: Hashable, Sendable {
        /// Starts a lookup: one reply when it completes, cancellable by its id.
        case lookup
        /// Cancels lookups of the same connection by their ids.
        case cancel
        /// Reports on the daemon (`hello`, `stats`, `monitor`); anyone may ask.
        case information
        /// Changes state or shows what every client asked (`reload`, `flush_cache`,
        /// `dump_cache`); admins only.
        case admin
    }

    public var kind: Kind {
        switch self {
        case .getAddrInfo, .getNameInfo, .query, .getHostByName, .getHostByAddr, .getServByName, .getServByPort,
            .getProtoByName, .getProtoByNumber:
            .lookup
        case .cancel, .cancelAsyncRequest, .cancelAll: .cancel
        case .hello, .stats, .monitor: .information
        case .reload, .flushCache, .dumpCache: .admin
        }
    }

    public var isLookup: Bool { kind == .lookup }
    public var isCancel: Bool { kind == .cancel }
    public var isAdmin: Bool { kind == .admin }

    /// The wire names of every op, in the order `hello` lists them.
    public static let wireNames: [String] = allCases.map(\.rawValue)
}
