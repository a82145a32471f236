import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where the Varlink socket goes: beside the v1 socket by default, so that two daemons
/// with different `--socket` never share one; `varlink_socket` and `--varlink-socket`
/// (which wins) name another path or `none`.
@Suite struct VarlinkConfigurationTests {
    private func load(_ text: String, flag: String? = nil, socket: String? = nil) throws -> DaemonConfiguration {
        let path = "/tmp/resolvd-varlink-config-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).conf"
        try writeFile(path, text)
        defer { unlink(path) }
        var overrides = DaemonConfiguration.Overrides()
        overrides.varlinkSocket = flag
        overrides.socketPath = socket
        return try DaemonConfiguration.load(file: path, overrides: overrides, environment: [:], isRoot: true, resolvConf: "/dev/null")
    }

    @Test func defaultIsBesideTheV1Socket() throws {
        #expect(try load("").varlinkSocketPath == "/run/resolvd/io.systemd.Resolve")
        #expect(try load("", socket: "/tmp/x/y.sock").varlinkSocketPath == "/tmp/x/io.systemd.Resolve")
        #expect(try load("socket = ./run/resolvd.sock\n").varlinkSocketPath == "./run/io.systemd.Resolve")
        #expect(try load("", socket: "bare.sock").varlinkSocketPath == "io.systemd.Resolve")
        var underSystemd = try DaemonConfiguration.load(
            file: nil, overrides: .init(), environment: ["RUNTIME_DIRECTORY": "/run/resolvd"], isRoot: false, resolvConf: "/dev/null")
        #expect(underSystemd.varlinkSocketPath == "/run/resolvd/io.systemd.Resolve")
        underSystemd.varlinkSocket = .none
        #expect(underSystemd.varlinkSocketPath == nil)
    }

    @Test func fileAndFlagNameAPathOrNone() throws {
        #expect(try load("varlink_socket = /tmp/v.sock\n").varlinkSocketPath == "/tmp/v.sock")
        #expect(try load("varlink_socket = none\n").varlinkSocketPath == nil)
        #expect(try load("varlink_socket = none\n", flag: "/tmp/w.sock").varlinkSocketPath == "/tmp/w.sock")
        #expect(try load("varlink_socket = /tmp/v.sock\n", flag: "none").varlinkSocketPath == nil)
        #expect(throws: ConfigurationError.self) { try load("varlink_socket =\n") }
    }

    /// A real daemon: both sockets with mode 0666, the Varlink one removed on SIGTERM;
    /// `--varlink-socket none` binds none.
    @Test func daemonBindsAndRemovesTheVarlinkSocket() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        var status = stat()
        #expect(stat(daemon.varlinkSocketPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o666 && status.st_mode & S_IFMT == S_IFSOCK)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit() == 0)
        #expect(access(daemon.varlinkSocketPath, F_OK) != 0, "removed on exit")
        SystemdTestSupport.removeTree(daemon.directory)  // not stop(): the process is gone already
        let without = try DaemonProcess.start(upstream: unbound.serverAddress, extraArguments: ["--varlink-socket", "none"])
        defer { without.stop() }
        #expect(access(without.varlinkSocketPath, F_OK) != 0)
    }
}
