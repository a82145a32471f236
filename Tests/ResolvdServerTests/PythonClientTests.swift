import ResolverTesting
import ResolverTypes
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The asyncio client (clients/python), tested by its own unittest suite
/// (clients/python/tests/test_client.py) against real daemons inside a private network and
/// mount namespace where glibc's getaddrinfo sees the same hosts file and the same loopback
/// upstream as resolvd (clients/python/tests/run-in-namespace.sh; root).
@Suite struct PythonClientTests {
    @Test func theUnittestSuitePassesAgainstRealDaemons() throws {
        let unshare = try SystemdTestSupport.require("unshare", package: "util-linux")
        _ = try SystemdTestSupport.require("ip", package: "iproute2")
        guard geteuid() == 0 else { throw FixtureError("PythonClientTests needs root (unshare -nm)") }
        let work = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(work) }
        try writeFile(work + "/zone0.zone", Zone.example.text)
        try writeFile(work + "/zone1.zone", Zone.reverse4.text)
        let script = Repository.root + "/clients/python/tests/run-in-namespace.sh"
        let run = try SystemdTestSupport.run(["/bin/sh", script, unshare, DaemonProcess.executable, work], timeout: .seconds(300))
        print(run.stderr)
        // unittest writes its report to stderr: every test ran, none skipped, and the end is OK.
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("\nOK\n"), "\(run.stderr)")
        #expect(run.stderr.contains("Ran 6 tests"), "\(run.stderr)")
        #expect(run.stdout.contains("compared 780 calls with socket.getaddrinfo"), "\(run.stdout)")
    }

    /// The package's table of result codes is ResultCode's.
    @Test func thePackagesCodesAreTheStatusTable() throws {
        let run = try SystemdTestSupport.run(
            ["/usr/bin/python3", "-c", "import resolvd\nfor code, symbol in resolvd.CODES.items(): print(code, symbol)"],
            environment: SystemdTestSupport.environment(adding: ["PYTHONPATH": Repository.root + "/clients/python/src"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map(String.init) == ResultCode.all.map { "\($0.rawValue) \($0.symbol)" })
    }
}
