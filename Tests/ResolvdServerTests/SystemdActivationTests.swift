import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Socket activation end to end with systemd's own `systemd-socket-activate`: it binds and
/// listens, and starts resolvd (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES) on the first connection.
@Suite struct SystemdActivationTests {
    @Test func clientConnectsBeforeTheDaemonExists() throws {
        let activate = try SystemdTestSupport.require("systemd-socket-activate", package: "systemd")
        let unbound = try DaemonOperationTests.unbound.get()
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let socketPath = directory + "/resolvd.sock"
        try writeFile(directory + "/resolvd.conf", DaemonProcess.databaseConfiguration(in: directory))
        let process = try Self.activate(
            activate, ["-l", socketPath, "--fdname=resolvd"], directory: directory,
            daemonArguments: ["--dns", unbound.serverAddress, "--log-level", "info"])
        defer { process.stop() }
        let log = { (try? readWholeFile(directory + "/stderr.log")) ?? "" }
        let deadline = ContinuousClock.now + .seconds(10)
        while access(socketPath, F_OK) != 0 && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(access(socketPath, F_OK) == 0, "systemd-socket-activate listens: \(log())")
        #expect(Self.command(of: process.pid).hasPrefix("systemd-socket"), "resolvd is not running yet")

        let client = try LineClient(path: socketPath)  // accepted into the backlog; resolvd starts now
        let reply = try #require(
            client.call(#"{"id":1,"op":"getaddrinfo","name":"www.example.test","socktype":"stream"}"#, id: 1, timeout: .seconds(30)),
            "no reply: \(log())")
        #expect(reply.status == 0)
        #expect(Self.command(of: process.pid) == "resolvd")
        #expect(log().contains("socket_activated=true") && log().contains("socket=\(socketPath)"), "\(log())")
        let second = try LineClient(path: socketPath)
        #expect(second.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0)

        process.signal(SIGTERM)
        #expect(process.waitForExit() == 0)
        #expect(access(socketPath, F_OK) == 0, "the socket file belongs to the manager; resolvd leaves it")
    }

    /// Descriptors named `varlink`, or bound to a file named io.systemd.Resolve, speak
    /// Varlink; the others protocol v1 (resolvd.socket holds two sockets of one name).
    @Test func varlinkDescriptorsByNameOrPath() throws {
        let activate = try SystemdTestSupport.require("systemd-socket-activate", package: "systemd")
        let unbound = try DaemonOperationTests.unbound.get()
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let v1Path = directory + "/resolvd.sock", namedPath = directory + "/named.sock", byPath = directory + "/io.systemd.Resolve"
        try writeFile(directory + "/resolvd.conf", DaemonProcess.databaseConfiguration(in: directory))
        let process = try Self.activate(
            activate, ["-l", v1Path, "-l", namedPath, "-l", byPath, "--fdname=resolvd.socket:varlink:resolvd.socket"],
            directory: directory, daemonArguments: ["--dns", unbound.serverAddress])
        defer { process.stop() }
        let log = { (try? readWholeFile(directory + "/stderr.log")) ?? "" }
        let deadline = ContinuousClock.now + .seconds(10)
        while access(byPath, F_OK) != 0 && ContinuousClock.now < deadline { usleep(10_000) }
        let v1 = try LineClient(path: v1Path)
        #expect(v1.call(#"{"id":1,"op":"hello"}"#, id: 1, timeout: .seconds(30))?.status == 0, "\(log())")
        for path in [namedPath, byPath] {
            let client = try LineClient.varlink(path: path)
            let reply = client.varlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"v4only.example.test"}"#)
            #expect(VarlinkResolveTests.bytes(reply) == [[192, 0, 2, 20]], "\(path): \(String(describing: reply)) \(log())")
        }
        process.signal(SIGTERM)
        #expect(process.waitForExit() == 0)
    }

    /// A passed descriptor that is not a listening Unix stream socket stops resolvd with EX_CONFIG.
    @Test func refusesAnotherKindOfSocket() throws {
        let activate = try SystemdTestSupport.require("systemd-socket-activate", package: "systemd")
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let socketPath = directory + "/resolvd.sock"
        try writeFile(directory + "/resolvd.conf", DaemonProcess.databaseConfiguration(in: directory))
        let process = try SpawnedProcess(
            arguments: [activate, "--datagram", "-l", socketPath, DaemonProcess.executable, "--config", directory + "/resolvd.conf", "--dns", "127.0.0.1"]
                + DaemonProcess.hermeticArguments(),
            environment: SystemdTestSupport.environment(adding: [:], removing: SystemdIntegration.environmentVariables),
            stdout: "/dev/null", stderr: directory + "/stderr.log")
        defer { process.stop() }
        let deadline = ContinuousClock.now + .seconds(10)
        while access(socketPath, F_OK) != 0 && ContinuousClock.now < deadline { usleep(10_000) }
        // A datagram wakes systemd-socket-activate, which then starts resolvd on the datagram socket.
        try #require(SystemdNotifier(notifySocket: socketPath)).send("wake up")
        #expect(process.waitForExit() == 78)
        #expect(((try? readWholeFile(directory + "/stderr.log")) ?? "").contains("not a listening Unix stream socket"))
    }

    /// `systemd-socket-activate LISTEN… resolvd --config DIR/resolvd.conf ARGS…`, without
    /// this process's own LISTEN_* and notify variables, stderr in DIR/stderr.log.
    static func activate(_ activate: String, _ listen: [String], directory: String, daemonArguments: [String]) throws -> SpawnedProcess {
        try SpawnedProcess(
            arguments: [activate] + listen + [DaemonProcess.executable, "--config", directory + "/resolvd.conf"] + daemonArguments
                + DaemonProcess.hermeticArguments(),
            environment: SystemdTestSupport.environment(adding: [:], removing: SystemdIntegration.environmentVariables),
            stdout: "/dev/null", stderr: directory + "/stderr.log")
    }

    static func command(of pid: pid_t) -> String {
        ((try? readWholeFile("/proc/\(pid)/comm")) ?? "").split(separator: "\n").first.map(String.init) ?? ""
    }
}
