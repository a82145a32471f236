import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A second, independent Varlink client: the `varlink` package from PyPI (31.0.0, the
/// reference Python implementation), whose `Client` parses the interface descriptions with
/// its own IDL parser before it calls anything. The wheel comes from `make test-fixtures`
/// (`pip download` into /var/cache/resolvd-test, or $RESOLVD_TEST_CACHE); the test never
/// downloads.
@Suite struct VarlinkPythonClientTests {
    static let script = """
        import sys, varlink
        with varlink.Client("unix:" + sys.argv[1]) as client:
            print(sorted(client.get_interfaces()))
            print(sorted(client.get_interface("io.systemd.Resolve").members))
            with client.open("io.systemd.Resolve", namespaced=False) as resolve:
                reply = resolve.ResolveHostname(name="www.example.test", family=2)
                print(reply["name"], [a["address"] for a in reply["addresses"]])
                print([n["name"] for n in resolve.ResolveAddress(family=10, address=[32,1,13,184] + [0] * 11 + [16])["names"]])
                print(len(resolve.ResolveRecord(name="mail.example.test", type=15)["rrs"]))
                try:
                    resolve.ResolveHostname(name="nxdomain.example.test")
                except varlink.VarlinkError as error:
                    print(error.error(), error.parameters())
        """

    @Test func pythonVarlinkClient() throws {
        let cache = getenv("RESOLVD_TEST_CACHE").map { String(cString: $0) } ?? "/var/cache/resolvd-test"
        let found = try SystemdTestSupport.run(["/bin/sh", "-c", "ls \"$0\"/varlink-*.whl | tail -1", cache])
        let wheel = String(found.stdout.split(separator: "\n").last ?? "")
        guard found.status == 0, !wheel.isEmpty else {
            throw FixtureError("PyPI's varlink wheel is not in \(cache): run `make test-fixtures` (pip download varlink)")
        }
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let unzip = try SystemdTestSupport.run(["/usr/bin/python3", "-m", "zipfile", "-e", wheel, directory])
        #expect(unzip.status == 0, "\(unzip.stderr)")
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let run = try SystemdTestSupport.run(
            ["/usr/bin/python3", "-c", Self.script, daemon.varlinkSocketPath],
            environment: SystemdTestSupport.environment(adding: ["PYTHONPATH": directory]))
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(run.stdout) \(run.stderr)")
        guard lines.count == 6 else { return }
        #expect(lines[0] == "['io.systemd.Resolve', 'org.varlink.service']")
        for member in ["ResolveHostname", "ResolveAddress", "ResolveRecord", "ResolveService", "ResolvedAddress", "DNSError"] {
            #expect(lines[1].contains("'\(member)'"), "\(lines[1])")
        }
        #expect(lines[2] == "www.example.test [[192, 0, 2, 10]]")
        #expect(lines[3] == "['www.example.test']")
        #expect(lines[4] == "2")
        #expect(lines[5] == "io.systemd.Resolve.DNSError {'rcode': 3}")
    }
}
