import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

#if canImport(Glibc)
import Glibc
#endif

/// `route =` and `--route` as parsed (errors naming the line), ``LinkTable``'s bounds and
/// ``RouteSet/build(configuration:links:reusing:)``'s grouping and limit, without a daemon.
@Suite struct RoutingConfigurationTests {
    private func load(_ text: String, routes: [String] = []) throws -> DaemonConfiguration {
        let path = "/tmp/resolvd-routes-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).conf"
        try writeFile(path, text)
        defer { unlink(path) }
        var overrides = DaemonConfiguration.Overrides()
        overrides.routes = routes
        return try DaemonConfiguration.load(file: path, overrides: overrides, environment: [:], isRoot: false, resolvConf: "/dev/null")
    }

    @Test func routeLinesAndFlagsAreParsed() throws {
        let configuration = try load(
            "dns = 192.0.2.53\nroute = Corp.Example. 10.1.2.3 10.1.2.4:5353\nroute = 2.10.in-addr.arpa [2001:db8::1]:53\n",
            routes: ["lab.corp.example=10.9.9.9,10.9.9.8", ".=192.0.2.54"])
        #expect(configuration.routes.map(\.domain) == ["corp.example", "2.10.in-addr.arpa", "lab.corp.example"])
        #expect(configuration.routes[0].servers.map(\.description) == ["10.1.2.3:53", "10.1.2.4:5353"])
        #expect(configuration.routes[2].servers.map(\.description) == ["10.9.9.9:53", "10.9.9.8:53"])
        #expect(configuration.resolver.servers.map(\.description) == ["192.0.2.54:53"], "--route .= is the default route, as --dns")
    }

    @Test func badRoutesNameTheLineAndTheProblem() throws {
        #expect(throws: ConfigurationError.self) { try load("route = corp.example\n") }
        do {
            _ = try load("\nroute = corp..example 10.1.2.3\n")
            Issue.record("a domain with an empty label was accepted")
        } catch {
            #expect("\(error)".hasSuffix(":2: route: 'corp..example' is not a domain name"), "\(error)")
        }
        do {
            _ = try load("", routes: ["corp.example=not-an-address"])
            Issue.record("a server that is no address was accepted")
        } catch {
            #expect("\(error)".hasPrefix("--route corp.example=not-an-address: not-an-address:"), "\(error)")
        }
        let seventeen = (1...17).map { "10.0.0.\($0)" }.joined(separator: " ")
        #expect(throws: ConfigurationError.self) { try load("route = corp.example \(seventeen)\n") }
    }

    @Test func linkTableBounds() {
        var table = LinkTable()
        for index in 0..<LinkTable.maxLinks {
            let link = Link(interface: "if\(index)", servers: ["10.0.0.1"], domains: [], defaultRoute: false)
            #expect(table.problem(setting: link) == nil)
            table.set(link)
        }
        let extra = Link(interface: "if-extra", servers: ["10.0.0.1"], domains: [], defaultRoute: false)
        #expect(table.problem(setting: extra)?.contains("at most 64 links") == true)
        // Replacing one that is set is no new link.
        #expect(table.problem(setting: Link(interface: "if3", servers: [], domains: [], defaultRoute: true)) == nil)
        let tooManyServers = Link(interface: "if3", servers: Array(repeating: "10.0.0.1", count: 17), domains: [], defaultRoute: false)
        #expect(table.problem(setting: tooManyServers)?.contains("at most 16 DNS servers") == true)
        let domains = (0...256).map { Link.Domain(name: "d\($0).example", routingOnly: true) }
        #expect(table.problem(setting: Link(interface: "if3", servers: [], domains: domains, defaultRoute: false))?.contains("at most 256 domains") == true)
        #expect(table.problem(setting: Link(interface: "a/b", servers: [], domains: [], defaultRoute: false)) != nil)
        #expect(table.revert("if3") && !table.revert("if3") && table.links.count == 63)
        #expect(Link.Domain(parsing: "~Corp.Example") == Link.Domain(name: "corp.example", routingOnly: true))
        let tilde = Link(interface: "wg0", servers: ["10.0.0.1"], domains: [Link.Domain(parsing: "~.")!, Link.Domain(parsing: "corp.example")!], defaultRoute: false)
        #expect(tilde.takesDefaultRoute && tilde.searchDomains == ["corp.example"], "~. is the default route, as resolved reads it")
    }

    /// Routes with the same servers are one route; more than 64 server lists are refused
    /// before any resolver starts.
    @Test func sameServersShareARouteAndServerListsAreBounded() throws {
        var configuration = DaemonConfiguration(socketPath: "/nonexistent", resolver: ResolverConfiguration(servers: [try DNSServerAddress(parsing: "127.0.0.1:1")]))
        configuration.resolver.hostsFile = nil
        configuration.resolver.channelCount = 1
        let a = [try DNSServerAddress(parsing: "127.0.0.1:2")]
        let b = [try DNSServerAddress(parsing: "127.0.0.1:3")]
        configuration.routes = [
            ConfiguredRoute(domain: "corp.example", servers: a), ConfiguredRoute(domain: "lab.test", servers: b),
            ConfiguredRoute(domain: "2.10.in-addr.arpa", servers: a),
        ]
        let built = try RouteSet.build(configuration: configuration, links: [], reusing: nil)
        defer { built.routes.allResolvers.forEach { $0.shutdown() } }
        #expect(built.routes.routes.map(\.name) == [".", "corp.example", "lab.test"])
        #expect(built.routes.routes[1].domains == ["corp.example", "2.10.in-addr.arpa"])
        #expect(built.routes.route(for: "x.2.10.in-addr.arpa").name == "corp.example")
        #expect(built.routes.route(for: "WWW.LAB.TEST.").name == "lab.test")
        #expect(built.routes.route(for: "www.example.org").name == ".")

        // A link change keeps the resolvers of unchanged routes.
        let link = Link(interface: "lo", servers: ["127.0.0.1:4"], domains: [Link.Domain(name: "vpn.test", routingOnly: false)], defaultRoute: false)
        let next = try RouteSet.build(configuration: configuration, links: [link], reusing: built.routes)
        defer { next.routes.routes.last?.resolver.shutdown() }
        #expect(next.retired.isEmpty)
        #expect(next.routes.routes.prefix(3).map { ObjectIdentifier($0.resolver) } == built.routes.routes.map { ObjectIdentifier($0.resolver) })
        #expect(next.routes.route(for: "host").name == "link:lo", "a link's search domain routes a short name")

        configuration.routes = (0...64).map { ConfiguredRoute(domain: "d\($0).test", servers: [try! DNSServerAddress(parsing: "127.0.0.1:\(1000 + $0)")]) }
        #expect(throws: ConfigurationError.self) { try RouteSet.build(configuration: configuration, links: [], reusing: nil) }
    }
}
