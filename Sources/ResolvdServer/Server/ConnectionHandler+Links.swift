import NIOCore
import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// `link` and `revert_link` (admins only, like every op that changes what every client
/// gets) and `routes` (anyone): the run-time links of docs/routing.md. The daemon checks,
/// bounds and applies a link (``ResolvdDaemon``); this only runs the op and writes its reply.
extension ConnectionHandler {
    func setLink(id: Int64, _ settings: LinkSettings) {
        guard requireAdmin(id: id, op: "link") else { return }
        server.logger.notice("link set", metadata: [
            "interface": "\(settings.interface)", "dns": "\(settings.servers.joined(separator: ","))",
            "domains": "\(settings.domains.joined(separator: ","))", "default_route": "\(settings.defaultRoute)",
            "peer": "\(peer.map(\.description) ?? "unknown")",
        ])
        let admin = server.admin
        runAdminTask(id: id) { await admin.setLink(settings).map { EmptyResult() } }
    }

    func revertLink(id: Int64, interface: String) {
        guard requireAdmin(id: id, op: "revert_link") else { return }
        server.logger.notice("link reverted", metadata: ["interface": "\(interface)", "peer": "\(peer.map(\.description) ?? "unknown")"])
        let admin = server.admin
        runAdminTask(id: id) { .success(RevertLinkResult(reverted: await admin.revertLink(interface))) }
    }

    func routes(id: Int64) {
        writeLine(SuccessLine(id: id, result: server.routesResult()))
    }
}

extension ServerContext {
    /// What `routes` answers: the routes in use and the links set.
    func routesResult() -> RoutesResult {
        let routes = lookups.routes.routes.map { route in
            RoutesResult.Route(
                name: route.name, domains: Array(route.domains.prefix(RoutesResult.listedDomains)), domainCount: route.domains.count,
                servers: route.upstreams.servers.map(\.description))
        }
        let links = admin.links.links.map { link in
            RoutesResult.Link(
                interface: link.interface, index: Int(if_nametoindex(link.interface)), servers: link.servers,
                domains: link.domains.map(\.description), defaultRoute: link.defaultRoute)
        }
        return RoutesResult(routes: routes, links: links)
    }
}
