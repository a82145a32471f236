import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The links set at run time (docs/routing.md): checked and bounded here, turned into
/// routes by ``RouteSet``, swapped into the ``LookupService`` for new lookups. A link whose
/// interface is gone is dropped by ``dropVanishedLinks()``, which the daemon's periodic
/// file check calls (every 2 s; no timer of its own).
extension ResolvdDaemon {
    /// Sets (or replaces) an interface's servers and domains. Refused: an interface this
    /// host does not have, an address or a domain that is none (10022), a link beyond the
    /// bounds (10055).
    func setLink(_ settings: LinkSettings) -> Result<Void, ResolverError> {
        guard if_nametoindex(settings.interface) != 0 else {
            return .failure(.invalidArgument("link: no interface '\(settings.interface)' on this host"))
        }
        for server in settings.servers {
            do {
                _ = try DNSServerAddress(parsing: server)
            } catch {
                return .failure(.invalidArgument("link: \(server): \(error.message)"))
            }
        }
        var domains: [Link.Domain] = []
        for text in settings.domains {
            guard let domain = Link.Domain(parsing: text) else { return .failure(.invalidArgument("link: '\(text)' is not a domain name")) }
            domains.append(domain)
        }
        let link = Link(interface: settings.interface, servers: settings.servers, domains: domains, defaultRoute: settings.defaultRoute)
        if let problem = links.problem(setting: link) {
            return .failure(ResolverError(code: .noBufferSpace, message: "link: \(problem)"))
        }
        var next = links
        next.set(link)
        return apply(next)
    }

    /// Drops an interface's settings; false when it had none.
    func revertLink(_ interface: String) -> Bool {
        var next = links
        guard next.revert(interface) else { return false }
        _ = apply(next)
        return true
    }

    /// Drops the links whose interface has gone (a VPN's tunnel closed without `-d`).
    func dropVanishedLinks() {
        let gone = links.links.filter { if_nametoindex($0.interface) == 0 }.map(\.interface)
        guard !gone.isEmpty else { return }
        var next = links
        for interface in gone { next.revert(interface) }
        logger.notice("links dropped: their interface is gone", metadata: ["interfaces": "\(gone.joined(separator: ","))"])
        _ = apply(next)
    }

    /// Rebuilds the routes with `next` links, keeping the resolvers of unchanged routes.
    private func apply(_ next: LinkTable) -> Result<Void, ResolverError> {
        guard let context = serverContext else { return .failure(.invalidArgument("the daemon is not running")) }
        let built: (routes: RouteSet, retired: [CoreResolver])
        do {
            built = try RouteSet.build(configuration: configuration, links: next.links, reusing: context.lookups.routes)
        } catch {
            return .failure(.invalidArgument("link: \(error)"))
        }
        links = next
        context.admin.links = next
        _ = context.lookups.replace(routes: built.routes)
        Self.retireWhenIdle(built.retired)
        return .success(())
    }

    /// Shuts `resolvers` down once the lookups already started on them have finished.
    static func retireWhenIdle(_ resolvers: [CoreResolver]) {
        guard !resolvers.isEmpty else { return }
        Task.detached {
            for resolver in resolvers {
                while resolver.pendingCount > 0 { try? await Task.sleep(for: .milliseconds(50)) }
                resolver.shutdown()
            }
        }
    }
}
