import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// glibc programs resolving through resolvd with Debian bookworm's real nss-resolve (252):
/// `libnss-resolve` unpacked with `dpkg-deb -x` (never installed), loaded through
/// LD_LIBRARY_PATH inside a private mount namespace where /etc/nsswitch.conf says
/// `hosts: resolve [!UNAVAIL=return] files` and a tmpfs on /run holds resolvd's Varlink
/// socket at /run/systemd/resolve/io.systemd.Resolve. The programs run as `nobody`.
///
/// The .deb comes from `make test-fixtures` (`apt-get download libnss-resolve` into
/// /var/cache/resolvd-test, or $RESOLVD_TEST_CACHE); the test never downloads.
@Suite struct VarlinkNSSResolveTests {
    /// The unpacked module's directory, for LD_LIBRARY_PATH; unpacked once per run.
    static let module = Result { try unpackModule() }

    static func unpackModule() throws -> String {
        let cache = getenv("RESOLVD_TEST_CACHE").map { String(cString: $0) } ?? "/var/cache/resolvd-test"
        let dpkgDeb = try SystemdTestSupport.require("dpkg-deb", package: "dpkg")
        let found = try SystemdTestSupport.run(["/bin/sh", "-c", "ls \"$0\"/libnss-resolve_*.deb | tail -1", cache])
        let deb = String(found.stdout.split(separator: "\n").last ?? "")
        guard found.status == 0, !deb.isEmpty else {
            throw FixtureError(
                "Debian's libnss-resolve .deb is not in \(cache): run `make test-fixtures` (apt-get download libnss-resolve)")
        }
        // One fixed directory, unpacked over on each run, rather than a new one per run left behind.
        let directory = "/tmp/resolvd-test-libnss-resolve"
        mkdir(directory, 0o755)
        let unpack = try SystemdTestSupport.run([dpkgDeb, "-x", deb, directory])
        guard unpack.status == 0 else { throw FixtureError("dpkg-deb -x \(deb): \(unpack.stderr)") }
        let module = try SystemdTestSupport.run(["/bin/sh", "-c", "dirname \"$(find \"$0\" -name libnss_resolve.so.2 | head -1)\"", directory])
        let path = module.stdout.split(separator: "\n").first.map(String.init) ?? ""
        guard access(path + "/libnss_resolve.so.2", R_OK) == 0 else { throw FixtureError("no libnss_resolve.so.2 in \(deb)") }
        return path
    }

    /// Runs `command` as nobody in a private mount namespace that serves `daemon`'s Varlink
    /// socket where nss-resolve looks for it, with a private nsswitch.conf.
    static func run(_ command: [String], daemon: DaemonProcess, environment: [String] = []) throws -> SystemdTestSupport.Output {
        let module = try module.get()
        let unshare = try SystemdTestSupport.require("unshare", package: "util-linux")
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let nsswitch = daemon.directory + "/nsswitch.conf"
        if access(nsswitch, R_OK) != 0 {
            try writeFile(nsswitch, "passwd: files\ngroup: files\nhosts: resolve [!UNAVAIL=return] files\n")
            chmod(nsswitch, 0o644)
        }
        let script = """
            set -e
            mount -t tmpfs -o mode=0755 tmpfs /run
            mkdir -p /run/systemd/resolve
            touch /run/systemd/resolve/io.systemd.Resolve
            mount --bind "$1" /run/systemd/resolve/io.systemd.Resolve
            mount --bind "$2" /etc/nsswitch.conf
            module="$3"; setpriv="$4"; shift 4
            exec "$setpriv" --reuid=65534 --regid=65534 --clear-groups env LD_LIBRARY_PATH="$module" "$@"
            """
        return try SystemdTestSupport.run(
            [unshare, "-m", "/bin/sh", "-c", script, "sh", daemon.varlinkSocketPath, nsswitch, module, setpriv] + environment + command,
            timeout: .seconds(60))
    }

    static let getaddrinfo = """
        import socket, sys
        try:
            print(" ".join(sorted({a[4][0] for a in socket.getaddrinfo(sys.argv[1], None)})))
        except socket.gaierror as error:
            print("gaierror", error.errno)
        """

