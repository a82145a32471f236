import ResolvdProtocol
import ResolverTesting
import Testing

/// Split DNS through the real daemon (docs/routing.md): loopback upstreams that log every
/// name they are asked (``ScriptedUpstream/namesAsked``) show which servers each name
/// reached — a route's names only its servers, the rest only the default; the longest
/// routing domain; a reverse zone; a route's dead server failing over to the route's
/// second server, never to another route's; the route in `stats`, Prometheus and `monitor`.
@Suite(.serialized) struct DaemonRoutingTests {
    /// What the upstreams were asked, without the daemon's own health probes (`localhost.`).
    static func asked(_ upstream: ScriptedUpstream) -> Set<String> {
        Set(upstream.namesAsked.filter { $0 != "localhost" })
    }

    static func resolve(_ client: LineClient, _ name: String, id: inout Int64) -> Int64? {
        defer { id += 1 }
        return client.call(#"{"id":\#(id),"op":"getaddrinfo","name":"\#(name)","family":"inet"}"#, id: id)?.status
    }

    static func stats(_ client: LineClient, id: inout Int64) throws -> StatsResult {
        defer { id += 1 }
        let reply = try #require(client.call(#"{"id":\#(id),"op":"stats"}"#, id: id)?.result)
        return try #require(StatsResult(json: .object(reply)), "stats did not decode: \(reply)")
    }

    @Test func namesUnderARouteReachOnlyItsServersAndTheLongestDomainWins() throws {
        let publicServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        let corpServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { publicServer.stop(); corpServer.stop() }
        // The file's syntax for one route, the flag's for the other; lab.corp.example is
        // under corp.example but routed back to the public server: the longer domain wins.
        let daemon = try DaemonProcess.start(
            upstream: publicServer.serverAddress, config: "route = corp.example \(corpServer.serverAddress)\n",
            extraArguments: ["--route", "lab.corp.example=\(publicServer.serverAddress)"])
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 1
        for name in ["www.corp.example", "Mail.CORP.example.", "corp.example", "host.lab.corp.example", "www.example.org", "xcorp.example"] {
            #expect(Self.resolve(client, name, id: &id) == 0, "\(name)")
        }
        #expect(Self.asked(corpServer) == ["www.corp.example", "mail.corp.example", "corp.example"])
        #expect(Self.asked(publicServer) == ["host.lab.corp.example", "www.example.org", "xcorp.example"])

        let stats = try Self.stats(client, id: &id)
        #expect(stats.routes.map(\.name) == [".", "corp.example", "lab.corp.example"])
        #expect(stats.routes.map(\.lookups) == [2, 3, 1])
        #expect(stats.upstreams.map(\.route) == [".", "corp.example", "lab.corp.example"])
        #expect(stats.upstreams[1].address == corpServer.serverAddress && stats.upstreams[1].answers >= 3)
        let prometheus = stats.prometheusText
        #expect(prometheus.contains(#"resolvd_route_lookups_total{route="corp.example"} 3"#), "\(prometheus)")
        #expect(prometheus.contains(#"resolvd_upstream_queries_total{upstream="\#(corpServer.serverAddress)",route="corp.example"}"#))
    }

    /// Routing is per DNS question (docs/routing.md): a short name is expanded by the search
    /// list first, and each name it makes is routed by itself — `host` with the search domain
    /// `corp.example` is asked as `host.corp.example`, of the route's server only; the PTR
    /// question of an address by its reverse name.
    @Test func eachQuestionIsRoutedByItsOwnName() throws {
        let publicServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        let corpServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { publicServer.stop(); corpServer.stop() }
        let daemon = try DaemonProcess.start(
            upstream: publicServer.serverAddress, config: "route = corp.example \(corpServer.serverAddress)\n",
            extraArguments: ["--search", "corp.example"])
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 1
        #expect(Self.resolve(client, "host", id: &id) == 0)
        #expect(Self.asked(corpServer) == ["host.corp.example"])
        #expect(Self.asked(publicServer).isEmpty, "\(Self.asked(publicServer))")
        #expect(Self.resolve(client, "www.example.org", id: &id) == 0)
        #expect(Self.asked(publicServer) == ["www.example.org"])
    }

    @Test func theSameNameIsCachedApartPerRoute() throws {
        let publicServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        let corpServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { publicServer.stop(); corpServer.stop() }
        let daemon = try DaemonProcess.start(upstream: publicServer.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 1
        #expect(Self.resolve(client, "www.corp.example", id: &id) == 0)
        #expect(Self.asked(publicServer) == ["www.corp.example"])
        // A route added at run time: the public server's cached answer is not the route's.
        let link = client.call(#"{"id":\#(id),"op":"link","interface":"lo","dns":["\#(corpServer.serverAddress)"],"domains":["~corp.example"]}"#, id: id)
        id += 1
        #expect(link?.status == 0, "\(String(describing: link))")
        #expect(Self.resolve(client, "www.corp.example", id: &id) == 0)
        #expect(Self.asked(corpServer) == ["www.corp.example"], "the route's server was asked despite the cached answer of '.'")
        #expect(Self.resolve(client, "www.corp.example", id: &id) == 0)
        #expect(corpServer.namesAsked.count(where: { $0 == "www.corp.example" }) == 1, "then its own answer is cached")
        let revert = client.call(#"{"id":\#(id),"op":"revert_link","interface":"lo"}"#, id: id)
        id += 1
        #expect(revert?.result?["reverted"]?.boolValue == true)
        #expect(Self.resolve(client, "www.corp.example", id: &id) == 0)
        #expect(publicServer.namesAsked.count(where: { $0 == "www.corp.example" }) == 1, "'.''s answer is still cached")
    }

    @Test func aReverseZoneRouteTakesItsAddresses() throws {
        let publicServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        let vpnServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { publicServer.stop(); vpnServer.stop() }
        let daemon = try DaemonProcess.start(
            upstream: publicServer.serverAddress, config: "route = 2.10.in-addr.arpa \(vpnServer.serverAddress)\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 1
        // The scripted servers have no PTR records: what matters is who was asked.
        _ = client.call(#"{"id":\#(id),"op":"getnameinfo","address":"10.2.3.4"}"#, id: id)
        _ = client.call(#"{"id":\#(id + 1),"op":"gethostbyaddr","address":"10.2.9.8"}"#, id: id + 1)
        _ = client.call(#"{"id":\#(id + 2),"op":"getnameinfo","address":"10.3.3.4"}"#, id: id + 2)
        _ = client.call(#"{"id":\#(id + 3),"op":"query","name":"5.2.10.in-addr.arpa","type":"PTR"}"#, id: id + 3)
        id += 4
        #expect(Self.asked(vpnServer) == ["4.3.2.10.in-addr.arpa", "8.9.2.10.in-addr.arpa", "5.2.10.in-addr.arpa"])
        #expect(Self.asked(publicServer) == ["4.3.3.10.in-addr.arpa"])
    }

    /// corp.example's first server never answers: its names fail over to its second, and
    /// no name of corp.example reaches the default route's server; `stats` shows the dead
    /// server down under its route, the default route's server untouched.
    @Test func aRoutesDeadServerFailsOverToItsSecondNeverToAnotherRoutes() throws {
        let publicServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        let corpSecond = try ScriptedUpstream.start(script: .silentForSomeNames)
        let corpDead = try SilentUpstream.start()
        defer { publicServer.stop(); corpSecond.stop(); corpDead.stop() }
        let daemon = try DaemonProcess.start(
            upstream: publicServer.serverAddress, timeoutMilliseconds: 150, tries: 2,
            extraArguments: ["--route", "corp.example=\(corpDead.serverAddress),\(corpSecond.serverAddress)", "--probe-interval-ms", "60000"])
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 1
        var names: Set<String> = []
        for index in 0..<12 {
            let name = "host\(index).corp.example"
            names.insert(name)
            #expect(Self.resolve(client, name, id: &id) == 0, "\(name) answered by the route's second server")
        }
        #expect(Self.resolve(client, "www.example.org", id: &id) == 0)
        #expect(Self.asked(corpSecond) == names)
        #expect(Self.asked(publicServer) == ["www.example.org"], "no name of corp.example reached the default route")
        let stats = try Self.stats(client, id: &id)
        let dead = try #require(stats.upstreams.first { $0.address == corpDead.serverAddress })
        #expect(dead.route == "corp.example" && !dead.up && dead.timeouts >= 2)
        let publicStatus = try #require(stats.upstreams.first { $0.address == publicServer.serverAddress })
        #expect(publicStatus.route == "." && publicStatus.up && publicStatus.timeouts == 0)
    }

    @Test func monitorShowsTheRouteALookupTook() throws {
        let publicServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        let corpServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { publicServer.stop(); corpServer.stop() }
        let daemon = try DaemonProcess.start(upstream: publicServer.serverAddress, extraArguments: ["--route", "corp.example=\(corpServer.serverAddress)"])
        defer { daemon.stop() }
        let monitor = try daemon.connect()
        monitor.send(#"{"id":1,"op":"monitor"}"#)
        let client = try daemon.connect()
        var id: Int64 = 1
        // The monitor is running once its own stats sees it; then two lookups.
        _ = monitor.call(#"{"id":2,"op":"hello"}"#, id: 2)
        #expect(Self.resolve(client, "www.corp.example", id: &id) == 0)
        #expect(Self.resolve(client, "www.example.org", id: &id) == 0)
        var routes: [String: String] = [:]
        while routes.count < 2, let line = monitor.readLine(timeout: .seconds(5)) {
            guard let event = try? JSONParser.parse(line).objectValue?["event"]?.objectValue,
                  let name = event["name"]?.stringValue, let route = event["route"]?.stringValue else { continue }
            routes[name] = route
        }
        #expect(routes == ["www.corp.example": "corp.example", "www.example.org": "."])
    }

    /// A reload (the `reload` op, as SIGHUP) builds the routes again from the file; links
    /// set at run time stay.
    @Test func aReloadRebuildsTheRoutesAndKeepsTheLinks() throws {
        let publicServer = try ScriptedUpstream.start(script: .silentForSomeNames)
        let first = try ScriptedUpstream.start(script: .silentForSomeNames)
        let second = try ScriptedUpstream.start(script: .silentForSomeNames)
        let vpn = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { publicServer.stop(); first.stop(); second.stop(); vpn.stop() }
        let daemon = try DaemonProcess.start(upstream: publicServer.serverAddress, config: "route = corp.example \(first.serverAddress)\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        var id: Int64 = 1
        let link = client.call(#"{"id":\#(id),"op":"link","interface":"lo","dns":["\#(vpn.serverAddress)"],"domains":["~vpn.example"]}"#, id: id)
        id += 1
        #expect(link?.status == 0)
        #expect(Self.resolve(client, "a.corp.example", id: &id) == 0 && Self.resolve(client, "a.vpn.example", id: &id) == 0)
        try daemon.rewriteConfig("route = corp.example \(second.serverAddress)\n")
        #expect(client.call(#"{"id":\#(id),"op":"reload"}"#, id: id)?.status == 0)
        id += 1
        #expect(Self.resolve(client, "b.corp.example", id: &id) == 0 && Self.resolve(client, "b.vpn.example", id: &id) == 0)
        #expect(Self.asked(first) == ["a.corp.example"] && Self.asked(second) == ["b.corp.example"])
        #expect(Self.asked(vpn) == ["a.vpn.example", "b.vpn.example"], "the link outlived the reload")
        #expect(Self.asked(publicServer).isEmpty)
    }
}
