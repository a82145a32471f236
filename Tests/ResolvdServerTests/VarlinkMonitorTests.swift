import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Varlink lookups are seen like v1 ones (docs/varlink.md, "Monitor and statistics"): a
/// `monitor` gets their events with `"frontend":"varlink"` and the Varlink peer's
/// credentials, filtered by that peer's uid for a non-admin monitor, and `stats` counts
/// them under that uid (`clients`) and under the v1 op each runs as (`lookups_by_op`).
/// The Varlink client is Debian's /usr/bin/python3 run as nobody (setpriv), so that its
/// uid is not the monitors'.
@Suite struct VarlinkMonitorTests {
    /// One Varlink connection: prints its pid, then for each name the reply to
    /// ResolveHostname, one JSON object a line.
    static let varlinkClient = #"""
        import json, os, socket, sys
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(20)
        sock.connect(sys.argv[1])
        print(json.dumps({"pid": os.getpid()}), flush=True)
        pending = b""
        for name in sys.argv[2:]:
            call = {"method": "io.systemd.Resolve.ResolveHostname", "parameters": {"name": name}}
            sock.sendall(json.dumps(call).encode() + b"\0")
            while b"\0" not in pending:
                chunk = sock.recv(65536)
                if not chunk:
                    sys.exit("connection closed")
                pending += chunk
            reply, _, pending = pending.partition(b"\0")
            print(reply.decode(), flush=True)
        """#

    /// Resolves `names` over `daemon`'s Varlink socket as `uid`, one call after another on
    /// one connection: the client's pid (the Varlink peer) and the replies.
    static func resolveHostnames(_ names: [String], asUID uid: Int, daemon: DaemonProcess) throws -> (pid: Int64?, replies: [JSONObject]) {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        guard access("/usr/bin/python3", X_OK) == 0 else { throw FixtureError("/usr/bin/python3 is not installed: apt-get install python3") }
        chmod(daemon.directory, 0o755)  // the socket itself is 0666
        let output = try SystemdTestSupport.run(
            [setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/python3", "-c", varlinkClient,
             daemon.varlinkSocketPath] + names, timeout: .seconds(30))
        #expect(output.status == 0, "Varlink client as uid \(uid): \(output.stderr)")
        let lines: [JSONObject] = output.stdout.split(separator: "\n").compactMap { line in
            guard case .object(let object)? = try? Array(line.utf8).withUnsafeBytes({ try JSONParser.parse($0) }) else { return nil }
            return object
        }
        return (lines.first?["pid"]?.intValue, Array(lines.dropFirst()))
    }

    @Test func varlinkLookupsReachMonitorsAndClientStatsUnderThePeersUID() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let rootMonitor = try daemon.connect()
        #expect(rootMonitor.call(#"{"id":1,"op":"monitor"}"# + "\n" + #"{"id":2,"op":"hello"}"#, id: 2)?.status == 0)
        // nobody monitors until it sees the last of its own Varlink lookups.
        let nobody = try NobodyClient(daemon: daemon, steps: [
            #"{"send":{"id":1,"op":"monitor"}}"#, #"{"send":{"id":2,"op":"hello"}}"#, #"{"until_id":2}"#, #"{"print":"READY"}"#,
            #"{"until_event":"v4only.example.test"}"#,
            #"{"send":{"id":3,"op":"cancel","handle":1}}"#, #"{"until_id":3}"#,
        ])
        // Another non-admin uid monitors until it sees its own v1 lookup, made after nobody's.
        let go = daemon.directory + "/go"
        let other = try NobodyClient(daemon: daemon, uid: 65533, steps: [
            #"{"send":{"id":1,"op":"monitor"}}"#, #"{"send":{"id":2,"op":"hello"}}"#, #"{"until_id":2}"#, #"{"print":"READY"}"#,
            #"{"wait_file":"\#(go)"}"#,
            #"{"send":{"id":3,"op":"getaddrinfo","name":"multi.example.test"}}"#, #"{"until_id":3}"#,
            #"{"until_event":"multi.example.test"}"#,
            #"{"send":{"id":4,"op":"cancel","handle":1}}"#, #"{"until_id":4}"#,
        ])
        #expect(nobody.waitFor(line: "READY"), "\(nobody.errors)")
        #expect(other.waitFor(line: "READY"), "\(other.errors)")

        let names = ["www.example.test", "www.example.test", "v4only.example.test"]
        let (pid, replies) = try Self.resolveHostnames(names, asUID: 65534, daemon: daemon)
        let varlinkPID = try #require(pid)
        let (network, cache) = (VarlinkResolveTests.dns | VarlinkResolveTests.fromNetwork, VarlinkResolveTests.dns | VarlinkResolveTests.fromCache)
        #expect(replies.map { $0.varlinkParameters?["flags"]?.intValue } == [network, cache, network], "\(replies)")
        try writeFile(go, "")
        let nobodyEvents = try nobody.finish().compactMap(\.event)
        let otherEvents = try other.finish().compactMap(\.event)

        // nobody's monitor saw its Varlink lookups, each with the Varlink peer and where the answer came from.
        #expect(nobodyEvents.compactMap { $0["name"]?.stringValue } == names, "\(nobodyEvents)")
        #expect(nobodyEvents.compactMap { $0["source"]?.stringValue } == ["upstream", "cache", "upstream"], "\(nobodyEvents)")
        for event in nobodyEvents {
            #expect(event["frontend"]?.stringValue == "varlink" && event["op"]?.stringValue == "getaddrinfo", "\(event)")
            let peer = event["peer"]?.objectValue
            #expect(peer?["uid"]?.intValue == 65534 && peer?["gid"]?.intValue == 65534 && peer?["pid"]?.intValue == varlinkPID, "\(event)")
            #expect(event["status"]?.intValue == 0)
        }
        #expect(nobodyEvents.first?["summary"]?.stringValue?.contains("192.0.2.10") == true, "\(nobodyEvents)")
        // Another non-admin uid saw none of them: only its own lookup.
        #expect(otherEvents.compactMap { $0["name"]?.stringValue } == ["multi.example.test"], "\(otherEvents)")
        #expect(otherEvents.first?["peer"]?.objectValue?["uid"]?.intValue == 65533)
        // root (an admin) saw all four, the Varlink ones as such.
        var rootEvents: [JSONObject] = []
        #expect(rootMonitor.readEvents(until: "multi.example.test", into: &rootEvents) != nil)
        #expect(rootEvents.compactMap { $0["name"]?.stringValue } == names + ["multi.example.test"], "\(rootEvents)")
        #expect(rootEvents.compactMap { $0["frontend"]?.stringValue } == ["varlink", "varlink", "varlink", "v1"])
        #expect(rootEvents.compactMap { $0["peer"]?.objectValue?["uid"]?.intValue } == [65534, 65534, 65534, 65533])

        // stats: the Varlink lookups counted under the Varlink peer's uid.
        let stats = try #require(rootMonitor.call(#"{"id":3,"op":"stats"}"#, id: 3)?.result)
        let clients = try #require(stats["clients"]?.arrayValue?.compactMap { $0.objectValue })
        #expect(Self.counters(65534, in: clients) == ["lookups": 3, "cache_hits": 1, "failures": 0, "cancelled": 0, "in_flight": 0], "\(clients)")
        #expect(Self.counters(65533, in: clients)["lookups"] == 1, "\(clients)")
        #expect(stats["front_ends"]?.objectValue?["varlink"]?.intValue == 3, "\(stats)")
        // Per op, as the v1 op each runs as: 3 ResolveHostname calls and the one v1 getaddrinfo.
        #expect(stats["lookups_by_op"]?.objectValue?["getaddrinfo"]?.intValue == 4, "\(stats)")
    }

    /// The counters of `uid` in a `clients` list, by wire name.
    static func counters(_ uid: Int64, in list: [JSONObject]) -> [String: Int64] {
        guard let object = list.first(where: { $0["uid"]?.intValue == uid }) else { return [:] }
        return Dictionary(uniqueKeysWithValues: ClientStatistics.counterNames.map { ($0, object[$0]?.intValue ?? -1) })
    }
}
