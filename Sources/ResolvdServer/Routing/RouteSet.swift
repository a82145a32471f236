import ResolvdProtocol
import ResolverCore
import Synchronization

/// One route's engine: its own ``CoreResolver`` (own channels, own upstream health and
/// failover: a dead server of this route fails over to this route's next server, never to
/// another route's) and the lookups that took it. Kept across link changes while the
/// route's servers stay the same, so health is not learnt again.
final class RouteUpstreams: Sendable {
    let resolver: CoreResolver
    let servers: [DNSServerAddress]
    let searchDomains: [String]
    /// Upstream lookups started on this route (`stats` → `routes`).
    let lookups = Atomic<Int>(0)

    init(resolver: CoreResolver, servers: [DNSServerAddress], searchDomains: [String]) {
        self.resolver = resolver
        self.servers = servers
        self.searchDomains = searchDomains
    }
}

/// A route: a name, the routing domains that lead to it and its upstreams.
struct Route: Sendable {
    /// `.` for the default route, the first domain of a configured route, `link:IFACE` for a link's.
    let name: String
    /// Part of the cache key: answers of different routes are kept apart (``HashedKey``).
    /// The same for the same name across rebuilds (0 for `.`), so a reload keeps the cache.
    let id: UInt32
    let domains: [String]
    let upstreams: RouteUpstreams

    var resolver: CoreResolver { upstreams.resolver }
}

/// Which resolver asks a question: the routes of the configuration (`dns` = `.`, `route =
/// DOMAIN SERVER…`) and of the links set at run time, with a ``RouteTable`` over their
/// domains (docs/routing.md). ``route(for:)`` is the one place that decides it.
///
/// Immutable: a reload or a link change builds a new set (``build(configuration:links:reusing:)``),
/// which ``LookupService`` swaps in for new lookups; lookups in flight finish on the
/// resolver they started on. It does not check that a link's interface exists (the
/// daemon does) or count anything but each route's lookups.
final class RouteSet: Sendable {
    /// Servers one route may have (a configured route, a link).
    static let maxServersPerRoute = 16
    /// Distinct server lists among the configured routes: each is a resolver with its own
    /// threads (docs/routing.md, "Limits"); domains are not limited.
    static let maxConfiguredRouteGroups = 64

    /// `routes[0]` is the default route `.`.
    let routes: [Route]
    private let table: RouteTable
    /// The links' search domains, for names with fewer than `ndots` dots (docs/routing.md).
    private let searchDomains: [String]
    private let ndots: Int

    private init(routes: [Route], table: RouteTable, searchDomains: [String], ndots: Int) {
        self.routes = routes
        self.table = table
        self.searchDomains = searchDomains
        self.ndots = ndots
    }

    /// One route, `.`, to `resolver` (a daemon without routes, and the tests of the cache).
    convenience init(defaultResolver resolver: CoreResolver) {
        var table = RouteTable()
        table.insert(".", 0)
        let upstreams = RouteUpstreams(resolver: resolver, servers: resolver.configuration.servers, searchDomains: resolver.configuration.searchDomains)
        self.init(routes: [Route(name: ".", id: 0, domains: ["."], upstreams: upstreams)], table: table, searchDomains: [], ndots: 1)
    }

    var defaultRoute: Route { routes[0] }
    var allResolvers: [CoreResolver] { routes.map(\.resolver) }

    /// Whether there is any route but `.` (else every name takes `.` without a match).
    var isRouted: Bool { routes.count > 1 }

    /// The index in ``routes`` of the route that asks `name`: its longest routing domain;
    /// for a name with fewer than `ndots` dots, a link's search domain that leads to a
    /// route; else `.` (0). The one decision; everything below reads it.
    private func routeIndex(for name: String) -> Int {
        guard routes.count > 1 else { return 0 }
        if let match = table.match(name), match.labels > 0 { return Int(match.value) }
        if !searchDomains.isEmpty, name.utf8.last != UInt8(ascii: "."), name.utf8.count(where: { $0 == UInt8(ascii: ".") }) < ndots {
            for domain in searchDomains {
                if let match = table.match(name + "." + domain), match.labels > 0 { return Int(match.value) }
            }
        }
        return 0
    }

    private func routeIndex(for request: LookupRequest) -> Int {
        guard routes.count > 1, let name = request.routingName else { return 0 }
        return routeIndex(for: name)
    }

    /// The route that asks `name`.
    func route(for name: String) -> Route { routes[routeIndex(for: name)] }

    /// The route of a lookup: by the name it asks (the reverse name of an address); lookups
    /// that ask no name (services, protocols) take `.`.
    func route(for request: LookupRequest) -> Route { routes[routeIndex(for: request)] }

    /// Its route's ``Route/id`` (the cache key's part), without copying the route.
    func routeID(for request: LookupRequest) -> UInt32 { routes[routeIndex(for: request)].id }

    /// Each route's upstream statuses, labelled with its name (`stats` → `upstreams`).
    var upstreamStatuses: [UpstreamStatus] {
        routes.flatMap { route in
            route.resolver.upstreamStatuses.map { status in
                var status = status
                status.route = route.name
                return status
            }
        }
    }

    private static let ids = InlineMutex<[String: UInt32]>([".": 0])

