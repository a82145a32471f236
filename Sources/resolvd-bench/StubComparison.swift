import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// Part `stub` of `make bench` (rows 6c–6h): dnsperf against resolvd's DNS stub listener
/// and, in the same run with the same query files, against unbound and dnsmasq as
/// cache-only forwarders of the bench's unbound — the ratio is what counts, not the rate.
///
/// Each run starts the three afresh (so that no second unbound runs while the other parts
/// read the bench unbound's CPU time by its command name), fills each one's cache with the
/// cached names, and then measures them taking turns: cold names (asked once, new in each
/// run) and cached names (repeated). unbound gets `num-threads` equal to resolvd's event
/// loops (one per core); dnsmasq is single-threaded by design.
///
/// It does not compare features (none of them validates DNSSEC here) or measure TCP.
struct StubComparison {
    /// The bench unbound every server forwards to.
    let upstream: UnboundServer
    /// dnsperf with the bench's clients and queries outstanding, against a host and port.
    let dnsperf: (_ host: String, _ port: UInt16) -> DNSPerfWorkload
    let cachedNames: [String]
    let cachedPasses: Int
    let coldNames: Int

    /// One run's figures, by server.
    struct Result {
        var cold: [String: DNSPerfWorkload.Result] = [:]
        var cached: [String: DNSPerfWorkload.Result] = [:]
    }

    static let servers = ["resolvd", "unbound", "dnsmasq"]

    func run(run index: Int) throws -> Result {
        let stub = try ResolvdStub(upstream: upstream.serverAddress)
        defer { stub.stop() }
        let forwarder = try UnboundServer.start(
            zones: [], extraConfig: Self.forwarding(to: upstream), threads: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        defer { forwarder.stop() }
        let dnsmasq = try DnsmasqForwarder(upstream: upstream)
        defer { dnsmasq.stop() }
        let ports = ["resolvd": stub.port, "unbound": forwarder.port, "dnsmasq": dnsmasq.port]

        var result = Result()
        // Who goes first turns with the run, so that load that comes and goes falls on all alike.
        let order = (0..<Self.servers.count).map { Self.servers[($0 + index) % Self.servers.count] }
        for server in order {
            let names = CoreBench.names(prefix: "r\(index)\(server.prefix(1))", count: coldNames)
            result.cold[server] = try dnsperf("127.0.0.1", ports[server]!).run(names: names, passes: 1)
        }
        // The cached names go in after the cold ones, which could have pushed them out of a
        // cache bounded by entries (dnsmasq's).
        for server in order { _ = try dnsperf("127.0.0.1", ports[server]!).run(names: cachedNames, passes: 1) }
        for server in order {
            result.cached[server] = try dnsperf("127.0.0.1", ports[server]!).run(names: cachedNames, passes: cachedPasses)
        }
        return result
    }

    /// unbound's configuration for forwarding the bench's zone to the bench unbound on loopback.
    static func forwarding(to upstream: UnboundServer) -> String {
        """
          do-not-query-localhost: no
          msg-cache-size: 64m
          rrset-cache-size: 128m
        forward-zone:
          name: "example.test."
            forward-addr: \(upstream.host)@\(upstream.port)
        """
    }
}

/// resolvd (the release build beside the bench) with its DNS stub on a free loopback port.
struct ResolvdStub {
    let daemon: DaemonChild
    let port: UInt16

    init(upstream: String) throws {
        // A port found free can be taken before resolvd binds it: then try another.
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            do {
                daemon = try DaemonChild(upstream: upstream, config: "dns_listen = 127.0.0.1:\(port)\n")
                self.port = port
                return
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    func stop() { daemon.stop() }
}

/// dnsmasq (Debian package dnsmasq-base) in the foreground as a cache-only forwarder of
/// `upstream` on a free loopback port: no hosts file, no resolv.conf, a 10,000-entry cache.
final class DnsmasqForwarder {
    let pid: pid_t
    let port: UInt16

    init(upstream: UnboundServer) throws {
        guard let executable = findProgram("dnsmasq") else { throw BenchError("missing: dnsmasq (Debian package dnsmasq-base)") }
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            let arguments = [executable, "--keep-in-foreground", "--user=root", "--no-resolv", "--no-hosts", "--port=\(port)",
                             "--listen-address=127.0.0.1", "--bind-interfaces", "--server=\(upstream.host)#\(upstream.port)",
                             "--cache-size=10000", "--dns-forward-max=1000", "--pid-file="]
            let child = try Self.spawn(executable, arguments)
            let deadline = monotonicNanoseconds() + 10_000_000_000
            var status: Int32 = 0
            while monotonicNanoseconds() < deadline, waitpid(child, &status, WNOHANG) != child {
                if (try? DNSProbe.query("ns.example.test", type: .a, host: "127.0.0.1", port: port, timeout: .milliseconds(200))) != nil {
                    self.pid = child
                    self.port = port
                    return
                }
                usleep(20_000)
            }
            if kill(child, 0) == 0 {
                kill(child, SIGKILL)
                waitpid(child, nil, 0)
                throw BenchError("dnsmasq did not answer on 127.0.0.1:\(port) within 10 s")
            }
            // Exited: most likely the port was taken between the pick and its bind.
            lastFailure = "dnsmasq exited (wait status \(status)) before answering on 127.0.0.1:\(port)"
        }
        throw BenchError(lastFailure)
    }

    private static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var child: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let rc = posix_spawn(&child, executable, &actions, nil, cArguments, environ)
        guard rc == 0 else { throw BenchError("cannot start dnsmasq: \(String(cString: strerror(rc)))") }
        return child
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
