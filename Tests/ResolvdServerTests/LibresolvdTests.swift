import ResolverTesting
import ResolverTypes
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// libresolvd, the C client (clients/c), built with its own Makefile and run against real
/// daemons: one whose upstream is unbound (answers), one whose upstream is silent (lookups
/// stay in flight until cancelled). The C program checks every call's result codes and the
/// races itself (clients/c/tests/test-resolvd.c); this suite builds it, gives it the daemons,
/// runs it once plainly and once under valgrind's memcheck, and reads the daemon's `stats`.
@Suite(.serialized) struct LibresolvdTests {
    /// Builds libresolvd and its test program into .build-c/test (as `make libresolvd` does
    /// into .build-c); a missing compiler or jansson fails naming its Debian package (the
    /// Makefile's check-deps).
    static let build = Result { () throws -> String in
        guard access("/usr/bin/make", X_OK) == 0 else { throw FixtureError("make not found: apt-get install make") }
        let directory = Repository.root + "/.build-c/test"
        let make = try SystemdTestSupport.run(["/usr/bin/make", "-C", Repository.root + "/clients/c", "O=" + directory])
        guard make.status == 0 else { throw FixtureError("building libresolvd failed:\n\(make.stdout)\n\(make.stderr)") }
        return directory
    }

    /// resolvd.h's codes are ResultCode's table, plus 997 WSA_IO_PENDING (a started call's return).
    @Test func theHeadersCodesAreTheStatusTable() throws {
        let run = try SystemdTestSupport.run([try Self.build.get() + "/test-resolvd", "codes"])
        #expect(run.status == 0, "\(run.stderr)")
        let expected = (ResultCode.all.map { "\($0.rawValue) \($0.symbol)" } + ["997 WSA_IO_PENDING"])
            .sorted { Int($0.prefix { $0 != " " })! < Int($1.prefix { $0 != " " })! }
        #expect(run.stdout.split(separator: "\n").map(String.init) == expected)
    }

    @Test func everyCallAndRaceAgainstRealDaemons() throws {
        try Self.runAgainstDaemons(wrapper: [])
    }

    @Test func noLeakAndNoErrorUnderValgrind() throws {
        guard access("/usr/bin/valgrind", X_OK) == 0 else { throw FixtureError("valgrind not found: apt-get install valgrind") }
        try Self.runAgainstDaemons(wrapper: [
            "/usr/bin/valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=99", "--quiet",
        ])
    }

    /// The poll example of docs/clients.md, compiled against the library and run: names
    /// answered, a failure by its symbol, and a silent upstream's lookup cancelled by
    /// resolvd_cancel_all after a second without news.
    @Test func theClientsDocsExampleRuns() throws {
        let directory = try Self.build.get()
        let docs = try readWholeFile(Repository.root + "/docs/clients.md")
        let start = try #require(docs.firstRange(of: "```c\n"))
        let end = try #require(docs[start.upperBound...].firstRange(of: "\n```\n"))
        try writeFile(directory + "/example.c", String(docs[start.upperBound..<end.lowerBound]) + "\n")
        let compile = try SystemdTestSupport.run([
            "/usr/bin/cc", "-Wall", "-Werror", "-I", Repository.root + "/clients/c", directory + "/example.c",
            "-o", directory + "/example", "-L", directory, "-lresolvd", "-Wl,-rpath," + directory,
        ])
        #expect(compile.status == 0, "\(compile.stderr)")
        let unbound = try DaemonOperationTests.unbound.get()
        let answering = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { answering.stop() }
        let answered = try SystemdTestSupport.run(
            [directory + "/example", "www.example.test", "nxdomain.example.test"],
            environment: SystemdTestSupport.environment(adding: ["RESOLVD_SOCKET": answering.socketPath]))
        #expect(answered.status == 0, "\(answered.stderr)")
        #expect(answered.stdout.split(separator: "\n").sorted() == ["nxdomain.example.test: WSAHOST_NOT_FOUND", "www.example.test: 192.0.2.10"])
        let silentUpstream = try SilentUpstream.start()
        defer { silentUpstream.stop() }
        let silent = try DaemonProcess.start(upstream: silentUpstream.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { silent.stop() }
        let cancelled = try SystemdTestSupport.run(
            [directory + "/example", "held.example.test"],
            environment: SystemdTestSupport.environment(adding: ["RESOLVD_SOCKET": silent.socketPath]))
        #expect(cancelled.stdout == "held.example.test: ERROR_OPERATION_ABORTED\ncancelled 1\n", "\(cancelled.stderr)")
    }

    /// Runs the C tests (seeded; the seed is printed) and checks that the daemon saw the
    /// lookups they cancelled and aborted, with nothing left in flight.
    static func runAgainstDaemons(wrapper: [String]) throws {
        let program = try build.get() + "/test-resolvd"
        let unbound = try DaemonOperationTests.unbound.get()
        let answering = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { answering.stop() }
        let silentUpstream = try SilentUpstream.start()
        defer { silentUpstream.stop() }
        let silent = try DaemonProcess.start(upstream: silentUpstream.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { silent.stop() }
        let seed = UInt32.random(in: 1...UInt32.max)
        print("libresolvd tests: seed \(seed)")
        let run = try SystemdTestSupport.run(
            wrapper + [program, "run", answering.socketPath, silent.socketPath, String(seed)], timeout: .seconds(300))
        print(run.stdout)
        #expect(run.status == 0, "seed \(seed):\n\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("races: seed \(seed), 300 rounds"), "\(run.stdout)")
        #expect(run.stdout.hasSuffix(" passed, 0 failed\n"), "\(run.stdout)")
        // The daemon's side: the cancels (2 won), cancel_all (5, then 2) and the 1,000 lookups that
        // resolvd_close left were all real lookups in flight there, and none is left.
        let client = try silent.connect()
        defer { client.close() }
        var id: Int64 = 1
        let stats = try #require(client.waitForStat("in_flight", toBe: 0, nextID: &id))
        #expect(stats["in_flight"]?.intValue == 0)
        #expect(stats["cancelled"]?.intValue == 2, "\(stats)")
        #expect((stats["aborted"]?.intValue ?? 0) >= 1_007, "\(stats)")
        #expect(stats["timed_out"]?.intValue == 1, "\(stats)")
    }
}
