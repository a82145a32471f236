import Logging
import ResolvdProtocol
import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

#if canImport(Glibc)
import Glibc
#endif

/// File descriptors: the soft limit raised at start, `max_connections` lowered to fit a
/// limit that cannot cover it, and no busy loop at EMFILE (prlimit, util-linux).
@Suite struct DaemonDescriptorLimitTests {
    /// resolvd under `prlimit --nofile=SOFT:HARD`, with the hermetic arguments; waits until it answers.
    private static func startUnderLimit(_ nofile: String, config: String, directory: String) throws -> SpawnedProcess {
        let prlimit = try SystemdTestSupport.require("prlimit", package: "util-linux")
        let socket = directory + "/resolvd.sock"
        try writeFile(directory + "/resolvd.conf", config)
        let process = try SpawnedProcess(
            arguments: [prlimit, "--nofile=\(nofile)", DaemonProcess.executable, "--config", directory + "/resolvd.conf", "--socket", socket,
                        "--dns", try DaemonBoundsTests.unbound.get().serverAddress] + DaemonProcess.hermeticArguments(),
            stdout: directory + "/stdout", stderr: directory + "/stderr")
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let client = try? LineClient(path: socket), client.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0 { return process }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        process.kill()
        throw FixtureError("resolvd under prlimit did not answer: \((try? readWholeFile(directory + "/stderr")) ?? "")")
    }

    /// The soft and hard "Max open files" of a process.
    static func openFileLimits(of pid: pid_t) -> (soft: Int, hard: Int)? {
        guard let limits = try? readWholeFile("/proc/\(pid)/limits"),
              let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        return numbers.count >= 2 ? (numbers[0], numbers[1]) : nil
    }

    @Test func theSoftLimitIsRaisedAndMaxConnectionsFitsWhatIsLeft() throws {
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let raised = try Self.startUnderLimit("256:4096", config: "", directory: directory + "/")
        defer { raised.stop() }
        let limits = try #require(Self.openFileLimits(of: raised.pid))
        #expect(limits.soft == 4096 && limits.hard == 4096, "\(limits)")
        #expect(!((try? readWholeFile(directory + "/stderr")) ?? "").contains("cannot cover"))

        let lowDirectory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(lowDirectory) }
        let low = try Self.startUnderLimit("300:300", config: "max_connections = 1024\n", directory: lowDirectory + "/")
        defer { low.stop() }
        let log = (try? readWholeFile(lowDirectory + "/stderr")) ?? ""
        #expect(log.contains("the file descriptor limit cannot cover max_connections"), "\(log)")
        #expect(log.contains("using="), "\(log)")
    }

    /// The metrics connections are set aside like the resolver's descriptors: with
    /// `metrics_listen` set, `max_connections` fits in what is left after them.
    @Test func metricsConnectionsCountAgainstTheDescriptors() throws {
        var configuration = DaemonConfiguration(socketPath: "/unused", resolver: ResolverConfiguration(servers: []))
        configuration.limits.maxConnections = 100_000
        let withoutMetrics = DescriptorLimit.reserved(for: configuration)
        configuration.metricsListen = MetricsListen(host: "127.0.0.1", port: 9153)
        configuration.limits.maxMetricsConnections = 40
        #expect(DescriptorLimit.reserved(for: configuration) == withoutMetrics + 40)
        let fitted = DescriptorLimit.fit(configuration, softLimit: 1_000, logger: Logger(label: "test"))
        #expect(fitted.maxConnections == 1_000 - withoutMetrics - 40)
    }

    /// How many descriptors a process has open.
    static func descriptorCount(of pid: pid_t) -> Int? {
        guard let directory = opendir("/proc/\(pid)/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != 0x2e { count += 1 }
        }
        return count
    }

    /// utime + stime of a process, in clock ticks.
    static func cpuTicks(of pid: pid_t) -> Int? {
        guard let stat = try? readWholeFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3 of stat(5); utime and stime are 14 and 15.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    /// At EMFILE (reached for sure: the daemon logs it and holds every descriptor its
    /// limit allows) the accept loop waits without spinning and an open connection is
    /// served; once the clients in the backlog leave, a new client — queued behind their
    /// dead connections — is answered within a second.
    @Test func atTheDescriptorLimitTheAcceptLoopWaitsAndRecovers() throws {
        let prlimit = try SystemdTestSupport.require("prlimit", package: "util-linux")
        let daemon = try DaemonProcess.start(upstream: DaemonBoundsTests.unbound.get().serverAddress)
        defer { daemon.stop() }
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0)
        let open = try #require(Self.descriptorCount(of: daemon.pid))
        let limit = open + 4
        let set = try SystemdTestSupport.run([prlimit, "--pid", "\(daemon.pid)", "--nofile=\(limit):\(limit)"])
        #expect(set.status == 0, "\(set.stderr)")

        // Far more clients than descriptors: the rest wait in the listen backlog.
        var clients = try (0..<32).map { _ in try daemon.connect() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !daemon.log.contains("cannot accept connections"), ContinuousClock.now < deadline { usleep(10_000) }
        #expect(daemon.log.contains("cannot accept connections: pausing"), "EMFILE was never reached: \(daemon.log)")
        #expect((Self.descriptorCount(of: daemon.pid) ?? 0) >= limit, "the daemon holds every descriptor it may")

        let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))
        let before = try #require(Self.cpuTicks(of: daemon.pid))
        usleep(1_000_000)  // a window to measure CPU over, not an order of events
        let used = try #require(Self.cpuTicks(of: daemon.pid)) - before
        #expect(used * 10 <= ticksPerSecond, "resolvd used \(used) of \(ticksPerSecond) ticks in a second at EMFILE")
        #expect(root.call(#"{"id":2,"op":"hello"}"#, id: 2)?.status == 0, "a connection already open is served")

        // Descriptors free up: the dead backlog is drained and a new client is answered at once.
        for client in clients { client.close() }
        clients.removeAll()
        let clock = ContinuousClock()
        let freed = clock.now
        let after = try daemon.connect()
        #expect(after.call(#"{"id":1,"op":"hello"}"#, id: 1, timeout: .seconds(15))?.status == 0, "\(daemon.log)")
        let waited = clock.now - freed
        #expect(waited < .seconds(1), "a new client waited \(waited) after the descriptors were free")
        print("after EMFILE: a new client answered \(waited) after 32 backlogged clients left")
    }
}
