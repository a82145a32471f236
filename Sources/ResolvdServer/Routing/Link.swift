/// A network interface's DNS settings set at run time (`link` op, `resolvdctl link`,
/// `resolvconf -a`), like systemd-resolved's links: its servers, its domains and whether it
/// takes names no routing domain claims.
///
/// Settings only; ``LinkTable`` bounds how many there are and ``RouteSet`` turns them into
/// routes. A domain written `~corp.example` routes only; one without `~` routes and is a
/// search domain too, as resolved does.
public struct Link: Hashable, Sendable {
    public struct Domain: Hashable, Sendable {
        /// Normalized (``RouteTable/normalized(_:)``).
        public var name: String
        /// `~name`: a routing domain, not a search domain.
        public var routingOnly: Bool

        public init(name: String, routingOnly: Bool) {
            self.name = name
            self.routingOnly = routingOnly
        }

        /// Parses `name` or `~name`; nil for text that is no domain.
        public init?(parsing text: String) {
            let routingOnly = text.hasPrefix("~")
            guard let name = RouteTable.normalized(routingOnly ? String(text.dropFirst()) : text) else { return nil }
            self.init(name: name, routingOnly: routingOnly)
        }

        public var description: String { routingOnly ? "~" + name : name }
    }

    /// The interface name, as `if_nametoindex` knows it.
    public var interface: String
    public var servers: [String]
    public var domains: [Domain]
    /// Takes every name no longer routing domain claims (`--default-route`, `resolvconf -x`).
    public var defaultRoute: Bool

    public init(interface: String, servers: [String], domains: [Domain], defaultRoute: Bool) {
        self.interface = interface
        self.servers = servers
        self.domains = domains
        self.defaultRoute = defaultRoute
    }

    /// Whether it takes the default route: `--default-route`, or `~.` among its domains (as
    /// resolved reads it).
    public var takesDefaultRoute: Bool { defaultRoute || domains.contains { $0.name == "." } }

    /// Its search domains (those without `~`; never `.`).
    public var searchDomains: [String] { domains.filter { !$0.routingOnly && $0.name != "." }.map(\.name) }
}

/// The links set at run time, bounded: at most ``maxLinks`` interfaces, each with at most
/// ``RouteSet/maxServersPerRoute`` servers and ``maxDomainsPerLink`` domains. A pure value:
/// it neither checks that interfaces exist (the daemon does, ``ResolvdDaemon``) nor builds
/// resolvers (``RouteSet``).
public struct LinkTable: Hashable, Sendable {
    public static let maxLinks = 64
    public static let maxDomainsPerLink = 256

    /// In the order they were first set.
    public private(set) var links: [Link] = []

    public init() {}

    /// What setting a link would break, or nil when it fits.
    public func problem(setting link: Link) -> String? {
        if link.interface.isEmpty || link.interface.utf8.count > 15 || link.interface.contains("/") {
            return "'\(link.interface)' is not an interface name"
        }
        if link.servers.count > RouteSet.maxServersPerRoute {
            return "at most \(RouteSet.maxServersPerRoute) DNS servers per link (\(link.servers.count) given)"
        }
        if link.domains.count > Self.maxDomainsPerLink {
            return "at most \(Self.maxDomainsPerLink) domains per link (\(link.domains.count) given)"
        }
        if !links.contains(where: { $0.interface == link.interface }), links.count >= Self.maxLinks {
            return "at most \(Self.maxLinks) links are set at once; revert one first"
        }
        return nil
    }

    /// Sets (or replaces) a link that fits (``problem(setting:)`` nil).
    public mutating func set(_ link: Link) {
        if let index = links.firstIndex(where: { $0.interface == link.interface }) {
            links[index] = link
        } else {
            links.append(link)
        }
    }

    /// Removes the link of `interface`; false when there was none.
    @discardableResult
    public mutating func revert(_ interface: String) -> Bool {
        guard let index = links.firstIndex(where: { $0.interface == interface }) else { return false }
        links.remove(at: index)
        return true
    }
}
