import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Peer credentials (SO_PEERCRED): every local user may resolve; `reload` needs uid 0 or
/// `admin_group`. Clients run as `nobody` through setpriv (util-linux) and socat.
@Suite struct SystemdPeerCredentialsTests {
    /// Runs socat as uid nobody with the given group options; the replies by id.
    private func runAsNobody(_ groupOptions: [String], socket: String, lines: [String]) throws -> [Int64: JSONObject] {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let socat = try SystemdTestSupport.require("socat", package: "socat")
        let output = try SystemdTestSupport.run(
            [setpriv, "--reuid=nobody"] + groupOptions + [socat, "-t", "10", "-", "UNIX-CONNECT:\(socket)"],
            input: lines.joined(separator: "\n") + "\n", timeout: .seconds(30))
        #expect(output.status == 0, "socat as nobody: \(output.stderr)")
        var replies: [Int64: JSONObject] = [:]
        for line in output.stdout.split(separator: "\n") {
            guard case .object(let object)? = try? Array(line.utf8).withUnsafeBytes({ try JSONParser.parse($0) }), let id = object.id else { continue }
            replies[id] = object
        }
        return replies
    }

    @Test func lookupsForEveryoneReloadForAdmins() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "admin_group = adm\n", extraArguments: ["--log-level", "debug"])
        defer { daemon.stop() }
        chmod(daemon.directory, 0o755)  // let nobody reach the socket (mode 0666)
        let lines = [
            #"{"id":1,"op":"getaddrinfo","name":"www.example.test","socktype":"stream"}"#,
            #"{"id":2,"op":"reload"}"#,
            #"{"id":3,"op":"flush_cache"}"#,
        ]

        // nobody, no groups: resolves, is refused the reload with WSAEACCES.
        let plain = try runAsNobody(["--regid=nogroup", "--clear-groups"], socket: daemon.socketPath, lines: lines)
        #expect(plain[1]?.status == 0, "lookup as nobody: \(plain)")
        #expect(plain[2]?.status == 10013 && plain[2]?.errorSymbol == "WSAEACCES", "reload as nobody: \(plain)")
        #expect(plain[2]?["message"]?.stringValue?.contains("uid 65534") == true)
        #expect(plain[3]?.status == 10013, "flush_cache as nobody: \(plain)")

        // nobody with adm as a supplementary group (/proc/PID/status Groups:) or as its gid: allowed.
        let member = try runAsNobody(["--regid=nogroup", "--groups=adm"], socket: daemon.socketPath, lines: lines)
        #expect(member[1]?.status == 0 && member[2]?.status == 0, "reload as a member of adm: \(member)")
        #expect(member[3]?.status == 0, "flush_cache as a member of adm: \(member)")
        let primary = try runAsNobody(["--regid=adm", "--clear-groups"], socket: daemon.socketPath, lines: lines)
        #expect(primary[2]?.status == 0, "reload with gid adm: \(primary)")

        // root: allowed.
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"reload"}"#, id: 1)?.status == 0)
        var id: Int64 = 2
        root.waitForStat("reloads", toBe: 3, nextID: &id)
        let stats = try #require(root.call(#"{"id":\#(id),"op":"stats"}"#, id: id))
        #expect(stats.result?["reloads"]?.intValue == 3)

        // The debug log names the peers.
        #expect(daemon.log.contains("uid=65534") && daemon.log.contains("uid=0"), "\(daemon.log)")
    }

    /// Without admin_group only root may reload; an unknown group is a configuration error.
    @Test func rootOnlyByDefaultAndUnknownGroupRejected() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        chmod(daemon.directory, 0o755)
        let replies = try runAsNobody(["--regid=adm", "--clear-groups"], socket: daemon.socketPath, lines: [#"{"id":1,"op":"reload"}"#])
        #expect(replies[1]?.status == 10013, "\(replies)")
        #expect(replies[1]?["message"]?.stringValue?.contains("needs uid 0") == true)

        #expect(throws: ConfigurationError.self) {
            let file = daemon.directory + "/bad.conf"
            try writeFile(file, "admin_group = no-such-group-resolvd\n")
            _ = try DaemonConfiguration.load(file: file, overrides: .init(), environment: [:], isRoot: true)
        }
    }
}
