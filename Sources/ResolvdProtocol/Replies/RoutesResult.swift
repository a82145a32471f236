/// The result of `routes` (docs/protocol.md, docs/routing.md): the routes a lookup's name
/// can take and the links set at run time, as `resolvdctl status` prints them. The daemon
/// writes it; the client reads it back with ``init(json:)`` (members it does not know are
/// ignored).
public struct RoutesResult: Hashable, Sendable, JSONWritable {
    public struct Route: Hashable, Sendable {
        /// `.`, a configured route's first domain, or `link:IFACE`.
        public var name: String
        /// Its routing domains, at most ``RoutesResult/listedDomains`` of them.
        public var domains: [String]
        /// How many routing domains it has (more than `domains` lists for a long list).
        public var domainCount: Int
        public var servers: [String]

        public init(name: String, domains: [String], domainCount: Int, servers: [String]) {
            self.name = name
            self.domains = domains
            self.domainCount = domainCount
            self.servers = servers
        }
    }

    public struct Link: Hashable, Sendable {
        public var interface: String
        /// `if_nametoindex` when the reply was written; 0 for an interface that is gone.
        public var index: Int
        public var servers: [String]
        /// As set: `name` or `~name`.
        public var domains: [String]
        public var defaultRoute: Bool

        public init(interface: String, index: Int, servers: [String], domains: [String], defaultRoute: Bool) {
            self.interface = interface
            self.index = index
            self.servers = servers
            self.domains = domains
            self.defaultRoute = defaultRoute
        }
    }

    /// Domains listed per route at most; `domain_count` says how many there are.
    public static let listedDomains = 1000

    public var routes: [Route]
    public var links: [Link]

    public init(routes: [Route], links: [Link]) {
        self.routes = routes
        self.links = links
    }

    public init?(json: JSONValue) {
        guard let object = json.objectValue, let routeValues = object["routes"]?.arrayValue,
              let linkValues = object["links"]?.arrayValue else { return nil }
        func strings(_ value: JSONValue?) -> [String]? {
            guard let array = value?.arrayValue else { return nil }
            let strings = array.compactMap(\.stringValue)
            return strings.count == array.count ? strings : nil
        }
        var routes: [Route] = []
        for value in routeValues {
            guard let route = value.objectValue, let name = route["name"]?.stringValue, let domains = strings(route["domains"]),
                  let count: Int = route.integer("domain_count"), let servers = strings(route["servers"]) else { return nil }
            routes.append(Route(name: name, domains: domains, domainCount: count, servers: servers))
        }
        var links: [Link] = []
        for value in linkValues {
            guard let link = value.objectValue, let interface = link["interface"]?.stringValue, let index: Int = link.integer("index"),
                  let servers = strings(link["dns"]), let domains = strings(link["domains"]),
                  let defaultRoute = link["default_route"]?.boolValue else { return nil }
            links.append(Link(interface: interface, index: index, servers: servers, domains: domains, defaultRoute: defaultRoute))
        }
        self.init(routes: routes, links: links)
    }

    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"routes\":[")
        for (index, route) in routes.enumerated() {
            if index > 0 { sink.raw(",") }
            sink.raw("{\"name\":")
            sink.string(route.name)
            sink.raw(",\"domains\":")
            sink.strings(route.domains)
            sink.raw(",\"domain_count\":")
            sink.integer(route.domainCount)
            sink.raw(",\"servers\":")
            sink.strings(route.servers)
            sink.raw("}")
        }
        sink.raw("],\"links\":[")
        for (index, link) in links.enumerated() {
            if index > 0 { sink.raw(",") }
            sink.raw("{\"interface\":")
            sink.string(link.interface)
            sink.raw(",\"index\":")
            sink.integer(link.index)
            sink.raw(",\"dns\":")
            sink.strings(link.servers)
            sink.raw(",\"domains\":")
            sink.strings(link.domains)
            sink.raw(link.defaultRoute ? ",\"default_route\":true}" : ",\"default_route\":false}")
        }
        sink.raw("]}")
    }
}

/// `{"reverted":bool}`: the result of `revert_link` (false: the interface had no settings).
public struct RevertLinkResult: Hashable, Sendable, JSONWritable {
    public var reverted: Bool

    public init(reverted: Bool) {
        self.reverted = reverted
    }

    public init?(json: JSONValue) {
        guard let reverted = json.objectValue?["reverted"]?.boolValue else { return nil }
        self.init(reverted: reverted)
    }

    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw(reverted ? "{\"reverted\":true}" : "{\"reverted\":false}")
    }
}