    /// A stable small number per route name (see ``Route/id``).
    private static func id(for name: String) -> UInt32 {
        ids.withLock { ids in
            if let id = ids[name] { return id }
            let id = UInt32(ids.count)
            ids[name] = id
            return id
        }
    }

    /// Builds the routes of `configuration` and `links`. With `previous`, a route whose
    /// name, servers and search list are unchanged keeps its resolver (a link change);
    /// without, every resolver is new (a reload: timeouts and the rest may have changed).
    /// Returns the resolvers of `previous` it did not keep, for the caller to retire once idle.
    static func build(
        configuration: DaemonConfiguration, links: [Link], reusing previous: RouteSet?
    ) throws(ConfigurationError) -> (routes: RouteSet, retired: [CoreResolver]) {
        struct Plan {
            var name: String
            /// What ``Route/id`` is drawn from: the name, and for `.` taken by links, those
            /// links (a VPN's answers are not kept as the public servers' once it is gone).
            var idKey: String
            var servers: [DNSServerAddress]
            var domains: [String]
            var searchDomains: [String]
        }
        let base = configuration.resolver
        var plans: [Plan] = []
        // `.`: the servers of the links that take the default route, else `dns`.
        let defaultLinkServers = links.filter(\.takesDefaultRoute).flatMap { link in link.servers.compactMap { try? DNSServerAddress(parsing: $0) } }
        let defaultLinks = links.filter(\.takesDefaultRoute).map(\.interface)
        plans.append(Plan(name: ".", idKey: defaultLinkServers.isEmpty ? "." : ".|" + defaultLinks.joined(separator: ","), servers: defaultLinkServers.isEmpty ? base.servers : defaultLinkServers, domains: ["."], searchDomains: base.searchDomains))
        // Configured routes with the same servers share one route (one resolver), named by its first domain.
        for route in configuration.routes where route.domain != "." {
            if let index = plans.indices.dropFirst().first(where: { plans[$0].servers == route.servers }) {
                plans[index].domains.append(route.domain)
            } else {
                plans.append(Plan(name: route.domain, idKey: route.domain, servers: route.servers, domains: [route.domain], searchDomains: base.searchDomains))
            }
        }
        if plans.count - 1 > maxConfiguredRouteGroups {
            throw ConfigurationError("route: \(plans.count - 1) distinct server lists; at most \(maxConfiguredRouteGroups) (each is a resolver of its own)")
        }
        var linkSearch: [String] = []
        for link in links {
            let servers = link.servers.compactMap { try? DNSServerAddress(parsing: $0) }
            let domains = link.domains.map(\.name).filter { $0 != "." }
            linkSearch += link.searchDomains
            guard !servers.isEmpty, !domains.isEmpty else { continue }
            plans.append(Plan(name: "link:" + link.interface, idKey: "link:" + link.interface, servers: servers, domains: domains, searchDomains: link.searchDomains + base.searchDomains))
        }

        var kept: Set<ObjectIdentifier> = []
        var routes: [Route] = []
        var table = RouteTable()
        do {
            for plan in plans {
                let upstreams: RouteUpstreams
                if let old = previous?.routes.first(where: { $0.name == plan.name && $0.upstreams.servers == plan.servers && $0.upstreams.searchDomains == plan.searchDomains })?.upstreams {
                    upstreams = old
                    kept.insert(ObjectIdentifier(old))
                } else {
                    var resolverConfiguration = base
                    resolverConfiguration.servers = plan.servers
                    resolverConfiguration.searchDomains = plan.searchDomains
                    let resolver: CoreResolver
                    do {
                        // Replies read on the event loops the lookups come from.
                        resolver = try CoreResolver(
                            configuration: resolverConfiguration, datagramReaders: EventLoopDatagramReaders.shared)
                    } catch {
                        throw ConfigurationError("cannot start the resolver of route \(plan.name): \(error.message)")
                    }
                    upstreams = RouteUpstreams(resolver: resolver, servers: plan.servers, searchDomains: plan.searchDomains)
                }
                let index = Int32(routes.count)
                for domain in plan.domains { table.insert(domain, index) }
                routes.append(Route(name: plan.name, id: id(for: plan.idKey), domains: plan.domains, upstreams: upstreams))
            }
        } catch {
            // Stop what was started for this set; keep what belongs to `previous`.
            for route in routes where !kept.contains(ObjectIdentifier(route.upstreams)) { route.resolver.shutdown() }
            throw error as? ConfigurationError ?? ConfigurationError("\(error)")
        }
        var seen: Set<String> = []
        let search = linkSearch.filter { seen.insert($0).inserted }
        let set = RouteSet(routes: routes, table: table, searchDomains: search, ndots: base.ndots)
        let retired = previous?.routes.filter { !kept.contains(ObjectIdentifier($0.upstreams)) }.map(\.resolver) ?? []
        return (set, retired)
    }
}

extension LookupRequest {
    /// The name a lookup's DNS question asks, for routing: the name, or an address's
    /// reverse name; nil for what asks no name (services, protocols).
    var routingName: String? {
        switch self {
        case .addressInfo(let request): request.name
        case .query(let name, _, _), .hostByName(let name, _, _, _): name
        case .nameInfo(let request): ReverseName.of(request.address)
        case .hostByAddress(let address, _, _): ReverseName.of(address)
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber: nil
        }
    }
}
