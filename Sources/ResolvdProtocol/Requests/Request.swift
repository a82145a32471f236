/// One protocol v1 request, typed: its id and what it asks.
///
/// The daemon gets one from ``RequestDecoder``; the client writes one as a line (it is
/// ``JSONWritable``). A `Request` only says what was asked; whether a name exists or a
/// handle is pending is for the resolver and the connection to decide.
public struct Request: Hashable, Sendable {
    public var id: Int64
    public var command: Command
    /// For a lookup: whether an expired cache entry may answer it when the upstreams fail
    /// or are slow (serve-stale, docs/cache.md); `"stale": false` on the wire.
    public var allowsStale: Bool

    public init(id: Int64, command: Command, allowsStale: Bool = true) {
        self.id = id
        self.command = command
        self.allowsStale = allowsStale
    }

    /// What a request asks, with its typed parameters: one case per op, the lookups
    /// grouped under ``lookup(_:)``.
    public enum Command: Hashable, Sendable {
        /// Any lookup op: what it asks is exactly the key it is coalesced and cached under.
        case lookup(LookupRequest)
        /// GetAddrInfoExCancel on the lookup whose id is `handle`.
        case cancel(handle: Int64)
        /// WSACancelAsyncRequest on the lookup whose id is `handle`.
        case cancelAsyncRequest(handle: Int64)
        /// CancelIoEx(NULL): every lookup of the connection.
        case cancelAll
        case hello
        case stats
        /// Admin only: re-read the configuration, as SIGHUP does.
        case reload
        /// Admin only: empty the answer cache.
        case flushCache
        /// Event lines for every finished lookup the peer may see, until cancelled.
        case monitor
        /// Admin only: the cache's entries, at most `limit` of them.
        case dumpCache(limit: Int)
        /// Admin only: set an interface's DNS servers and domains (docs/routing.md).
        case link(LinkSettings)
        /// Admin only: drop an interface's settings.
        case revertLink(interface: String)
        /// The routes and links in use.
        case routes

        public var operation: Operation {
            switch self {
            case .lookup(let lookup): lookup.operation
            case .cancel: .cancel
            case .cancelAsyncRequest: .cancelAsyncRequest
            case .cancelAll: .cancelAll
            case .hello: .hello
            case .stats: .stats
            case .reload: .reload
            case .flushCache: .flushCache
            case .monitor: .monitor
            case .dumpCache: .dumpCache
            case .link: .link
            case .revertLink: .revertLink
            case .routes: .routes
            }
        }
    }

    /// The largest id (and handle): JSON numbers are exact up to 2^53 - 1.
    public static let maxID: Int64 = (1 << 53) - 1

    /// The id of a request object, if it has a valid one (an integer in 1 … 2^53-1).
    public static func id(of object: JSONObject) -> Int64? {
        guard let value = object["id"], let id = value.intValue, id >= 1, id <= maxID else { return nil }
        if case .double = value { return nil }  // 7.0 is not an integer id
        return id
    }
}

/// What the `link` op sets for one interface, as asked: the daemon checks the interface,
/// the addresses and the domains, and bounds them (docs/routing.md).
public struct LinkSettings: Hashable, Sendable {
    public var interface: String
    /// `HOST[:PORT]` each.
    public var servers: [String]
    /// `domain` (routing and search) or `~domain` (routing only).
    public var domains: [String]
    /// Names no routing domain claims go to this link's servers.
    public var defaultRoute: Bool

    public init(interface: String, servers: [String], domains: [String], defaultRoute: Bool) {
        self.interface = interface
        self.servers = servers
        self.domains = domains
        self.defaultRoute = defaultRoute
    }
}