    @Test func glibcProgramsResolveThroughResolvd() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let hosts = try SystemdTestSupport.makeTemporaryDirectory(mode: 0o755)
        defer { SystemdTestSupport.removeTree(hosts) }
        try writeFile(hosts + "/hosts", "192.0.2.200 fromhostsfile.test\n")
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, extraArguments: ["--hosts-file", hosts + "/hosts"])
        defer { daemon.stop() }
        let getent = "/usr/bin/getent"
        func expectLookup(_ arguments: [String], contains expected: [String], lacks unexpected: [String] = []) throws {
            let output = try Self.run([getent] + arguments, daemon: daemon)
            #expect(output.status == 0, "getent \(arguments): \(output.stdout) \(output.stderr)")
            for text in expected { #expect(output.stdout.contains(text), "getent \(arguments) shows \(text): \(output.stdout) \(output.stderr)") }
            for text in unexpected { #expect(!output.stdout.contains(text), "getent \(arguments) lacks \(text): \(output.stdout)") }
        }
        try expectLookup(["ahosts", "www.example.test"], contains: ["192.0.2.10", "2001:db8::10", "www.example.test"])
        try expectLookup(["ahostsv4", "www.example.test"], contains: ["192.0.2.10"], lacks: ["2001:db8::10"])
        try expectLookup(["ahostsv6", "v6only.example.test"], contains: ["2001:db8::30"])
        try expectLookup(["hosts", "www.example.test"], contains: ["2001:db8::10", "www.example.test"])
        try expectLookup(["hosts", "v4only.example.test"], contains: ["192.0.2.20", "v4only.example.test"])
        try expectLookup(["hosts", "chain.example.test"], contains: ["www.example.test"])
        try expectLookup(["hosts", "192.0.2.10"], contains: ["192.0.2.10", "www.example.test"])
        try expectLookup(["hosts", "2001:db8::10"], contains: ["www.example.test"])
        try expectLookup(["ahosts", "fromhostsfile.test"], contains: ["192.0.2.200"])
        for arguments in [["ahosts", "nxdomain.example.test"], ["hosts", "nxdomain.example.test"], ["hosts", "192.0.2.30"]] {
            let missing = try Self.run([getent] + arguments, daemon: daemon)
            #expect(missing.status == 2, "getent \(arguments) exits 2 (not found): \(missing.stdout) \(missing.stderr)")
        }
        let python = try Self.run(["/usr/bin/python3", "-c", Self.getaddrinfo, "multi.example.test"], daemon: daemon)
        #expect(python.stdout == "192.0.2.41 192.0.2.42\n", "\(python.stdout) \(python.stderr)")
        let nx = try Self.run(["/usr/bin/python3", "-c", Self.getaddrinfo, "nxdomain.example.test"], daemon: daemon)
        #expect(nx.stdout == "gaierror -2\n", "EAI_NONAME: \(nx.stdout) \(nx.stderr)")
        // Through resolvd, not the files fallback: the Varlink front end counted every lookup.
        let observer = try daemon.connect()
        let stats = try #require(observer.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
        #expect((stats["front_ends"]?.objectValue?["varlink"]?.intValue ?? 0) >= 13, "\(stats)")
        #expect(stats["front_ends"]?.objectValue?["v1"]?.intValue == 0)
        // The second getaddrinfo is a cache hit; with nss-resolve's SYSTEMD_NSS_RESOLVE_CACHE=0
        // (SD_RESOLVED_NO_CACHE) the third is not.
        func cacheHits(_ id: Int64) -> Int64? { observer.call(#"{"id":\#(id),"op":"stats"}"#, id: id)?.result?["cache"]?.objectValue?["hits"]?.intValue }
        let hits = try #require(cacheHits(2))
        #expect(try Self.run(["/usr/bin/python3", "-c", Self.getaddrinfo, "multi.example.test"], daemon: daemon).stdout == python.stdout)
        #expect(cacheHits(3) == hits + 1)
        let bypass = try Self.run(
            ["/usr/bin/python3", "-c", Self.getaddrinfo, "multi.example.test"], daemon: daemon, environment: ["SYSTEMD_NSS_RESOLVE_CACHE=0"])
        #expect(bypass.stdout == python.stdout, "\(bypass.stdout) \(bypass.stderr)")
        #expect(cacheHits(4) == hits + 1, "SYSTEMD_NSS_RESOLVE_CACHE=0 bypassed the cache")
    }

    /// An upstream that never answers is a temporary failure (EAI_AGAIN), not "no such name".
    @Test func aSilentUpstreamIsATemporaryFailure() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let daemon = try DaemonProcess.start(upstream: silent.serverAddress, timeoutMilliseconds: 300, tries: 1)
        defer { daemon.stop() }
        let python = try Self.run(["/usr/bin/python3", "-c", Self.getaddrinfo, "www.example.test"], daemon: daemon)
        #expect(python.stdout == "gaierror -3\n", "EAI_AGAIN: \(python.stdout) \(python.stderr)")
        let getent = try Self.run(["/usr/bin/getent", "hosts", "www.example.test"], daemon: daemon)
        #expect(getent.status == 2 && getent.stdout.isEmpty, "\(getent.stdout) \(getent.stderr)")
    }
}
