import ArgumentParser
import ResolverClient

/// `link`, `revert` and `status`: an interface's DNS settings at run time and the routes
/// in use, as `resolvectl dns/domain/default-route`, `revert` and `status` do
/// (docs/routing.md). `link` and `revert` need root or the admin group.
struct LinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Set an interface's DNS servers and domains (root or the configured admin group only).",
        discussion: """
            Names under the domains go to the servers; a domain written ~DOMAIN routes only, one \
            without ~ is a search domain too. With --default-route, names no routing domain \
            claims go to these servers. The settings replace the interface's previous ones and \
            go away with `revert` or when the interface does.
            """)

    @ParentCommand var root: Resolvdctl

    @Argument(help: "The network interface, e.g. wg0.")
    var interface: String

    @Option(name: .customLong("dns"), help: ArgumentHelp("A DNS server, HOST[:PORT]; repeatable.", valueName: "server"))
    var servers: [String] = []

    @Option(name: .customLong("domain"), help: ArgumentHelp("A routing (and search) domain, or ~DOMAIN to route only; repeatable.", valueName: "domain"))
    var domains: [String] = []

    @Flag(name: .customLong("default-route"), help: "Send names no routing domain claims to these servers.")
    var defaultRoute = false

    func run() async throws {
        let settings = LinkSettings(interface: interface, servers: servers, domains: domains, defaultRoute: defaultRoute)
        try await Session(connection: root.options).run(.link(settings)) { _ in [] }
    }
}

struct RevertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Drop an interface's DNS settings (root or the configured admin group only).")

    @ParentCommand var root: Resolvdctl

    @Argument(help: "The network interface.")
    var interface: String

    func run() async throws {
        try await Session(connection: root.options).run(.revertLink(interface: interface)) { result in
            RevertLinkResult(json: result).map { $0.reverted ? [] : ["\(interface) had no DNS settings"] }
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the routes and the links' DNS settings, as resolvectl status does.")

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options).run(.routes, format: Self.lines)
    }

    /// `Global` (the default route), one section per other route, then one per link.
    static func lines(_ result: JSONValue) -> [String]? {
        guard let status = RoutesResult(json: result) else { return nil }
        var lines: [String] = []
        func field(_ name: String, _ values: [String]) {
            guard !values.isEmpty else { return }
            lines.append(ObserveFormatter.pad(name + ":", 16) + " " + values.joined(separator: " "))
        }
        for route in status.routes {
            lines.append(route.name == "." ? "Global" : "Route \(route.name)")
            field("  DNS Servers", route.servers)
            if route.name != "." {
                let more = route.domainCount - route.domains.count
                field("  DNS Domain", route.domains + (more > 0 ? ["(+\(more) more)"] : []))
            }
            lines.append("")
        }
        for link in status.links {
            lines.append(link.index > 0 ? "Link \(link.index) (\(link.interface))" : "Link \(link.interface) (gone)")
            lines.append(ObserveFormatter.pad("  Default Route:", 16) + " " + (link.defaultRoute ? "yes" : "no"))
            field("  DNS Servers", link.servers)
            field("  DNS Domain", link.domains)
            lines.append("")
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
